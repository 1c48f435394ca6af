package io.jsae.core.train;

import io.jsae.core.backend.DeviceSae;
import io.jsae.core.data.ActivationSource;
import io.jsae.core.data.DirectBuffers;
import io.jsae.core.io.DType;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Reads a source's batches into a device SAE's input buffers, for the trainer and the evaluation. Rows go in
 * the type the SAE takes: as stored when the backend takes the source's stored type (the CPU and CUDA backends
 * widen float16/bfloat16 rows at the start of a step, so they cross host memory and the bus at half the bytes), otherwise as
 * float32. While the SAE works on one batch, the source may read the next into the SAE's
 * {@link DeviceSae#followingInputBuffer()} ({@link #readAhead}); the rows are the same with or without it, only
 * the time spent waiting for them changes.
 */
final class BatchReader {
    private final DeviceSae sae;
    private final ActivationSource source;
    private final DType inputType;
    private boolean readingAhead; // a readAhead that no read has taken yet
    // byte views of the SAE's two input buffers, made once each: a read-ahead is matched to its read by buffer
    private FloatBuffer viewed0;
    private ByteBuffer view0;
    private FloatBuffer viewed1;
    private ByteBuffer view1;

    BatchReader(DeviceSae sae, ActivationSource source) {
        this.sae = sae;
        this.source = source;
        DType stored = source.storedType();
        boolean undecoded = stored != DType.F32 && sae.inputTypes().contains(stored)
                && DirectBuffers.bytesOf(sae.inputBuffer()) != null;
        this.inputType = undecoded ? stored : DType.F32;
    }

    /** @return the type of the rows in the input buffer after {@link #read}: F32, or the source's stored type */
    DType inputType() {
        return inputType;
    }

    /** Reads up to {@code maxRows} rows into the SAE's input buffer; 0 at the end of the epoch. */
    int read(int maxRows) {
        FloatBuffer batch = sae.inputBuffer();
        int rows = inputType == DType.F32 ? source.read(batch, maxRows) : source.readStored(bytes(batch), maxRows);
        readingAhead = false; // the read took the read-ahead, or stopped it
        return rows;
    }

    /** Lets the source read the next batch, of up to {@code maxRows} rows, into the SAE's following input buffer. */
    void readAhead(int maxRows) {
        FloatBuffer next = sae.followingInputBuffer();
        readingAhead = true;
        if (inputType == DType.F32) {
            source.readAhead(next, maxRows);
        } else {
            source.readAheadStored(bytes(next), maxRows);
        }
    }

    private ByteBuffer bytes(FloatBuffer buffer) {
        if (buffer != viewed0 && buffer != viewed1) {
            viewed1 = viewed0;
            view1 = view0;
            viewed0 = buffer;
            view0 = DirectBuffers.bytesOf(buffer);
        }
        return (buffer == viewed0 ? view0 : view1).clear();
    }

    /** @return whether a bounded source has no rows left in its current epoch (nothing to read ahead) */
    static boolean epochExhausted(ActivationSource source) {
        return source.rowsPerEpoch() >= 0 && source.position().row() >= source.rowsPerEpoch();
    }

    /**
     * Stops a read-ahead that no read will take, if there is one, so that the SAE's buffer may be written, read or
     * freed afterwards.
     */
    void cancelReadAhead() {
        if (readingAhead) {
            readingAhead = false;
            source.cancelReadAhead();
        }
    }

    /** {@link #cancelReadAhead()} while {@code failure} propagates: a further failure is added to it as suppressed. */
    void cancelReadAhead(Throwable failure) {
        try {
            cancelReadAhead();
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }
}
