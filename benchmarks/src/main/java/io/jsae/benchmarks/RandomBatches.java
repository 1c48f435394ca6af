package io.jsae.benchmarks;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.nio.FloatBuffer;

/**
 * A few standard-normal batches as libtorch tensors, with float views of the same memory for jsae, so that both
 * sides of a comparison read identical inputs. Cycled through so that no side runs on a single cached batch.
 */
public final class RandomBatches implements AutoCloseable {
    private final Tensor[] tensors;
    private final FloatBuffer[] buffers;

    /**
     * @param count batches
     * @param rows  rows per batch
     * @param dIn   row width
     */
    public RandomBatches(int count, int rows, int dIn) {
        torch.manual_seed(7);
        tensors = new Tensor[count];
        buffers = new FloatBuffer[count];
        for (int i = 0; i < count; i++) {
            tensors[i] = torch.randn(rows, dIn);
            buffers[i] = tensors[i].data_ptr_float().capacity((long) rows * dIn).asBuffer();
        }
    }

    /** @return how many batches there are */
    public int count() {
        return tensors.length;
    }

    /**
     * @param i any index; taken modulo {@link #count()}
     * @return that batch as a tensor
     */
    public Tensor tensor(long i) {
        return tensors[(int) Math.floorMod(i, (long) tensors.length)];
    }

    /**
     * @param i any index; taken modulo {@link #count()}
     * @return the same batch as {@link #tensor(long)}, as a view of its floats
     */
    public FloatBuffer buffer(long i) {
        return buffers[(int) Math.floorMod(i, (long) buffers.length)];
    }

    @Override
    public void close() {
        for (Pointer t : tensors) {
            t.close();
        }
    }
}
