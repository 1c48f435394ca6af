package io.jsae.core.io;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the model folder formats share: reading {@code cfg.json} fields and weight tensors with messages that
 * name the file and the field or tensor at fault, and writing a folder atomically.
 */
final class ModelFiles {

    /**
     * Strict about structure (duplicate keys, trailing content) but accepts the NaN/Infinity literals that
     * Python's json module writes, since a config may hold them in fields this project never reads; fields it
     * reads are checked to be finite.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /**
     * Tensor dtypes accepted for weights; the reader converts F32, F16 and BF16 to float32 exactly and F64
     * rounded to nearest (a value beyond float32's range becomes infinite and is refused as non-finite).
     */
    private static final List<DType> WEIGHT_DTYPES = List.of(DType.F32, DType.F16, DType.BF16, DType.F64);

    private static final int TILE = 32;

    private ModelFiles() {
    }

    // ---------------------------------------------------------------------------------------------------
    // cfg.json

    /**
     * Reads a JSON object file.
     *
     * @throws ModelFormatException when the file is missing, is not JSON or not an object
     * @throws IOException          when reading fails
     */
    static JsonNode readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, null, "missing; " + describeFolder(file.getParent())
                    + ". A saved SAE folder holds " + file.getFileName() + " next to its weights file");
        }
        byte[] bytes = Files.readAllBytes(file);
        JsonNode node;
        try {
            node = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new ModelFormatException(file, null, "not valid JSON" + where + ": " + e.getOriginalMessage()
                    + "; fix the file or export the model again", e);
        }
        if (node == null || !node.isObject()) {
            throw new ModelFormatException(file, null, "must hold a JSON object, found "
                    + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
        }
        return node;
    }

    static String field(String name) {
        return "field '" + name + "'";
    }

    private static JsonNode present(JsonNode obj, String name) {
        JsonNode v = obj.get(name);
        return v == null || v.isNull() ? null : v;
    }

    /** A required integer field in [min, Integer.MAX_VALUE]. */
    static int requireInt(Path file, JsonNode obj, String name, int min) {
        Integer v = optInt(file, obj, name, min);
        if (v == null) {
            throw new ModelFormatException(file, field(name), "missing; it is required to size the model");
        }
        return v;
    }

    /** An optional integer field in [min, Integer.MAX_VALUE]; null when absent or JSON null. */
    static Integer optInt(Path file, JsonNode obj, String name, int min) {
        JsonNode v = present(obj, name);
        if (v == null) {
            return null;
        }
        // 16.0 is accepted as 16: some writers emit whole numbers as floats
        if (!v.isNumber() || !v.canConvertToExactIntegral() || !v.canConvertToInt()) {
            throw new ModelFormatException(file, field(name), "must be an integer, found " + v);
        }
        int i = v.asInt();
        if (i < min) {
            throw new ModelFormatException(file, field(name), "must be >= " + min + ", was " + i);
        }
        return i;
    }

    /** An optional finite number field; null when absent or JSON null. */
    static Double optDouble(Path file, JsonNode obj, String name) {
        JsonNode v = present(obj, name);
        if (v == null) {
            return null;
        }
        if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
            throw new ModelFormatException(file, field(name), "must be a finite number, found " + v);
        }
        return v.asDouble();
    }

    /** An optional string field; null when absent or JSON null. */
    static String optString(Path file, JsonNode obj, String name) {
        JsonNode v = present(obj, name);
        if (v == null) {
            return null;
        }
        if (!v.isTextual()) {
            throw new ModelFormatException(file, field(name), "must be a string, found " + v);
        }
        return v.asText();
    }

    /** An optional boolean field; null when absent or JSON null. */
    static Boolean optBool(Path file, JsonNode obj, String name) {
        JsonNode v = present(obj, name);
        if (v == null) {
            return null;
        }
        if (!v.isBoolean()) {
            throw new ModelFormatException(file, field(name), "must be true or false, found " + v);
        }
        return v.asBoolean();
    }

    /** An optional object field; null when absent or JSON null. */
    static JsonNode optObject(Path file, JsonNode obj, String name) {
        JsonNode v = present(obj, name);
        if (v != null && !v.isObject()) {
            throw new ModelFormatException(file, field(name), "must be a JSON object, found " + v);
        }
        return v;
    }

    // ---------------------------------------------------------------------------------------------------
    // Weights

    /**
     * Opens a weights file.
     *
     * @throws ModelFormatException when it is missing or not a valid safetensors file
     */
    static SafetensorsFile openWeights(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException(file, null, "missing; " + describeFolder(file.getParent()));
        }
        try {
            return SafetensorsFile.open(file);
        } catch (TensorFileException e) {
            throw new ModelFormatException(file, null, "not a readable safetensors file (" + e.getMessage()
                    + "); export the model again", e);
        }
    }

    static String tensor(String name) {
        return "tensor '" + name + "'";
    }

    /**
     * Reads a weight tensor of an exact shape, checking its dtype and that every value is finite.
     *
     * @param expectedLabel the expected shape in words, e.g. {@code "[d_in=16, d_sae=8] (from cfg.json)"}
     * @param expected      the expected shape
     * @throws ModelFormatException naming the file and the tensor when it is missing, has another shape or a
     *                              dtype other than F32, F16, BF16 and F64, holds NaN or Inf (also after
     *                              rounding F64 to float32), or cannot be read
     */
    static float[] readTensor(SafetensorsFile f, String name, String expectedLabel, long... expected) {
        TensorInfo t = f.find(name).orElseThrow(() -> new ModelFormatException(f.path(), tensor(name),
                "missing; the file holds " + names(f) + ". Export the model again, or check that the folder"
                        + " matches the architecture in its cfg.json"));
        if (!WEIGHT_DTYPES.contains(t.dtype())) {
            throw new ModelFormatException(f.path(), tensor(name), "has dtype " + t.dtype() + "; weights must be F32,"
                    + " F16, BF16 or F64. Convert the file (e.g. to float32) and load it again");
        }
        long[] shape = t.shape();
        if (!Arrays.equals(shape, expected)) {
            String hint = "";
            if (shape.length == 2 && expected.length == 2 && shape[0] == expected[1] && shape[1] == expected[0]) {
                hint = "; it holds the transpose of the expected layout, so it was written by a tool with"
                        + " another convention: transpose it";
            }
            throw new ModelFormatException(f.path(), tensor(name), "has shape " + Arrays.toString(shape)
                    + ", expected " + expectedLabel + hint);
        }
        float[] values;
        try {
            values = f.readFloats(name);
        } catch (TensorFileException e) {
            throw new ModelFormatException(f.path(), tensor(name), "cannot be read (" + e.getMessage() + ")", e);
        }
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                String at = shape.length == 2 ? "[" + i / shape[1] + ", " + i % shape[1] + "]" : "[" + i + "]";
                String f64 = t.dtype() == DType.F64 ? " (after rounding its F64 value to float32)" : "";
                throw new ModelFormatException(f.path(), tensor(name), "holds " + values[i] + " at " + at + f64
                        + "; a model with non-finite weights cannot be used. Export it again from a checkpoint"
                        + " taken before training diverged");
            }
        }
        return values;
    }

    /** The tensor names of a file, for messages. */
    static String names(SafetensorsFile f) {
        if (f.tensors().isEmpty()) {
            return "no tensors";
        }
        return f.tensors().stream().limit(20).map(t -> "'" + t.name() + "' " + t.dtype() + Arrays.toString(t.shape()))
                .collect(Collectors.joining(", ", "tensors ", f.tensors().size() > 20 ? ", ..." : ""));
    }

    /** Fails on the first tensor of the file that is not in {@code allowed}. */
    static void rejectUnexpected(SafetensorsFile f, List<String> allowed, String why) {
        for (TensorInfo t : f.tensors()) {
            if (!allowed.contains(t.name())) {
                throw new ModelFormatException(f.path(), tensor(t.name()), "is not part of this format (" + why
                        + "); the loader reads only " + allowed + " and skips nothing silently");
            }
        }
    }

    /** A short listing of a folder's files for "missing" messages. */
    static String describeFolder(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return "the folder " + dir + " does not exist";
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().limit(21).collect(Collectors.toList());
            if (names.isEmpty()) {
                return "the folder is empty";
            }
            return "the folder holds " + (names.size() > 20 ? String.join(", ", names.subList(0, 20)) + ", ..."
                    : String.join(", ", names));
        } catch (IOException e) {
            return "the folder cannot be listed (" + e + ")";
        }
    }

    /**
     * {@code out[c][r] = scale · a[r][c]} for a row-major {@code rows × cols} matrix, in tiles so that both
     * sides are read and written in runs. A scale of exactly 1 copies bits unchanged.
     */
    static float[] transpose(float[] a, int rows, int cols, double scale) {
        float[] out = new float[a.length];
        for (int r0 = 0; r0 < rows; r0 += TILE) {
            int r1 = Math.min(rows, r0 + TILE);
            for (int c0 = 0; c0 < cols; c0 += TILE) {
                int c1 = Math.min(cols, c0 + TILE);
                for (int r = r0; r < r1; r++) {
                    int src = r * cols;
                    for (int c = c0; c < c1; c++) {
                        float v = a[src + c];
                        out[c * rows + r] = scale == 1.0 ? v : (float) (v * scale);
                    }
                }
            }
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------
    // Writing

    /** Fills a fresh folder. */
    interface FolderFiller {
        /**
         * @param tmp an empty folder; every file written into it must be forced to the storage device
         * @throws IOException when writing fails
         */
        void fill(Path tmp) throws IOException;
    }

    /**
     * Writes a folder so that {@code dir} either does not change or appears complete: the files go to a
     * temporary sibling folder, are forced to storage, and the folder is renamed into place. An existing
     * empty {@code dir} is replaced; a non-empty one is an error (nothing already written is mixed with or
     * lost to the new files).
     *
     * @throws FileAlreadyExistsException when {@code dir} is a file or a non-empty folder
     * @throws IOException                when writing fails; the temporary folder is then removed
     */
    static void writeFolderAtomically(Path dir, FolderFiller filler) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        Path parent = target.getParent();
        if (parent == null) {
            throw new IOException(dir + ": cannot save into the root of a file system; name a folder to create");
        }
        checkWritable(target);
        Files.createDirectories(parent);
        Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
        boolean done = false;
        try {
            filler.fill(tmp);
            forceDirectory(tmp);
            checkWritable(target); // again: another writer may have filled it meanwhile
            if (Files.isDirectory(target)) {
                Files.delete(target); // empty (checked); fails if a file appeared since, keeping that file
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException(dir + ": the file system cannot rename " + tmp.getFileName()
                        + " into place atomically; save to a local file system", e);
            }
            forceDirectory(parent);
            done = true;
        } finally {
            if (!done) {
                deleteRecursively(tmp);
            }
        }
    }

    private static void checkWritable(Path target) throws IOException {
        if (Files.exists(target)) {
            if (!Files.isDirectory(target)) {
                throw new FileAlreadyExistsException(target.toString(), null,
                        "exists and is not a folder; choose another path or delete the file");
            }
            try (DirectoryStream<Path> s = Files.newDirectoryStream(target)) {
                if (s.iterator().hasNext()) {
                    throw new FileAlreadyExistsException(target.toString(), null, "the folder is not empty ("
                            + describeFolder(target) + "); save into a new or empty folder, or delete this one"
                            + " first (existing files are never overwritten or mixed with new ones)");
                }
            }
        }
    }

    /** Writes bytes to a new file and forces them to the storage device. */
    static void writeBytes(Path file, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    /**
     * Forces a folder's entries to storage so that a rename survives a crash. Best effort: some systems
     * (Windows) cannot open a folder for this, and the files themselves are already forced.
     */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported here; see above
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = new ArrayList<>(s.collect(Collectors.toList()));
            all.sort(Comparator.reverseOrder());
            for (Path p : all) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // leftovers are a hidden ".tmp-" folder; the original error matters more
        }
    }
}
