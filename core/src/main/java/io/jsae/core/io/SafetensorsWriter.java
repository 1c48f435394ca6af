package io.jsae.core.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Collects named float32 tensors and metadata, then writes them as one safetensors file.
 *
 * <p>The output is deterministic: the same tensors and metadata give the same bytes whatever the order of
 * the calls. Tensors are laid out by element size (largest first, so every tensor is aligned to its element
 * size) and then by name; metadata keys are sorted; the header is padded with spaces so that the data area
 * starts at a multiple of 8 bytes. Values are taken from the given arrays or buffers when {@link #write} runs,
 * so they must not change in between.
 *
 * <p>For an atomic replacement, write to a temporary path in the target directory with {@link #write(Path)}
 * (which forces the data to the storage device before returning) and then move it into place with
 * {@code Files.move(tmp, target, ATOMIC_MOVE)}.
 *
 * <p>A writer is not thread-safe; it can be written more than once.
 */
public final class SafetensorsWriter {

    /** Values a tensor's source is asked for at a time. */
    private static final int VALUES_PER_READ = 1 << 18;
    private static final JsonFactory JSON = new JsonFactory();

    private final Map<String, String> metadata = new TreeMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /**
     * A tensor's values read in chunks when the file is written, for tensors that never sit whole in one buffer
     * (a device SAE's state, read through its state tensors).
     */
    @FunctionalInterface
    public interface ChunkSource {
        /**
         * Copies {@code dst.remaining()} elements starting at element {@code offset} into {@code dst}.
         *
         * @param offset first element
         * @param dst    destination; its position advances by the elements copied
         */
        void read(long offset, FloatBuffer dst);
    }

    private static final class Pending {
        final String name;
        final DType dtype;
        final long[] shape;
        final long count;
        final ChunkSource source;

        Pending(String name, DType dtype, long[] shape, long count, ChunkSource source) {
            this.name = name;
            this.dtype = dtype;
            this.shape = shape;
            this.count = count;
            this.source = source;
        }

        long bytes() {
            return count * dtype.byteSize();
        }
    }

    /** An empty writer. */
    public SafetensorsWriter() {
    }

    /**
     * Adds a {@code __metadata__} entry (a later value for the same key replaces the earlier one).
     *
     * @return this writer
     */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    /**
     * Adds all entries of a map as {@code __metadata__}.
     *
     * @return this writer
     */
    public SafetensorsWriter metadata(Map<String, String> entries) {
        entries.forEach(this::metadata);
        return this;
    }

    /**
     * Adds a float32 tensor.
     *
     * @param name  unique tensor name, not {@code "__metadata__"}
     * @param shape dimensions, outermost first; their product must equal {@code data.length}
     * @param data  row-major values
     * @return this writer
     */
    public SafetensorsWriter add(String name, long[] shape, float[] data) {
        return add(name, DType.F32, shape, FloatBuffer.wrap(data));
    }

    /**
     * Adds a tensor stored as {@code dtype} ({@code F32}, {@code F16} or {@code BF16}; 16-bit types round to
     * nearest, ties to even).
     *
     * @param name  unique tensor name, not {@code "__metadata__"}
     * @param dtype element type in the file
     * @param shape dimensions, outermost first; their product must equal {@code data.length}
     * @param data  row-major values
     * @return this writer
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] data) {
        return add(name, dtype, shape, FloatBuffer.wrap(data));
    }

    /**
     * Adds a tensor whose values are the remaining elements of {@code data} (from its position to its limit;
     * the buffer's position is not changed). Heap and direct (off-heap) buffers both work.
     *
     * @param name  unique tensor name, not {@code "__metadata__"}
     * @param dtype element type in the file ({@code F32}, {@code F16} or {@code BF16})
     * @param shape dimensions, outermost first; their product must equal {@code data.remaining()}
     * @param data  row-major values
     * @return this writer
     * @throws IllegalArgumentException for a duplicate or reserved name, a negative dimension, a shape that
     *                                  does not match the data, or a dtype that cannot be written
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, FloatBuffer data) {
        FloatBuffer values = data.slice();
        return add(name, dtype, shape, values.remaining(),
                (offset, dst) -> dst.put(values.slice((int) offset, dst.remaining())));
    }

    /**
     * Adds a tensor whose values are read from {@code source} in chunks while the file is written.
     *
     * @param name   unique tensor name, not {@code "__metadata__"}
     * @param dtype  element type in the file ({@code F32}, {@code F16} or {@code BF16})
     * @param shape  dimensions, outermost first; their product must equal {@code count}
     * @param count  element count
     * @param source the values, read when {@link #write} runs
     * @return this writer
     * @throws IllegalArgumentException as {@link #add(String, DType, long[], FloatBuffer)}
     */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, long count, ChunkSource source) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(dtype, "dtype");
        if (name.equals("__metadata__")) {
            throw new IllegalArgumentException("'__metadata__' is reserved for metadata and cannot name a tensor");
        }
        if (!dtype.encodable()) {
            throw new IllegalArgumentException("cannot write tensor '" + name + "' as " + dtype + "; use F32, F16 or BF16");
        }
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor '" + name + "' has negative dimension in shape " + Arrays.toString(shape));
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (elements != count) {
            throw new IllegalArgumentException("tensor '" + name + "' shape " + Arrays.toString(shape) + " holds "
                    + elements + " elements but " + count + " values were given");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("tensor name '" + name + "' was already added; names must be unique");
        }
        tensors.add(new Pending(name, dtype, shape.clone(), count, source));
        return this;
    }

    /** Length in bytes of the file {@link #write} would produce. */
    public long byteSize() {
        byte[] header = header(sorted());
        long n = 8 + header.length;
        for (Pending p : tensors) {
            n += p.bytes();
        }
        return n;
    }

    /**
     * Writes the file at {@code path} (created, or truncated if it exists) and forces its content to the
     * storage device before returning.
     *
     * @throws IOException if writing fails; the file is then incomplete and should be deleted
     */
    public void write(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            writeTo(ch);
            ch.force(true);
        }
    }

    /**
     * Writes the file's bytes to {@code ch} at its current position. Does not force or close the channel.
     *
     * @throws IOException if writing fails
     */
    public void writeTo(FileChannel ch) throws IOException {
        List<Pending> order = sorted();
        byte[] header = header(order);
        BlockWriter out = new BlockWriter(ch, ch.position()); // large aligned writes: see BlockWriter for why
        out.put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length));
        out.put(ByteBuffer.wrap(header));
        FloatBuffer values = ByteBuffer.allocateDirect(VALUES_PER_READ * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (Pending p : order) {
            int es = p.dtype.byteSize();
            for (long done = 0; done < p.count; ) {
                ByteBuffer block = out.room(es);
                int n = (int) Math.min(Math.min(VALUES_PER_READ, block.remaining() / es), p.count - done);
                values.clear().limit(n);
                p.source.read(done, values);
                if (values.hasRemaining()) {
                    throw new IllegalStateException("the source of tensor '" + p.name + "' delivered "
                            + values.position() + " of " + n + " elements at element " + done);
                }
                p.dtype.encode(values, 0, block, block.position(), n);
                block.position(block.position() + n * es);
                done += n;
            }
        }
        out.flush();
    }

    private List<Pending> sorted() {
        List<Pending> order = new ArrayList<>(tensors);
        order.sort(Comparator.comparingInt((Pending p) -> -p.dtype.byteSize()).thenComparing(p -> p.name));
        return order;
    }

    private byte[] header(List<Pending> order) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            if (!metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (Map.Entry<String, String> e : metadata.entrySet()) {
                    g.writeStringField(e.getKey(), e.getValue());
                }
                g.writeEndObject();
            }
            long offset = 0;
            for (Pending p : order) {
                g.writeObjectFieldStart(p.name);
                g.writeStringField("dtype", p.dtype.name());
                g.writeArrayFieldStart("shape");
                for (long d : p.shape) {
                    g.writeNumber(d);
                }
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(offset);
                g.writeNumber(offset + p.bytes());
                g.writeEndArray();
                g.writeEndObject();
                offset += p.bytes();
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new IllegalStateException("cannot build safetensors header", e); // in-memory: not expected
        }
        byte[] json = out.toByteArray();
        int padded = (json.length + 7) / 8 * 8; // 8 + padded is a multiple of 8
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        assert new String(header, StandardCharsets.UTF_8).startsWith("{");
        return header;
    }
}
