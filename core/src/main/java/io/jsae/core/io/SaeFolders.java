package io.jsae.core.io;

import io.jsae.core.SparseAutoencoder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Saving and loading a {@link SparseAutoencoder}: the one place to start.
 *
 * <pre>{@code
 * SaeFolders.save(trainer.model(), Path.of("my-sae"));     // SAELens layout, atomically
 * SparseAutoencoder sae = SaeFolders.load(Path.of("my-sae")); // SAELens or sparsify folder
 * }</pre>
 *
 * <p>{@link #save} writes the SAELens folder layout ({@value SaeLensFormat#CONFIG_FILE},
 * {@value SaeLensFormat#WEIGHTS_FILE}) with the model's input scale folded into the weights, so that SAELens's
 * {@code SAE.load_from_disk} reads it as it is. {@link #load} reads that layout and sparsify's
 * ({@value SparsifyFormat#CONFIG_FILE}, {@value SparsifyFormat#WEIGHTS_FILE}). The details of each layout are
 * in {@link SaeLensFormat} and {@link SparsifyFormat}.
 */
public final class SaeFolders {

    private SaeFolders() {
    }

    /**
     * Saves a model as a SAELens folder ({@value SaeLensFormat#CONFIG_FILE},
     * {@value SaeLensFormat#WEIGHTS_FILE}) with the input scale folded into the weights, atomically:
     * {@code dir} appears complete or not at all. Details in {@link SaeLensFormat}.
     *
     * @param model the model
     * @param dir   a folder that does not exist yet or is empty
     * @throws java.nio.file.FileAlreadyExistsException when {@code dir} is a file or a non-empty folder
     * @throws IllegalArgumentException                 when a weight is not finite (nothing is written)
     * @throws IOException                              when writing fails ({@code dir} is then unchanged)
     */
    public static void save(SparseAutoencoder model, Path dir) throws IOException {
        SaeLensFormat.write(model, dir);
    }

    /**
     * Loads a saved SAE: a SAELens folder ({@value SaeLensFormat#CONFIG_FILE} with
     * {@value SaeLensFormat#WEIGHTS_FILE}, e.g. one written by {@link #save}) or a sparsify folder
     * ({@value SparsifyFormat#CONFIG_FILE} with {@value SparsifyFormat#WEIGHTS_FILE}). The model takes raw
     * inputs (input scale 1); its configuration has the folder's widths and activation and default training
     * settings.
     *
     * @param dir the folder
     * @return the model
     * @throws ModelFormatException naming the file and the field or tensor at fault when the folder is not a
     *                              complete, consistent model of a supported architecture
     * @throws IOException          when reading fails
     */
    public static SparseAutoencoder load(Path dir) throws IOException {
        boolean lens = Files.exists(dir.resolve(SaeLensFormat.WEIGHTS_FILE));
        boolean sparsify = Files.exists(dir.resolve(SparsifyFormat.WEIGHTS_FILE));
        if (lens && sparsify) {
            throw new ModelFormatException(dir, null, "holds both " + SaeLensFormat.WEIGHTS_FILE + " (SAELens) and "
                    + SparsifyFormat.WEIGHTS_FILE + " (sparsify), so which model to load is ambiguous; move one of"
                    + " them into its own folder with its cfg.json");
        }
        if (sparsify) {
            return SparsifyFormat.read(dir);
        }
        if (!lens && !Files.isDirectory(dir)) {
            throw new ModelFormatException(dir, null, "is not a folder; pass the folder that holds cfg.json and the"
                    + " weights file");
        }
        if (!lens && Files.isRegularFile(dir.resolve(SaeLensFormat.CONFIG_FILE))) {
            throw new ModelFormatException(dir.resolve(SaeLensFormat.WEIGHTS_FILE), null, "missing, and so is "
                    + SparsifyFormat.WEIGHTS_FILE + "; a saved SAE folder holds cfg.json and one of these weights files");
        }
        return SaeLensFormat.read(dir); // names the missing cfg.json or weights file
    }
}
