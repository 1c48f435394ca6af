package io.jsae.core.backend;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * One float32 tensor of a device SAE's state (a weight, an Adam moment), read and written in chunks so that
 * no model-sized copy ever lands on the Java heap: on the CPU a chunk is copied straight from or into the live
 * tensor; on a device it is staged through host memory. Sizes and offsets are {@code long}: a tensor may hold
 * more than 2^31 elements.
 */
public interface StateTensor {

    /** @return the tensor's name, e.g. {@code decoder_rows}, {@code adam_v.b_enc} (see {@link DeviceSae#STATE_TENSORS}) */
    String name();

    /** @return its shape, outermost first (a copy) */
    long[] shape();

    /** @return element count, the product of the shape */
    default long size() {
        return Arrays.stream(shape()).reduce(1, Math::multiplyExact);
    }

    /**
     * Copies {@code dst.remaining()} elements starting at element {@code offset} into {@code dst} and advances
     * its position.
     *
     * @param offset first element
     * @param dst    destination, heap or direct
     * @throws IndexOutOfBoundsException if the range leaves the tensor
     */
    void read(long offset, FloatBuffer dst);

    /**
     * Copies {@code src.remaining()} elements into the tensor starting at element {@code offset} and advances
     * the source's position. Takes effect before the next step.
     *
     * @param offset first element
     * @param src    source, heap or direct
     * @throws IndexOutOfBoundsException if the range leaves the tensor
     */
    void write(long offset, FloatBuffer src);

    /**
     * Copies between a tensor, from an element offset, and a buffer's remaining elements, advancing the buffer.
     * The range is already checked when it runs.
     */
    @FunctionalInterface
    interface ChunkCopy {
        /**
         * @param offset first element of the tensor
         * @param buffer source or destination; its position advances by what was copied
         */
        void copy(long offset, FloatBuffer buffer);
    }

    /**
     * A state tensor made of its two chunk copies, which a backend implements on its memory (a live host
     * tensor, device memory staged through the host). Ranges are checked before either copy runs.
     *
     * @param name  the tensor's name
     * @param shape its shape, outermost first
     * @param read  copies from the tensor into a buffer
     * @param write copies from a buffer into the tensor
     * @return the tensor view
     */
    static StateTensor of(String name, long[] shape, ChunkCopy read, ChunkCopy write) {
        long[] dims = shape.clone();
        long size = Arrays.stream(dims).reduce(1, Math::multiplyExact);
        return new StateTensor() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public long[] shape() {
                return dims.clone();
            }

            @Override
            public long size() {
                return size;
            }

            @Override
            public void read(long offset, FloatBuffer dst) {
                checkRange(this, offset, dst.remaining());
                read.copy(offset, dst);
            }

            @Override
            public void write(long offset, FloatBuffer src) {
                checkRange(this, offset, src.remaining());
                write.copy(offset, src);
            }
        };
    }

    /**
     * Checks a range against the tensor's size.
     *
     * @param t      the tensor
     * @param offset first element
     * @param count  elements
     * @throws IndexOutOfBoundsException if {@code [offset, offset + count)} is not inside the tensor
     */
    static void checkRange(StateTensor t, long offset, long count) {
        if (offset < 0 || count < 0 || offset > t.size() - count) {
            throw new IndexOutOfBoundsException("elements [" + offset + ", " + offset + " + " + count
                    + ") are outside state tensor '" + t.name() + "' of " + t.size() + " elements");
        }
    }
}
