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
