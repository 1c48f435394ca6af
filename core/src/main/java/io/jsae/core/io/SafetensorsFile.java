package io.jsae.core.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A safetensors file opened for reading: its metadata, its tensors, and their values.
 *
 * <p>Layout (the format's specification): an unsigned 64-bit little-endian header length {@code N}, then
 * {@code N} bytes of UTF-8 JSON (an object mapping each tensor name to
 * {@code {"dtype", "shape", "data_offsets": [begin, end]}}, plus an optional {@code "__metadata__"} object
 * of string values), possibly padded with spaces, then the data area. Offsets are relative to the data area.
 *
 * <p>{@link #open(Path)} validates the whole header before anything else is read and throws
 * {@link TensorFileException} naming the file, the byte offset and the field when: the file is shorter than
 * 8 bytes; {@code N} exceeds {@value #MAX_HEADER_BYTES} bytes or the file; the header is not a JSON object
 * (bad UTF-8, bad JSON, trailing content, duplicate keys); a tensor entry lacks a field, has an unknown
 * field, an unknown dtype, a negative or non-integer dimension or offset, or a byte range that does not
 * match its shape and dtype; tensors overlap or leave gaps in the data area; or the data area is shorter
 * (truncated) or longer (trailing bytes) than the tensors claim. Sizes are checked against the file length
 * before any allocation, so a corrupted header cannot make the reader allocate a huge array.
 *
 * <p>Reads use positional I/O on one {@link FileChannel} and are safe from several threads. Close the file
 * when done; mapped buffers returned by {@link #map} stay valid after closing.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Largest header accepted, in bytes (the reference implementation's bound). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final String METADATA_KEY = "__metadata__";
    private static final int READ_CHUNK_BYTES = 1 << 20;
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength((int) MAX_HEADER_BYTES)
                    .maxNameLength((int) MAX_HEADER_BYTES)
                    .maxNestingDepth(16)
                    .build())
            .build();

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final long headerLength;
    private final Map<String, String> metadata;
    private final List<TensorInfo> tensors;
    private final Map<String, TensorInfo> byName;

    private SafetensorsFile(Path path, FileChannel channel, long fileSize, long headerLength,
                            Map<String, String> metadata, List<TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.fileSize = fileSize;
        this.headerLength = headerLength;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableList(tensors);
        Map<String, TensorInfo> m = new HashMap<>();
        for (TensorInfo t : tensors) {
            m.put(t.name(), t);
        }
        this.byName = m;
    }

    /**
     * Opens a file and validates its header.
     *
     * @param path the file
     * @return the open file; close it when done
     * @throws TensorFileException if the file cannot be opened or its header is invalid
     */
    public static SafetensorsFile open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            throw new TensorFileException(path, -1, "cannot open safetensors file: " + e, e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new TensorFileException(path, 0, "file is " + size
                        + " bytes long, shorter than the 8-byte header length; it is truncated or not a safetensors file");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(path, ch, lenBuf, 0);
            long n = lenBuf.getLong(0);
            if (n < 0 || n > MAX_HEADER_BYTES) {
                throw new TensorFileException(path, 0, "header length " + Long.toUnsignedString(n)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes; the file is corrupt or not a safetensors file");
            }
            if (n > size - 8) {
                throw new TensorFileException(path, 0, "header length " + n + " runs past the end of the file ("
                        + size + " bytes); the file is truncated or corrupt");
            }
            if (n < 2) {
                throw new TensorFileException(path, 0, "header length " + n
                        + " is too short for a JSON object; the file is corrupt or not a safetensors file");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(path, ch, headerBuf, 8);
            byte[] header = headerBuf.array();
            Parsed parsed = parseHeader(path, header, size - 8 - n, 8 + n);
            return new SafetensorsFile(path, ch, size, n, parsed.metadata, parsed.tensors);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new TensorFileException(path, -1, "cannot read safetensors header: " + e, e);
        } catch (RuntimeException | Error e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** File length in bytes at the time it was opened. */
    public long fileSize() {
        return fileSize;
    }

    /** Header length {@code N} in bytes (the JSON and its padding). */
    public long headerLength() {
        return headerLength;
    }

    /** Absolute byte offset of the data area ({@code 8 + N}). */
    public long dataStart() {
        return 8 + headerLength;
    }

    /** The {@code __metadata__} map in header order; empty when absent. Unmodifiable. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors, in the order of their bytes in the data area. Unmodifiable. */
    public List<TensorInfo> tensors() {
        return tensors;
    }

    /** Whether a tensor of this name exists. */
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** The tensor of this name, if present. */
    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /**
     * The tensor of this name.
     *
     * @throws TensorFileException naming the file and the tensors it has, if there is no such tensor
     */
    public TensorInfo tensor(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            String names = tensors.stream().limit(20).map(TensorInfo::name).collect(Collectors.joining("', '", "'", "'"));
            throw new TensorFileException(path, -1, "no tensor named '" + name + "'; the file has "
                    + tensors.size() + " tensor(s)" + (tensors.isEmpty() ? "" : ": " + names
                    + (tensors.size() > 20 ? ", ..." : "")));
        }
        return t;
    }

    /**
     * Reads a whole tensor as float32 values, row-major.
     *
     * @throws TensorFileException if there is no such tensor, its dtype cannot be read as float
     *                             ({@link DType#decodable()}), it has more than {@code 2^31 - 16}
     *                             elements (use {@link #map(String, long, int)} then), or reading fails
     */
    public float[] readFloats(String name) {
        TensorInfo t = tensor(name);
        int count = checkReadable(t);
        float[] out = new float[count];
        readInto(t, out, null, 0, count);
        return out;
    }

    /**
     * Reads a whole tensor as float32 values, row-major, into {@code dst} starting at its position, and
     * advances the position by the element count.
     *
     * @throws TensorFileException      as {@link #readFloats(String)}
     * @throws IllegalArgumentException if {@code dst} has fewer remaining elements than the tensor
     */
    public void readFloats(String name, FloatBuffer dst) {
        TensorInfo t = tensor(name);
        int count = checkReadable(t);
        if (dst.remaining() < count) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + count + " elements but the buffer has room for "
                    + dst.remaining());
        }
        readInto(t, null, dst, 0, count);
    }

    /**
     * Reads {@code dst.remaining()} elements of a tensor as float32, starting at element {@code offset}, into
     * {@code dst}, advancing its position: reads any tensor in chunks, however large.
     *
     * @param name   tensor name
     * @param offset first element to read
     * @param dst    destination
     * @throws TensorFileException       if there is no such tensor, its dtype cannot be read as float, or reading fails
     * @throws IndexOutOfBoundsException if the range is not inside the tensor
     */
    public void readFloats(String name, long offset, FloatBuffer dst) {
        TensorInfo t = tensor(name);
        if (!t.dtype().decodable()) {
            checkReadable(t);
        }
        long count = dst.remaining();
        if (offset < 0 || offset > t.elementCount() - count) {
            throw new IndexOutOfBoundsException("elements [" + offset + ", " + offset + " + " + count
                    + ") are outside tensor '" + name + "' of " + t.elementCount() + " elements in " + path);
        }
        readInto(t, null, dst, offset, count);
    }

    /**
     * Maps a whole tensor's bytes read-only, in little-endian order. The mapping is released when the buffer
     * is garbage collected.
     *
     * @throws TensorFileException if there is no such tensor, it is larger than 2 GiB (map it in ranges with
     *                             {@link #map(String, long, int)}), or mapping fails
     */
    public ByteBuffer map(String name) {
        TensorInfo t = tensor(name);
        if (t.byteSize() > Integer.MAX_VALUE) {
            throw new TensorFileException(path, t.fileOffset(), "tensor '" + name + "' is " + t.byteSize()
                    + " bytes, more than one buffer can map; map it in ranges with map(name, offset, length)");
        }
        return map(name, 0, (int) t.byteSize());
    }

    /**
     * Maps {@code length} bytes of a tensor starting {@code offset} bytes into it, read-only, little-endian.
     *
     * @throws TensorFileException       if there is no such tensor or mapping fails
     * @throws IndexOutOfBoundsException if the range is not inside the tensor
     */
    public ByteBuffer map(String name, long offset, int length) {
        TensorInfo t = tensor(name);
        if (offset < 0 || length < 0 || offset > t.byteSize() - length) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + offset + " + " + length
                    + ") is outside tensor '" + name + "' of " + t.byteSize() + " bytes");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, t.fileOffset() + offset, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException | RuntimeException e) {
            throw new TensorFileException(path, t.fileOffset() + offset, "cannot map " + length + " bytes of tensor '"
                    + name + "': " + e, e);
        }
    }

    /** Closes the file; idempotent. Buffers returned by {@link #map} stay valid. */
    @Override
    public void close() {
        closeQuietly(channel);
    }

    private int checkReadable(TensorInfo t) {
        if (!t.dtype().decodable()) {
            throw new TensorFileException(path, t.fileOffset(), "tensor '" + t.name() + "' has dtype " + t.dtype()
                    + ", which cannot be read as float32; readable dtypes are F32, F16, BF16, F64, I32, I64");
        }
        long count = t.elementCount();
        if (count > Integer.MAX_VALUE - 16) {
            throw new TensorFileException(path, t.fileOffset(), "tensor '" + t.name() + "' has " + count
                    + " elements, more than one Java array holds; read it in ranges through map(name, offset, length)");
        }
        return (int) count;
    }

    /** Decodes elements [first, first + total) of the tensor into the array (from 0) or the buffer. */
    private void readInto(TensorInfo t, float[] outArray, FloatBuffer outBuffer, long first, long total) {
        int es = t.dtype().byteSize();
        int chunkElems = READ_CHUNK_BYTES / es;
        ByteBuffer buf = ByteBuffer.allocateDirect((int) Math.max(es, Math.min((long) chunkElems * es, total * es)))
                .order(ByteOrder.LITTLE_ENDIAN);
        float[] tmp = outBuffer != null ? new float[(int) Math.max(1, Math.min(chunkElems, total))] : null;
        long done = 0;
        while (done < total) {
            int n = (int) Math.min(chunkElems, total - done);
            buf.clear().limit(n * es);
            long pos = t.fileOffset() + (first + done) * es;
            try {
                readFully(path, channel, buf, pos);
            } catch (IOException e) {
                throw new TensorFileException(path, pos, "cannot read tensor '" + t.name() + "': " + e, e);
            }
            if (outArray != null) {
                t.dtype().decode(buf, 0, outArray, (int) done, n);
            } else {
                t.dtype().decode(buf, 0, tmp, 0, n);
                outBuffer.put(tmp, 0, n);
            }
            done += n;
        }
    }

    /** Reads {@code dst.remaining()} bytes at {@code position}; a short file is a {@link TensorFileException}. */
    static void readFully(Path path, FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) {
                throw new TensorFileException(path, pos, "unexpected end of file; the file is truncated or was"
                        + " truncated while open");
            }
            pos += r;
        }
    }

    static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // nothing useful to do
        }
    }

    // ---------------------------------------------------------------------------------------------------
    // Header parsing

    private static final class Parsed {
        final Map<String, String> metadata = new LinkedHashMap<>();
        final List<TensorInfo> tensors = new ArrayList<>();
    }

    /** A tensor entry while parsing: where its key was, for messages. */
    private static final class Entry {
        String name;
        long keyOffset;
        DType dtype;
        long[] shape;
        long begin = -1;
        long end = -1;
    }

    private static Parsed parseHeader(Path path, byte[] header, long dataSize, long dataStart) {
        if (header[0] != '{') {
            throw new TensorFileException(path, 8, "header does not start with '{' (found byte 0x"
                    + Integer.toHexString(header[0] & 0xff) + "); the file is corrupt or not a safetensors file");
        }
        Parsed out = new Parsed();
        List<Entry> entries = new ArrayList<>();
        try (JsonParser p = JSON.createParser(header)) {
            expect(path, p, p.nextToken(), JsonToken.START_OBJECT, "the header");
            JsonToken tok;
            while ((tok = p.nextToken()) == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                long keyOffset = offset(p);
                JsonToken value = p.nextToken();
                if (METADATA_KEY.equals(key)) {
                    expect(path, p, value, JsonToken.START_OBJECT, "field __metadata__ (an object of strings)");
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String mk = p.currentName();
                        JsonToken mv = p.nextToken();
                        if (mv != JsonToken.VALUE_STRING) {
                            throw new TensorFileException(path, offset(p), "__metadata__ value of '" + mk
                                    + "' is " + describe(mv) + ", but metadata values must be strings");
                        }
                        out.metadata.put(mk, p.getText());
                    }
                } else {
                    Entry e = new Entry();
                    e.name = key;
                    e.keyOffset = keyOffset;
                    expect(path, p, value, JsonToken.START_OBJECT, "tensor '" + key + "'");
                    parseEntry(path, p, e);
                    entries.add(e);
                }
            }
            expect(path, p, tok, JsonToken.END_OBJECT, "the header");
            JsonToken trailing = p.nextToken();
            if (trailing != null) {
                throw new TensorFileException(path, offset(p), "unexpected content after the header's JSON object ("
                        + describe(trailing) + "); only space padding may follow it");
            }
        } catch (JsonProcessingException e) {
            JsonLocation loc = e.getLocation();
            long at = loc != null && loc.getByteOffset() >= 0 ? 8 + loc.getByteOffset() : 8;
            throw new TensorFileException(path, at, "header is not valid JSON: " + e.getOriginalMessage()
                    + "; the file is corrupt or not a safetensors file", e);
        } catch (IOException e) {
            throw new TensorFileException(path, 8, "cannot parse header: " + e, e);
        } catch (TensorFileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TensorFileException(path, 8, "cannot parse header: " + e, e);
        }
        checkLayout(path, entries, dataSize, dataStart, out);
        return out;
    }

    private static void parseEntry(Path path, JsonParser p, Entry e) throws IOException {
        String where = "tensor '" + e.name + "'";
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "dtype":
                    expect(path, p, v, JsonToken.VALUE_STRING, where + " field dtype");
                    String d = p.getText();
                    e.dtype = DType.fromSafetensorsName(d);
                    if (e.dtype == null) {
                        throw new TensorFileException(path, offset(p), where + ": unsupported dtype '" + truncate(d)
                                + "'; supported are BOOL, U8, I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64");
                    }
                    break;
                case "shape": {
                    expect(path, p, v, JsonToken.START_ARRAY, where + " field shape");
                    List<Long> dims = new ArrayList<>();
                    JsonToken t;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        dims.add(nonNegative(path, p, t, where + " field shape"));
                        if (dims.size() > 64) {
                            throw new TensorFileException(path, offset(p), where + ": shape has more than 64 dimensions");
                        }
                    }
                    e.shape = dims.stream().mapToLong(Long::longValue).toArray();
                    break;
                }
                case "data_offsets": {
                    expect(path, p, v, JsonToken.START_ARRAY, where + " field data_offsets");
                    long[] offs = new long[2];
                    int n = 0;
                    JsonToken t;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        long x = nonNegative(path, p, t, where + " field data_offsets");
                        if (n == 2) {
                            throw new TensorFileException(path, offset(p), where + ": data_offsets must hold exactly two numbers [begin, end]");
                        }
                        offs[n++] = x;
                    }
                    if (n != 2) {
                        throw new TensorFileException(path, offset(p), where + ": data_offsets must hold exactly two numbers [begin, end]");
                    }
                    if (offs[1] < offs[0]) {
                        throw new TensorFileException(path, offset(p), where + ": data_offsets [" + offs[0] + ", " + offs[1]
                                + "] end before they begin");
                    }
                    e.begin = offs[0];
                    e.end = offs[1];
                    break;
                }
                default:
                    throw new TensorFileException(path, offset(p), where + ": unknown field '" + truncate(field)
                            + "'; a tensor entry has exactly dtype, shape and data_offsets");
            }
        }
        String missing = e.dtype == null ? "dtype" : e.shape == null ? "shape" : e.begin < 0 ? "data_offsets" : null;
        if (missing != null) {
            throw new TensorFileException(path, e.keyOffset, where + ": missing field " + missing);
        }
    }

    private static void checkLayout(Path path, List<Entry> entries, long dataSize, long dataStart, Parsed out) {
        for (Entry e : entries) {
            long elements = 1;
            try {
                for (long d : e.shape) {
                    elements = Math.multiplyExact(elements, d);
                }
                long bytes = Math.multiplyExact(elements, (long) e.dtype.byteSize());
                if (bytes != e.end - e.begin) {
                    throw new TensorFileException(path, e.keyOffset, "tensor '" + e.name + "': shape "
                            + java.util.Arrays.toString(e.shape) + " of " + e.dtype + " needs " + bytes
                            + " bytes but data_offsets [" + e.begin + ", " + e.end + "] span " + (e.end - e.begin));
                }
            } catch (ArithmeticException ex) {
                throw new TensorFileException(path, e.keyOffset, "tensor '" + e.name + "': shape "
                        + java.util.Arrays.toString(e.shape) + " overflows a 64-bit byte count");
            }
        }
        entries.sort(Comparator.comparingLong((Entry x) -> x.begin).thenComparingLong(x -> x.end));
        long expected = 0;
        Entry prev = null;
        for (Entry e : entries) {
            if (e.begin < expected) {
                throw new TensorFileException(path, e.keyOffset, "tensor '" + e.name + "' data_offsets ["
                        + e.begin + ", " + e.end + "] overlap tensor '" + prev.name + "' [" + prev.begin + ", "
                        + prev.end + "]; the header is corrupt");
            }
            if (e.begin > expected) {
                throw new TensorFileException(path, e.keyOffset, "tensor '" + e.name + "' starts at data offset "
                        + e.begin + " but the previous tensor ends at " + expected + ": a gap of "
                        + (e.begin - expected) + " bytes; safetensors data must be contiguous");
            }
            if (e.end > dataSize) {
                throw new TensorFileException(path, dataStart + e.begin, "tensor '" + e.name + "' data_offsets ["
                        + e.begin + ", " + e.end + "] run past the end of the data area (" + dataSize
                        + " bytes); the file is truncated");
            }
            out.tensors.add(new TensorInfo(e.name, e.dtype, e.shape, e.begin, e.end, dataStart + e.begin));
            expected = e.end;
            prev = e;
        }
        if (expected != dataSize) {
            throw new TensorFileException(path, dataStart + expected, (dataSize - expected)
                    + " trailing bytes after the last tensor's data; the file is corrupt or was appended to");
        }
    }

    private static long nonNegative(Path path, JsonParser p, JsonToken t, String where) throws IOException {
        if (t != JsonToken.VALUE_NUMBER_INT) {
            throw new TensorFileException(path, offset(p), where + ": expected a non-negative integer, found " + describe(t));
        }
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new TensorFileException(path, offset(p), where + ": number " + truncate(p.getText()) + " is too large");
        }
        long x = p.getLongValue();
        if (x < 0) {
            throw new TensorFileException(path, offset(p), where + ": expected a non-negative integer, found " + x);
        }
        return x;
    }

    private static void expect(Path path, JsonParser p, JsonToken actual, JsonToken expected, String what) {
        if (actual != expected) {
            throw new TensorFileException(path, offset(p), what + ": expected " + describe(expected) + ", found "
                    + describe(actual) + "; the header is corrupt");
        }
    }

    /** Absolute file offset of the parser's current token (the header starts at byte 8). */
    private static long offset(JsonParser p) {
        long b = p.currentTokenLocation().getByteOffset();
        return b >= 0 ? 8 + b : 8;
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "end of header";
        }
        switch (t) {
            case START_OBJECT: return "an object";
            case END_OBJECT: return "'}'";
            case START_ARRAY: return "an array";
            case END_ARRAY: return "']'";
            case FIELD_NAME: return "a field name";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT: return "an integer";
            case VALUE_NUMBER_FLOAT: return "a fractional number";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.toString();
        }
    }

    private static String truncate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 60) + "...";
    }
}
