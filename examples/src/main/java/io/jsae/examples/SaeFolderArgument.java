package io.jsae.examples;

import io.jsae.core.SparseAutoencoder;
import io.jsae.core.io.SaeFolders;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads the SAE folder a command names, with the command's own message when the folder does not exist. */
final class SaeFolderArgument {

    private SaeFolderArgument() {
    }

    /**
     * @param dir the folder argument
     * @return the model
     * @throws CommandFailure when the folder does not exist or is a file
     * @throws IOException    when reading fails; a malformed folder is the library's
     *                        {@link io.jsae.core.io.ModelFormatException}, naming the file and field
     */
    static SparseAutoencoder load(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            throw new CommandFailure(ExitCode.BAD_DATA, dir + ": no such SAE folder", "pass the folder that holds"
                    + " cfg.json and the weights (what train --out writes)");
        }
        if (!Files.isDirectory(dir)) {
            throw new CommandFailure(ExitCode.BAD_DATA, dir + " is a file, not an SAE folder", "pass the folder"
                    + " that holds it (cfg.json and the weights file)");
        }
        return SaeFolders.load(dir);
    }
}
