package io.jsae.core.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Resolving the shard list given to a source builder, and checks common to all shard formats. */
final class ShardFiles {

    private ShardFiles() {
    }

    /**
     * The shard files: those given, in order, or the regular, non-hidden files named {@code *suffix} in the
     * directory, sorted by name.
     */
    static List<Path> resolve(Path directory, List<Path> files, String suffix) {
        if (directory != null && !files.isEmpty()) {
            throw new IllegalStateException("give either a directory or files, not both");
        }
        List<Path> out;
        if (directory != null) {
            if (!Files.isDirectory(directory)) {
                throw new ActivationDataException(directory + ": not a directory; give the folder holding the *"
                        + suffix + " shards");
            }
            try (Stream<Path> s = Files.list(directory)) {
                out = s.filter(p -> p.getFileName().toString().endsWith(suffix))
                        .filter(p -> !p.getFileName().toString().startsWith("."))
                        .filter(Files::isRegularFile)
                        .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                        .collect(Collectors.toList());
            } catch (IOException e) {
                throw new ActivationDataException(directory + ": cannot list the directory: " + e, e);
            }
            if (out.isEmpty()) {
                throw new ActivationDataException(directory + ": no *" + suffix + " files in this directory");
            }
        } else {
            if (files.isEmpty()) {
                throw new IllegalStateException("no shards given: call directory(...) or files(...)");
            }
            out = new ArrayList<>(files);
            Set<Path> seen = new HashSet<>();
            for (Path p : out) {
                if (!seen.add(p.toAbsolutePath().normalize())) {
                    throw new ActivationDataException(p + ": listed twice among the shards");
                }
            }
        }
        return out;
    }

    /** Rejects empty shards and shards whose width differs from the first one's, before anything is read. */
    static void checkConsistent(List<ShardSpec> shards) {
        ShardSpec first = shards.get(0);
        for (ShardSpec s : shards) {
            if (s.rows() == 0) {
                throw new ActivationDataException(s.file() + ": empty shard: " + s.label()
                        + " has 0 rows; remove it from the shard set");
            }
            if (s.dIn() != first.dIn()) {
                throw new ActivationDataException(s.file() + ": " + s.label() + " has width (d_in) " + s.dIn()
                        + " but " + first.label() + " (" + first.file() + ") has " + first.dIn()
                        + "; all shards must have the same width: were they taken from different models or layers?");
            }
        }
    }
}
