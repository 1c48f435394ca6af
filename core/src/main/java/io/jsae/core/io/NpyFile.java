package io.jsae.core.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads 2-D NumPy {@code .npy} files of little-endian float32 ({@code '<f4'}) or float16 ({@code '<f2'})
 * values in C order, the layout of activation shards saved with {@code np.save(path, acts)} where
 * {@code acts} has shape {@code [tokens, d_in]}.
 *
 * <p>Format versions 1.0, 2.0 and 3.0 are read. Anything else throws {@link TensorFileException} naming
 * the file and byte offset: a wrong magic string, an unknown version, a header longer than
 * {@value #MAX_HEADER_BYTES} bytes or than the file, a header that is not the dictionary numpy writes
 * (keys {@code descr}, {@code fortran_order}, {@code shape}), another dtype (big-endian, float64,
 * structured), Fortran order, a shape that is not 2-D, or a data area shorter (truncated) or longer than
 * the shape claims. The shape is checked against the file length before anything is allocated.
 *
 * <p>{@link #readLabels} reads the other kind of {@code .npy} file the project takes: one integer label per
 * row (int32 or int64), with the same header checks.
 */
public final class NpyFile {

    /** Largest header accepted, in bytes. numpy writes well under 200 bytes for a 2-D array. */
    public static final int MAX_HEADER_BYTES = 1 << 20;

    static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private NpyFile() {
    }

    /**
     * Reads and validates the header of a {@code .npy} file, including that the file holds exactly the
     * data the header describes.
     *
     * @throws TensorFileException if the file cannot be read or is not a valid 2-D float32/float16 file
     */
    public static NpyHeader readHeader(Path path) {
        try (FileChannel ch = open(path)) {
            return readHeader(path, ch);
        } catch (IOException e) {
            throw new TensorFileException(path, -1, "cannot read .npy file: " + e, e);
        }
    }

    /**
     * Reads a whole file as float32 values, row-major ({@code rows * cols} of them).
     *
     * @throws TensorFileException if the file is invalid, holds more than {@code 2^31 - 16} values, or
     *                             cannot be read
     */
    public static float[] readFloats(Path path) {
        try (FileChannel ch = open(path)) {
            NpyHeader h = readHeader(path, ch);
            if (h.elementCount() > Integer.MAX_VALUE - 16) {
                throw new TensorFileException(path, h.dataOffset(), "shape (" + h.rows() + ", " + h.cols()
                        + ") holds more values than one Java array; read it through NpyActivationSource instead");
            }
            int total = (int) h.elementCount();
            float[] out = new float[total];
            int es = h.dtype().byteSize();
            int perChunk = (1 << 20) / es;
            ByteBuffer buf = ByteBuffer.allocateDirect(perChunk * es).order(ByteOrder.LITTLE_ENDIAN);
            for (int done = 0; done < total; ) {
                int n = Math.min(perChunk, total - done);
                buf.clear().limit(n * es);
                SafetensorsFile.readFully(path, ch, buf, h.dataOffset() + (long) done * es);
                h.dtype().decode(buf, 0, out, done, n);
                done += n;
            }
            return out;
        } catch (IOException e) {
            throw new TensorFileException(path, -1, "cannot read .npy file: " + e, e);
        }
    }

    /**
     * Reads a per-row label array: a 1-D {@code .npy} file of shape {@code (n,)}, or a 2-D one of shape
     * {@code (n, 1)}, of little-endian int32 ({@code '<i4'}) or int64 ({@code '<i8'}) values in C order, as
     * {@code np.save(path, labels.astype(np.int32))} writes. Each value must lie in {@code [0, maxLabel]}.
     *
     * @param path     the file
     * @param maxLabel the largest value allowed (the number of classes when 0 means "none")
     * @return the labels, one per row
     * @throws TensorFileException if the header is not such an array, the data area does not match the shape,
     *                             or a value lies outside {@code [0, maxLabel]} (naming the row and the value)
     */
    public static int[] readLabels(Path path, int maxLabel) {
        try (FileChannel ch = open(path)) {
            RawHeader raw = readRawHeader(path, ch);
            Map<String, Object> dict = raw.dict();
            int preamble = raw.preamble();
            raw.checkKeys(path);
            Object descr = dict.get("descr");
            Object fortran = dict.get("fortran_order");
            Object shape = dict.get("shape");
            int width;
            if ("<i4".equals(descr)) {
                width = 4;
            } else if ("<i8".equals(descr)) {
                width = 8;
            } else {
                throw new TensorFileException(path, preamble, "labels have dtype "
                        + (descr instanceof String d ? "'" + d + "'" : describe(descr))
                        + "; label files hold little-endian int32 '<i4' or int64 '<i8'; convert with"
                        + " labels.astype(np.int32)");
            }
            if (!Boolean.FALSE.equals(fortran)) {
                throw new TensorFileException(path, preamble, "'fortran_order' is " + describe(fortran)
                        + "; save the labels as a plain C-order array");
            }
            if (!(shape instanceof long[] dims) || !(dims.length == 1 || dims.length == 2 && dims[1] == 1)) {
                throw new TensorFileException(path, preamble, "labels have shape " + describe(shape)
                        + "; a label file holds one value per row, shape (rows,) or (rows, 1)");
            }
            long rows = dims[0];
            if (rows > Integer.MAX_VALUE - 16) {
                throw new TensorFileException(path, preamble, "labels have " + rows
                        + " rows, more than one Java array holds; split the data and its labels into parts");
            }
            long dataOffset = preamble + raw.headerLength();
            long available = raw.fileSize() - dataOffset;
            long needed = rows * width;
            if (needed != available) {
                throw new TensorFileException(path, dataOffset, "shape " + tuple(dims) + " of '" + descr + "' needs "
                        + needed + " bytes of data but the file holds " + available + "; the file is truncated or"
                        + " corrupt, re-create it");
            }
            int[] out = new int[(int) rows];
            int perChunk = (1 << 20) / width;
            ByteBuffer buf = ByteBuffer.allocateDirect(perChunk * width).order(ByteOrder.LITTLE_ENDIAN);
            for (int done = 0; done < out.length; ) {
                int n = Math.min(perChunk, out.length - done);
                buf.clear().limit(n * width);
                SafetensorsFile.readFully(path, ch, buf, dataOffset + (long) done * width);
                for (int r = 0; r < n; r++) {
                    long v = width == 4 ? buf.getInt(r * 4) : buf.getLong(r * 8);
                    if (v < 0 || v > maxLabel) {
                        throw new TensorFileException(path, dataOffset + (long) (done + r) * width, "row " + (done + r)
                                + " has label " + v + "; labels are 0 (none) or a class from 1 to " + maxLabel
                                + "; fix the file or name every class");
                    }
                    out[done + r] = (int) v;
                }
                done += n;
            }
            return out;
        } catch (IOException e) {
            throw new TensorFileException(path, -1, "cannot read .npy file: " + e, e);
        }
    }

    private static FileChannel open(Path path) {
        try {
            return FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            throw new TensorFileException(path, -1, "cannot open .npy file: " + e, e);
        }
    }

    /**
     * Reads and validates the header from an open channel (the file's length is taken from the channel).
     *
     * @throws TensorFileException if the header is invalid
     * @throws IOException         if reading fails
     */
    static NpyHeader readHeader(Path path, FileChannel ch) throws IOException {
        RawHeader raw = readRawHeader(path, ch);
        Map<String, Object> dict = raw.dict();
        int major = raw.major();
        int preamble = raw.preamble();
        long headerLen = raw.headerLength();
        long size = raw.fileSize();
        raw.checkKeys(path);
        Object descr = dict.get("descr");
        Object fortran = dict.get("fortran_order");
        Object shape = dict.get("shape");
        if (!(descr instanceof String)) {
            throw new TensorFileException(path, preamble, "'descr' is " + describe(descr)
                    + "; structured dtypes are not supported, save a plain float32 array");
        }
        DType dtype;
        switch ((String) descr) {
            case "<f4":
                dtype = DType.F32;
                break;
            case "<f2":
                dtype = DType.F16;
                break;
            default:
                throw new TensorFileException(path, preamble, "unsupported dtype descr '" + truncate((String) descr)
                        + "'; only little-endian float32 '<f4' and float16 '<f2' are read; convert with"
                        + " arr.astype('<f4')");
        }
        if (!(fortran instanceof Boolean)) {
            throw new TensorFileException(path, preamble, "'fortran_order' is " + describe(fortran) + ", not True or False");
        }
        if ((Boolean) fortran) {
            throw new TensorFileException(path, preamble, "fortran_order is True; only C-order arrays are read;"
                    + " save np.ascontiguousarray(arr) instead");
        }
        if (!(shape instanceof long[])) {
            throw new TensorFileException(path, preamble, "'shape' is " + describe(shape) + ", not a tuple of integers");
        }
        long[] dims = (long[]) shape;
        if (dims.length != 2) {
            throw new TensorFileException(path, preamble, "shape " + tuple(dims) + " is not 2-D; activation files"
                    + " hold [tokens, d_in]; reshape with arr.reshape(-1, d_in)");
        }
        if (dims[1] < 1 || dims[1] > Integer.MAX_VALUE / 8) {
            throw new TensorFileException(path, preamble, "shape " + tuple(dims) + " has width " + dims[1]
                    + "; the width (d_in) must be between 1 and " + Integer.MAX_VALUE / 8);
        }
        long dataOffset = preamble + headerLen;
        long dataBytes;
        try {
            dataBytes = Math.multiplyExact(Math.multiplyExact(dims[0], dims[1]), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw new TensorFileException(path, preamble, "shape " + tuple(dims) + " overflows a 64-bit byte count;"
                    + " the header is corrupt");
        }
        long available = size - dataOffset;
        if (dataBytes > available) {
            throw new TensorFileException(path, size, "truncated: shape " + tuple(dims) + " of '" + descr + "' needs "
                    + dataBytes + " bytes of data from byte " + dataOffset + " but the file holds only " + available
                    + "; re-create or re-download the file");
        }
        if (dataBytes < available) {
            throw new TensorFileException(path, dataOffset + dataBytes, (available - dataBytes)
                    + " trailing bytes after the data of shape " + tuple(dims) + "; the file is corrupt or was appended to");
        }
        return new NpyHeader(path, major, dtype, dims[0], (int) dims[1], dataOffset);
    }

    /** The parts of a header every reader needs: version, preamble and header lengths, and the parsed dictionary. */
    private record RawHeader(int major, int preamble, long headerLength, long fileSize, Map<String, Object> dict) {
        /** Requires exactly the three keys of a .npy header. */
        void checkKeys(Path path) {
            if (dict.size() != 3 || dict.get("descr") == null || dict.get("fortran_order") == null
                    || dict.get("shape") == null) {
                throw new TensorFileException(path, preamble, "header keys are " + dict.keySet()
                        + "; a .npy header has exactly 'descr', 'fortran_order' and 'shape'");
            }
        }
    }

    /** Reads the magic, version and header dictionary, checking only what every {@code .npy} file must satisfy. */
    private static RawHeader readRawHeader(Path path, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 10) {
            throw new TensorFileException(path, 0, "file is " + size + " bytes long, too short for a .npy header;"
                    + " it is truncated or not a .npy file");
        }
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        pre.limit((int) Math.min(12, size));
        SafetensorsFile.readFully(path, ch, pre, 0);
        for (int i = 0; i < MAGIC.length; i++) {
            if (pre.get(i) != MAGIC[i]) {
                throw new TensorFileException(path, i, "wrong magic: a .npy file starts with \\x93NUMPY; this is not a"
                        + " .npy file (an .npz archive must be unpacked first)");
            }
        }
        int major = pre.get(6) & 0xff;
        int minor = pre.get(7) & 0xff;
        long headerLen;
        int preamble;
        if (major == 1 && minor == 0) {
            headerLen = pre.getShort(8) & 0xffff;
            preamble = 10;
        } else if ((major == 2 || major == 3) && minor == 0) {
            if (size < 12) {
                throw new TensorFileException(path, 8, "file is " + size + " bytes long, too short for a version "
                        + major + " .npy header; it is truncated");
            }
            headerLen = pre.getInt(8) & 0xffffffffL;
            preamble = 12;
        } else {
            throw new TensorFileException(path, 6, "unsupported .npy format version " + major + "." + minor
                    + "; versions 1.0, 2.0 and 3.0 are read");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new TensorFileException(path, 8, "header length " + headerLen + " exceeds the limit of "
                    + MAX_HEADER_BYTES + " bytes; the file is corrupt");
        }
        if (headerLen > size - preamble) {
            throw new TensorFileException(path, 8, "header length " + headerLen + " runs past the end of the file ("
                    + size + " bytes); the file is truncated or corrupt");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        SafetensorsFile.readFully(path, ch, hb, preamble);
        String text;
        if (major == 3) {
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb.flip()).toString();
            } catch (CharacterCodingException e) {
                throw new TensorFileException(path, preamble, "header is not valid UTF-8; the file is corrupt", e);
            }
        } else {
            text = new String(hb.array(), StandardCharsets.ISO_8859_1);
        }
        return new RawHeader(major, preamble, headerLen, size, new DictParser(path, text, preamble).parse());
    }

    private static String describe(Object o) {
        if (o instanceof long[]) {
            return "the tuple " + tuple((long[]) o);
        }
        if (o instanceof String) {
            return "the string '" + truncate((String) o) + "'";
        }
        if (o instanceof List) {
            return "a list";
        }
        return String.valueOf(o);
    }

    static String tuple(long[] dims) {
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        return sb.append(dims.length == 1 ? ",)" : ")").toString();
    }

    private static String truncate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    /**
     * Parses the Python dict literal of a .npy header: string keys, values that are strings, True/False or
     * tuples of non-negative integers. Lists (structured dtypes) are recognised to give a clear error.
     */
    private static final class DictParser {
        private final Path path;
        private final String s;
        private final int base;
        private int i;

        DictParser(Path path, String s, int base) {
            this.path = path;
            this.s = s;
            this.base = base;
        }

        Map<String, Object> parse() {
            Map<String, Object> out = new LinkedHashMap<>();
            ws();
            expect('{');
            while (true) {
                ws();
                if (peek() == '}') {
                    i++;
                    break;
                }
                int keyAt = i;
                String key = string();
                ws();
                expect(':');
                ws();
                Object value = value();
                if (out.put(key, value) != null) {
                    throw error(keyAt, "duplicate key '" + truncate(key) + "'");
                }
                ws();
                char c = peek();
                if (c == ',') {
                    i++;
                } else if (c == '}') {
                    i++;
                    break;
                } else {
                    throw error(i, "expected ',' or '}' in the header dictionary");
                }
            }
            ws();
            if (i != s.length()) {
                throw error(i, "unexpected content after the header dictionary");
            }
            return out;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            if (c == '(') {
                return tuple();
            }
            if (c == '[') {
                skipList();
                return new ArrayList<>();
            }
            throw error(i, "unexpected value in the header dictionary");
        }

        private long[] tuple() {
            expect('(');
            List<Long> dims = new ArrayList<>();
            ws();
            if (peek() == ')') {
                i++;
                return new long[0];
            }
            while (true) {
                ws();
                dims.add(integer());
                if (dims.size() > 64) {
                    throw error(i, "shape has more than 64 dimensions");
                }
                ws();
                char c = peek();
                if (c == ',') {
                    i++;
                    ws();
                    if (peek() == ')') {
                        i++;
                        break;
                    }
                } else if (c == ')') {
                    i++;
                    break;
                } else {
                    throw error(i, "expected ',' or ')' in the shape tuple");
                }
            }
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        private long integer() {
            int start = i;
            long v = 0;
            while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                int d = s.charAt(i) - '0';
                if (v > (Long.MAX_VALUE - d) / 10) {
                    throw error(start, "shape dimension is too large");
                }
                v = v * 10 + d;
                i++;
            }
            if (i == start) {
                throw error(start, "expected a non-negative integer in the shape tuple");
            }
            if (i < s.length() && s.charAt(i) == 'L') {
                i++; // Python 2 long suffix
            }
            return v;
        }

        private void skipList() {
            int depth = 0;
            int start = i;
            while (i < s.length()) {
                char c = s.charAt(i++);
                if (c == '[') {
                    depth++;
                } else if (c == ']' && --depth == 0) {
                    return;
                }
            }
            throw error(start, "unterminated list in the header dictionary");
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw error(i, "expected a quoted string");
            }
            int start = ++i;
            while (i < s.length() && s.charAt(i) != q) {
                if (s.charAt(i) == '\\') {
                    throw error(i, "escape sequences are not supported in header strings");
                }
                i++;
            }
            if (i >= s.length()) {
                throw error(start - 1, "unterminated string in the header");
            }
            return s.substring(start, i++);
        }

        private void ws() {
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\n' || s.charAt(i) == '\t'
                    || s.charAt(i) == '\r')) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw error(i, "header ends unexpectedly");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error(i, "expected '" + c + "'");
            }
            i++;
        }

        private TensorFileException error(int at, String problem) {
            return new TensorFileException(path, base + at, "malformed .npy header: " + problem
                    + "; the file is corrupt or was not written by numpy");
        }
    }
}
