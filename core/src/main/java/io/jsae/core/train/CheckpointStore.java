package io.jsae.core.train;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;
import io.jsae.core.io.DType;
import io.jsae.core.io.SafetensorsFile;
import io.jsae.core.io.SafetensorsWriter;
import io.jsae.core.io.TensorInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A directory of training checkpoints, one folder per checkpoint ({@code step-000000001234}), each holding
 * {@code model.safetensors} (weights), {@code optimizer.safetensors} (Adam moments), {@code trainer.json}
 * ({@link TrainerState}) and {@code manifest.json} (size and SHA-256 of each of the three).
 *
 * <p>Crash safety: a checkpoint is written into a hidden temporary folder, every file is forced to disk,
 * the manifest is written last, and the folder is renamed into place atomically and the store directory
 * forced; a crash at any point leaves either the complete new checkpoint or none, and never touches the
 * older ones. {@link #latest()} returns the newest checkpoint whose manifest, sizes, hashes and state all
 * verify, and reports each one it skipped and why ({@link #skipped()}). Retention keeps the newest
 * {@code keepLast} and the one with the best (lowest) score.
 */
public final class CheckpointStore {
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{12})");
    /** Floats per chunk when a checkpoint is read into a device SAE (4 MiB). */
    private static final int RESTORE_CHUNK_FLOATS = 1 << 20;
    private static final String MODEL = "model.safetensors";
    private static final String OPTIMIZER = "optimizer.safetensors";
    private static final String TRAINER = "trainer.json";
    private static final String MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /** Test seam: called after each file of a checkpoint is written, before the rename (kill tests). */
    static volatile java.util.function.Consumer<Path> afterFileWritten = p -> { };

    private final Path directory;
    private final int keepLast;
    private final List<String> skipped = new ArrayList<>();

    /**
     * @param directory folder of the checkpoints (created if absent)
     * @param keepLast  how many of the newest checkpoints to keep, at least 1 (the best one is kept as well)
     */
    public CheckpointStore(Path directory, int keepLast) {
        this.directory = Objects.requireNonNull(directory, "directory");
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1, was " + keepLast);
        }
        this.keepLast = keepLast;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new CheckpointException("cannot create the checkpoint directory " + directory + ": " + e.getMessage(), e);
        }
    }

    /** @return the store's folder */
    public Path directory() {
        return directory;
    }

    /** One file's entry in the manifest. */
    record ManifestEntry(long size, String sha256) {
    }

    /**
     * Writes a checkpoint of the device SAE and the trainer state, then applies retention.
     *
     * @param sae   the device SAE (its state tensors are streamed to disk without a heap copy on the CPU)
     * @param state the trainer state
     * @return the written checkpoint
     * @throws CheckpointException if writing fails (older checkpoints are untouched)
     */
    public Checkpoint save(DeviceSae sae, TrainerState state) {
        Path target = directory.resolve(String.format("step-%012d", state.step()));
        Path tmp = directory.resolve(".tmp-" + target.getFileName() + "-" + System.nanoTime());
        try {
            Files.createDirectory(tmp);
            SafetensorsWriter model = new SafetensorsWriter().metadata("format", "jsae-checkpoint");
            SafetensorsWriter optimizer = new SafetensorsWriter().metadata("format", "jsae-checkpoint");
            for (StateTensor t : sae.stateTensors()) {
                (t.name().startsWith("adam_") ? optimizer : model).add(t.name(), DType.F32, t.shape(), t.size(), t::read);
            }
            model.write(tmp.resolve(MODEL));
            afterFileWritten.accept(tmp.resolve(MODEL));
            optimizer.write(tmp.resolve(OPTIMIZER));
            afterFileWritten.accept(tmp.resolve(OPTIMIZER));
            writeForced(tmp.resolve(TRAINER), JSON.writeValueAsBytes(state));
            afterFileWritten.accept(tmp.resolve(TRAINER));
            Map<String, ManifestEntry> manifest = new LinkedHashMap<>();
            for (String f : List.of(MODEL, OPTIMIZER, TRAINER)) {
                manifest.put(f, new ManifestEntry(Files.size(tmp.resolve(f)), sha256(tmp.resolve(f))));
            }
            writeForced(tmp.resolve(MANIFEST), JSON.writeValueAsBytes(manifest));
            forceDirectory(tmp);
            if (Files.exists(target)) {
                // Same step saved twice (e.g. SIGTERM right after a periodic save): replace it as a whole.
                deleteRecursively(target);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + directory + " cannot rename atomically; "
                        + "put checkpoints on a local file system", e);
            }
            forceDirectory(directory);
        } catch (IOException e) {
            try {
                deleteRecursively(tmp);
            } catch (IOException ignored) {
                // the next save removes stale temporary folders
            }
            throw new CheckpointException("cannot write checkpoint " + target + ": " + e.getMessage()
                    + "; older checkpoints are untouched (check free space and permissions)", e);
        }
        retain();
        return new Checkpoint(target, state);
    }

    /**
     * The newest complete and intact checkpoint. Incomplete, corrupted or unreadable ones are skipped, each
     * recorded in {@link #skipped()} with its reason and logged as a warning.
     *
     * @return the checkpoint, or empty when there is none
     */
    public Optional<Checkpoint> latest() {
        skipped.clear();
        for (Path dir : checkpointFolders()) {
            try {
                return Optional.of(verify(dir));
            } catch (IOException | RuntimeException e) {
                String why = dir.getFileName() + ": " + e.getMessage();
                skipped.add(why);
                LOG.warn("skipping checkpoint {}", why);
            }
        }
        return Optional.empty();
    }

    /** @return the checkpoints skipped by the last {@link #latest()} call, each with its reason */
    public List<String> skipped() {
        return List.copyOf(skipped);
    }

    /** @return the checkpoint folders, newest first (not verified) */
    public List<Path> checkpointFolders() {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
            for (Path p : ds) {
                if (Files.isDirectory(p) && NAME.matcher(p.getFileName().toString()).matches()) {
                    out.add(p);
                }
            }
        } catch (IOException e) {
            throw new CheckpointException("cannot list checkpoints in " + directory + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        return out;
    }

    private Checkpoint verify(Path dir) throws IOException {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) {
            throw new IOException("no " + MANIFEST + " (the write did not finish)");
        }
        Map<String, ManifestEntry> manifest = JSON.readValue(manifestFile.toFile(),
                new TypeReference<LinkedHashMap<String, ManifestEntry>>() { });
        for (String f : List.of(MODEL, OPTIMIZER, TRAINER)) {
            ManifestEntry e = manifest.get(f);
            if (e == null) {
                throw new IOException(MANIFEST + " does not list " + f);
            }
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) {
                throw new IOException(f + " is missing");
            }
            long size = Files.size(p);
            if (size != e.size()) {
                throw new IOException(f + " has " + size + " bytes, the manifest says " + e.size());
            }
            String hash = sha256(p);
            if (!hash.equals(e.sha256())) {
                throw new IOException(f + " has SHA-256 " + hash + ", the manifest says " + e.sha256());
            }
        }
        TrainerState state = JSON.readValue(dir.resolve(TRAINER).toFile(), TrainerState.class);
        if (state.formatVersion() != TrainerState.FORMAT_VERSION) {
            throw new IOException(TRAINER + " has format version " + state.formatVersion() + ", this jsae reads "
                    + TrainerState.FORMAT_VERSION);
        }
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (m.matches() && Long.parseLong(m.group(1)) != state.step()) {
            throw new IOException(TRAINER + " says step " + state.step() + " but the folder is " + dir.getFileName());
        }
        return new Checkpoint(dir, state);
    }

    /**
     * Loads a checkpoint's tensors and counters into a device SAE of the same shape.
     *
     * @param checkpoint a checkpoint from {@link #latest()}
     * @param sae        the device SAE to overwrite
     * @throws CheckpointException if a tensor is missing or has another shape than the model's
     */
    public static void restore(Checkpoint checkpoint, DeviceSae sae) {
        FloatBuffer chunk = ByteBuffer.allocateDirect(RESTORE_CHUNK_FLOATS * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (String file : List.of(MODEL, OPTIMIZER)) {
            Path path = checkpoint.directory().resolve(file);
            try (SafetensorsFile f = SafetensorsFile.open(path)) {
                for (StateTensor t : sae.stateTensors()) {
                    if (t.name().startsWith("adam_") != file.equals(OPTIMIZER)) {
                        continue;
                    }
                    TensorInfo info = f.find(t.name()).orElseThrow(() -> new CheckpointException(path
                            + " has no tensor '" + t.name() + "'; the checkpoint is not of this model"));
                    if (!Arrays.equals(info.shape(), t.shape())) {
                        throw new CheckpointException(path + ": tensor '" + t.name() + "' has shape "
                                + Arrays.toString(info.shape()) + ", the model needs " + Arrays.toString(t.shape()));
                    }
                    for (long done = 0; done < t.size(); ) {
                        int n = (int) Math.min(RESTORE_CHUNK_FLOATS, t.size() - done);
                        chunk.clear().limit(n);
                        f.readFloats(t.name(), done, chunk);
                        chunk.flip();
                        t.write(done, chunk);
                        done += n;
                    }
                }
            }
        }
        sae.setTokensSinceFired(checkpoint.state().tokensSinceFired());
    }

    /** Keeps the newest {@code keepLast} checkpoints and the best-scored one; removes stale temporaries. */
    private void retain() {
        List<Path> all = checkpointFolders();
        Path best = null;
        double bestScore = Double.POSITIVE_INFINITY;
        for (Path p : all) {
            try {
                TrainerState s = JSON.readValue(p.resolve(TRAINER).toFile(), TrainerState.class);
                if (s.score() != null && s.score() < bestScore) {
                    bestScore = s.score();
                    best = p;
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable checkpoint cannot be the best; retention by age still applies
            }
        }
        for (int i = keepLast; i < all.size(); i++) {
            Path p = all.get(i);
            if (!p.equals(best)) {
                try {
                    deleteRecursively(p);
                } catch (IOException e) {
                    LOG.warn("could not delete old checkpoint {}: {}", p, e.getMessage());
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, ".tmp-*")) {
            for (Path p : ds) {
                deleteRecursively(p);
            }
        } catch (IOException e) {
            LOG.warn("could not remove temporary checkpoint folders in {}: {}", directory, e.getMessage());
        }
    }

    private static void writeForced(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory for syncing; the files themselves are already forced.
            LOG.debug("could not force directory {}: {}", dir, e.getMessage());
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
        try (InputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
