package io.jsae.core.data;

import io.jsae.core.io.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the pieces of a {@link ReadJob}: rows of validated shards, into their places in the caller's buffer, as
 * float32 or as stored. Two ways:
 * <ul>
 *   <li>From {@link ShardMappings} (the default where the native library loads on a little-endian machine): one
 *       native call per piece copies its rows out of the mapping into their places (consecutive or scattered),
 *       widening float16/bfloat16 to float32 where asked, checking every value for NaN and infinity in the
 *       same pass, with non-temporal stores for large batches ({@link NativeDecoding#copyRows}).</li>
 *   <li>With positional {@link FileChannel#read(ByteBuffer, long)}, or one scattering
 *       {@link FileChannel#read(ByteBuffer[], int, int)} per piece for rows going to scattered places: the kernel
 *       copies the rows into place and they are checked afterwards; float16/bfloat16 rows to be widened are read
 *       into a scratch buffer and converted into place.</li>
 * </ul>
 * A destination the native code cannot write (a heap buffer, floats in the other byte order) is filled by
 * {@link Decoding} from the mapping or the scratch buffer.
 *
 * <p>Keeps at most {@value #MAX_OPEN} channels open ({@link ShardChannels}). Each loading thread owns its own
 * reader: confined to one thread. The mappings are shared.
 */
final class PieceReader implements AutoCloseable {

    private static final int MAX_OPEN = 32;
    private static final boolean LITTLE_ENDIAN_MACHINE = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private final List<ShardSpec> shards;
    private final ShardMappings mappings; // null: positional reads
    private final ShardChannels channels; // for positional reads
    private int[] badRows = new int[64];
    private ByteBuffer scratch;
    private long[] offsets = new long[64];
    private boolean closed;

    /** A reader of {@code shards}, from {@code mappings} or, if that is null, with positional reads. */
    PieceReader(List<ShardSpec> shards, ShardMappings mappings) {
        this.shards = shards;
        this.mappings = mappings;
        this.channels = new ShardChannels(shards, MAX_OPEN);
    }

    /**
     * Reads piece {@code k} of {@code job} into its destination rows and returns the piece's rows (0-based,
     * ascending) holding NaN or infinity, or null. With mappings, copies them ({@link #copyPiece}). Otherwise rows
     * passed on as stored, and float32 rows of a little-endian machine going to a direct float buffer, are read
     * straight into place (one positional read, or one scattering read for a shuffle span's rows); every other
     * case is read into a scratch buffer and converted row by row into place.
     *
     * @throws ActivationDataException naming the file and offset if the file changed or cannot be read
     */
    int[] readPiece(ReadJob job, int k) {
        if (mappings != null) {
            return copyPiece(job, k);
        }
        int s = job.shard[k];
        ShardSpec spec = shards.get(s);
        int n = job.count[k];
        int dIn = job.dIn;
        long position = spec.dataOffset() + job.shardRow[k] * spec.rowBytes();
        FileChannel ch = channels.checked(s);
        int[] bad = null;
        int badCount = 0;
        if (job.stored || (spec.dtype() == DType.F32 && LITTLE_ENDIAN_MACHINE && job.bytes != null)) {
            // the file's bytes are the destination's bytes: read them into place
            int rowBytes = Math.toIntExact(spec.rowBytes());
            if (job.scatter[k] == null) {
                int at = job.byteIndex(job.firstRow[k]);
                fill(s, spec, ch, job.bytes.duplicate().limit(at + n * rowBytes).position(at), position);
            } else {
                ByteBuffer[] rows = new ByteBuffer[n];
                for (int j = 0; j < n; j++) {
                    rows[j] = job.bytes.slice(job.byteIndex(job.scatter[k][j]), rowBytes);
                }
                scatter(s, spec, ch, rows, position);
            }
            // consecutive rows are checked in one pass, scattered ones in one call, and one by one only if that
            // finds something
            boolean suspect = job.scatter[k] == null
                    ? Decoding.anyNonFinite(spec.dtype(), job.bytes, job.byteIndex(job.firstRow[k]), n * dIn)
                    : Decoding.anyNonFiniteRow(spec.dtype(), job.bytes, rowOffsets(job, k), n, dIn);
            for (int j = 0; j < n && suspect; j++) {
                if (Decoding.anyNonFinite(spec.dtype(), job.bytes, job.byteIndex(job.destinationRow(k, j)), dIn)) {
                    bad = addBad(bad, badCount++, j, n);
                }
            }
        } else {
            int fileRowBytes = Math.toIntExact(spec.rowBytes());
            ByteBuffer raw = scratch(Math.toIntExact((long) n * fileRowBytes));
            fill(s, spec, ch, raw, position);
            for (int j = 0; j < n; j++) {
                if (Decoding.toFloat32(spec.dtype(), raw, j * fileRowBytes, job.floats,
                        job.index(job.destinationRow(k, j)), dIn)) {
                    bad = addBad(bad, badCount++, j, n);
                }
            }
        }
        return bad == null ? null : Arrays.copyOf(bad, badCount);
    }

    /** {@link #readPiece} from the mappings. */
    private int[] copyPiece(ReadJob job, int k) {
        int s = job.shard[k];
        ShardSpec spec = shards.get(s);
        int n = job.count[k];
        int dIn = job.dIn;
        long rowBytes = spec.rowBytes();
        long position = spec.dataOffset() + job.shardRow[k] * rowBytes;
        ShardMappings.Window window = mappings.window(s, position, n * rowBytes);
        int at = Math.toIntExact(position - window.fileOffset());
        if (job.bytes == null || !job.bytes.isDirect()) { // a heap buffer, or floats in the other byte order
            int[] bad = null;
            int badCount = 0;
            for (int j = 0; j < n; j++) {
                int from = at + j * (int) rowBytes;
                int to = job.index(job.destinationRow(k, j));
                boolean nonFinite;
                if (job.stored) {
                    job.bytes.put(to, window.buffer(), from, (int) rowBytes);
                    nonFinite = Decoding.anyNonFinite(spec.dtype(), job.bytes, to, dIn);
                } else {
                    nonFinite = Decoding.toFloat32(spec.dtype(), window.buffer(), from, job.floats, to, dIn);
                }
                if (nonFinite) {
                    bad = addBad(bad, badCount++, j, n);
                }
            }
            return bad == null ? null : Arrays.copyOf(bad, badCount);
        }
        if (badRows.length < n) {
            badRows = new int[Math.max(n, 2 * badRows.length)];
        }
        boolean widen = !job.stored && spec.dtype() != DType.F32;
        long[] to = job.scatter[k] == null ? null : rowOffsets(job, k);
        long first = job.scatter[k] == null ? job.byteIndex(job.firstRow[k]) : 0;
        long t0 = System.nanoTime();
        int badCount = NativeDecoding.copyRows(window.buffer(), at, job.bytes, first, to, n, dIn, spec.dtype(), widen,
                job.streaming, badRows);
        if (n * rowBytes >= ShardMappings.TIMED_PIECE_BYTES) { // the time of a smaller copy says little
            mappings.noteCopy(n * rowBytes, System.nanoTime() - t0);
        }
        return badCount == 0 ? null : Arrays.copyOf(badRows, badCount);
    }

    /** Byte offsets of the destination rows of scattered piece {@code k}, in a reused array. */
    private long[] rowOffsets(ReadJob job, int k) {
        int n = job.count[k];
        if (offsets.length < n) {
            offsets = new long[Math.max(n, 2 * offsets.length)];
        }
        for (int j = 0; j < n; j++) {
            offsets[j] = job.byteIndex(job.scatter[k][j]);
        }
        return offsets;
    }

    private static int[] addBad(int[] bad, int at, int row, int max) {
        int[] out = bad == null ? new int[Math.min(max, 16)] : at == bad.length ? Arrays.copyOf(bad, Math.min(max, at * 2)) : bad;
        out[at] = row;
        return out;
    }

    /** Fills every buffer of {@code rows} in turn from the file's bytes at {@code position} on. */
    private void scatter(int s, ShardSpec spec, FileChannel ch, ByteBuffer[] rows, long position) {
        long p = position;
        int first = 0;
        try {
            ch.position(position);
            while (first < rows.length) {
                long n = ch.read(rows, first, rows.length - first);
                if (n < 0) {
                    throw changed(spec, ch);
                }
                p += n;
                while (first < rows.length && !rows[first].hasRemaining()) {
                    first++;
                }
            }
        } catch (ClosedByInterruptException e) {
            channels.drop(s);
            throw new ActivationDataException(spec.file() + " (byte " + p + "): interrupted while reading " + spec.label(), e);
        } catch (IOException e) {
            channels.drop(s);
            throw new ActivationDataException(spec.file() + " (byte " + p + "): cannot read " + spec.label() + ": " + e, e);
        }
    }

    /** Fills {@code dst} from the file's bytes at {@code position} on. */
    private void fill(int s, ShardSpec spec, FileChannel ch, ByteBuffer dst, long position) {
        scatter(s, spec, ch, new ByteBuffer[] {dst}, position);
    }

    private static ActivationDataException changed(ShardSpec spec, FileChannel ch) {
        long size;
        try {
            size = ch.size();
        } catch (IOException e) {
            size = -1;
        }
        return ShardChannels.changed(spec, size);
    }

    private ByteBuffer scratch(int bytes) {
        if (scratch == null || scratch.capacity() < bytes) {
            DirectBuffers.free(scratch);
            scratch = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        }
        scratch.clear().limit(bytes);
        return scratch;
    }

    /** Closes every channel and frees the scratch buffer; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        channels.close();
        DirectBuffers.free(scratch);
        scratch = null;
    }
}
