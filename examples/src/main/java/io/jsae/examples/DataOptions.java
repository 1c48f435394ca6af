package io.jsae.examples;

import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.LoaderOptions;
import io.jsae.core.data.NpyActivationSource;
import io.jsae.core.data.SafetensorsActivationSource;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * The options that name activation shards on disk, shared by every command that reads them (a picocli
 * mixin): {@code --data} (a folder or one file of {@code .npy} or {@code .safetensors} shards),
 * {@code --tensor} (the tensor inside safetensors shards), {@code --skip-non-finite}, {@code --read-threads} and
 * {@code --no-memory-map}.
 */
public final class DataOptions {

    @Option(names = "--data", paramLabel = "PATH",
            description = "Folder or file of .npy shards ([tokens, d_in] float32/float16), or .safetensors shards (F32, F16 or BF16)"
                    + " (see --tensor).")
    private Path data;

    @Option(names = "--tensor", defaultValue = "activations", paramLabel = "NAME",
            description = "Tensor name inside .safetensors shards.")
    private String tensor;

    @Option(names = "--skip-non-finite",
            description = "Skip (and count) rows holding NaN or Inf instead of failing on the first one (train and"
                    + " inspect; encode and latents keep every row aligned with their output and labels).")
    private boolean skipNonFinite;

    @Option(names = "--read-threads", defaultValue = "1", paramLabel = "N",
            description = "Threads that read shards besides the command's own: they read the next batch during a step."
                    + " More help on many-core machines and on disks that serve many reads at once.")
    private int readThreads;

    @Option(names = "--no-memory-map",
            description = "Read shards with positional reads instead of copying rows out of memory mappings of them"
                    + " (mappings are faster; a shard truncated while mapped ends the process, a read reports it).")
    private boolean noMemoryMap;

    /** @return the {@code --data} path, or null when the option was not given */
    public Path path() {
        return data;
    }

    /** @return whether rows holding NaN or Inf are skipped */
    public boolean skipNonFinite() {
        return skipNonFinite;
    }

    /**
     * Opens the shards: a folder is read as safetensors shards when it holds any {@code .safetensors} file,
     * else as {@code .npy} shards; a file by its extension.
     *
     * @param shuffle whether to shuffle rows (training); false reads them in file order, files by name
     * @param seed    the shuffling seed (ignored without shuffling)
     * @return the open source; the caller closes it
     * @throws CommandFailure when {@code --data} was not given or does not exist, or {@code --read-threads} is out
     *                        of range
     * @throws IOException    when the shards cannot be read (format errors are the library's
     *                        {@link io.jsae.core.io.DataFormatException}s, naming the file)
     */
    public ActivationSource open(boolean shuffle, long seed) throws IOException {
        if (readThreads < 0 || readThreads > 256) {
            throw new CommandFailure(ExitCode.USAGE, "--read-threads must be in 0..256, was " + readThreads,
                    "pass 0 to read on the command's own thread only, or a few threads");
        }
        if (data == null) {
            throw new CommandFailure(ExitCode.USAGE, "--data is required", "pass a folder or file of .npy or"
                    + " .safetensors activation shards");
        }
        if (!Files.exists(data)) {
            throw new CommandFailure(ExitCode.BAD_DATA, "--data " + data + ": no such file or folder",
                    "check the path");
        }
        LoaderOptions.Builder options = LoaderOptions.builder().skipNonFinite(skipNonFinite).readThreads(readThreads)
                .memoryMapped(!noMemoryMap);
        if (shuffle) {
            options.shuffle(seed);
        } else {
            options.noShuffle();
        }
        LoaderOptions built = options.build();
        if (Files.isDirectory(data)) {
            boolean safetensors;
            try (Stream<Path> files = Files.list(data)) {
                safetensors = files.anyMatch(p -> p.getFileName().toString().endsWith(".safetensors"));
            }
            return safetensors
                    ? SafetensorsActivationSource.builder().directory(data).tensor(tensor).options(built).build()
                    : NpyActivationSource.builder().directory(data).options(built).build();
        }
        return data.getFileName().toString().endsWith(".safetensors")
                ? SafetensorsActivationSource.builder().file(data).tensor(tensor).options(built).build()
                : NpyActivationSource.builder().file(data).options(built).build();
    }
}
