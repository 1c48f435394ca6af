package io.jsae.benchmarks;

import io.jsae.core.backend.cpu.TopKRowsKernel;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * Per-row top-k selection over a batch of pre-activations ({@code rows × dSae}, standard normal), one thread,
 * with the implementation as a parameter:
 * <ul>
 *   <li>{@code jsae}: the CPU backend's native kernel, the one its topk step runs on each thread's rows (reached
 *       through {@link TopKRowsKernel}; it writes each row's k indices in ascending order);</li>
 *   <li>{@code torch}: libtorch's {@code topk(k, 1, largest, unsorted)}, the strongest plain way from Java
 *       (it also returns the values; its indices are not sorted);</li>
 *   <li>{@code javaHeap}: plain Java on a {@code float[]}: a {@link PriorityQueue} of the k best indices per
 *       row, then the indices sorted ascending as jsae's are.</li>
 * </ul>
 * One thread on every side (libtorch's intra-op pool is set to one thread), so the figures are the cost of the
 * selection per core; the step splits rows across its threads.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TopKSelectionBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Xmx3g")
public class TopKSelectionBenchmark {

    /** Rows in the batch (tokens). */
    @Param("4096")
    public int rows;

    /** Row width (latents). */
    @Param({"16384", "65536"})
    public int dSae;

    /** Entries kept per row. */
    @Param({"32", "64", "128"})
    public int k;

    /** The implementation: {@code jsae}, {@code torch} or {@code javaHeap}. */
    @Param({"jsae", "torch", "javaHeap"})
    public String impl;

    private Tensor pre;
    private FloatPointer prePointer;
    private IntPointer idx;
    private float[] preArray;
    private int[] idxArray;

    /** Loads the natives, draws the pre-activations and allocates the outputs of the chosen implementation. */
    @Setup(Level.Trial)
    public void setUp() {
        TopKRowsKernel.load();
        torch.set_num_threads(1);
        torch.manual_seed(11);
        pre = torch.randn(rows, dSae);
        prePointer = pre.data_ptr_float();
        switch (impl) {
            case "jsae" -> idx = new IntPointer((long) rows * k);
            case "torch" -> { }
            case "javaHeap" -> {
                preArray = new float[Math.multiplyExact(rows, dSae)];
                prePointer.get(preArray);
                idxArray = new int[rows * k];
            }
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        }
    }

    /** Releases the native memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (idx != null) {
            idx.close();
        }
        pre.close();
    }

    /**
     * Selects the top k of every row.
     *
     * @return one selected index, so that the work is used
     */
    @Benchmark
    public long select() {
        switch (impl) {
            case "jsae" -> {
                TopKRowsKernel.select(prePointer, dSae, k, idx, 0, rows);
                return idx.get((long) rows * k - 1);
            }
            case "torch" -> {
                try (PointerScope scope = new PointerScope()) {
                    T_TensorTensor_T top = pre.topk(k, 1, true, false);
                    return top.get1().data_ptr_long().get((long) rows * k - 1);
                }
            }
            default -> {
                selectWithHeap(preArray, rows, dSae, k, idxArray);
                return idxArray[rows * k - 1];
            }
        }
    }

    /**
     * The plain Java selection: per row a min-heap of the k best indices so far, then those indices sorted.
     *
     * @param pre  row-major values, {@code rows × dSae}
     * @param rows rows
     * @param dSae row width
     * @param k    entries kept per row
     * @param out  {@code rows × k} indices, each row's ascending
     */
    static void selectWithHeap(float[] pre, int rows, int dSae, int k, int[] out) {
        for (int r = 0; r < rows; r++) {
            int base = r * dSae;
            // Weakest first: the smaller value, and among equal values the larger index.
            PriorityQueue<Integer> heap = new PriorityQueue<>(k + 1, (a, b) -> {
                int c = Float.compare(pre[base + a], pre[base + b]);
                return c != 0 ? c : Integer.compare(b, a);
            });
            for (int j = 0; j < dSae; j++) {
                if (heap.size() < k) {
                    heap.add(j);
                } else if (pre[base + j] > pre[base + heap.peek()]) {
                    heap.poll();
                    heap.add(j);
                }
            }
            int o = r * k;
            for (int j : heap) {
                out[o++] = j;
            }
            Arrays.sort(out, r * k, r * k + k);
        }
    }

    /**
     * libtorch's selection with each row's indices sorted ascending, for comparing with the others.
     *
     * @param pre  {@code [rows, dSae]}
     * @param k    entries kept per row
     * @return {@code rows × k} indices
     */
    static int[] selectWithTorch(Tensor pre, int k) {
        try (PointerScope scope = new PointerScope()) {
            Tensor indices = pre.topk(k, 1, true, false).get1().contiguous();
            LongPointer p = indices.data_ptr_long();
            int[] out = new int[(int) indices.numel()];
            for (int i = 0; i < out.length; i++) {
                out[i] = (int) p.get(i);
            }
            for (int r = 0; r < out.length; r += k) {
                Arrays.sort(out, r, r + k);
            }
            return out;
        }
    }
}
