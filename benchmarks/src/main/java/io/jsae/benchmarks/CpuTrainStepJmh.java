package io.jsae.benchmarks;

import org.bytedeco.javacpp.PointerScope;
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

import java.util.concurrent.TimeUnit;

/**
 * The CPU training step of {@link CpuTrainStepBenchmark} under JMH, with the side as a parameter:
 * <ul>
 *   <li>{@code jsae}: one step of the CPU backend ({@link JsaeCpuSae#trainStep});</li>
 *   <li>{@code baseline}: the same step written by hand on libtorch ({@link TorchBaselineSae#trainStep}), the
 *       baseline of {@link CpuTrainStepBenchmark};</li>
 *   <li>{@code gemm}: the encoder GEMM alone ({@code addmm} with libtorch's threads), the dense part of the
 *       floor that {@link CpuTrainStepBenchmark} prints (its other part, the least memory traffic, is computed
 *       from the copy bandwidth and is not timed here).</li>
 * </ul>
 * Each side runs in its own fork, so the ratio of two scores compares runs minutes apart; on a loaded machine
 * the main of {@link CpuTrainStepBenchmark}, which times both sides in one run, gives the steadier ratio.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar CpuTrainStepJmh -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class CpuTrainStepJmh {

    /** Input width. */
    @Param("768")
    public int dIn;

    /** Latents. */
    @Param("12288")
    public int dSae;

    /** Latents kept per row. */
    @Param("32")
    public int k;

    /** Rows per batch. */
    @Param("1024")
    public int batch;

    /** The side: {@code jsae}, {@code baseline} or {@code gemm}. */
    @Param({"jsae", "baseline", "gemm"})
    public String side;

    private RandomBatches xs;
    private JsaeCpuSae jsae;
    private TorchBaselineSae baseline;
    private Tensor wEnc;
    private Tensor bEnc;
    private Tensor pre;
    private long step;

    /** Draws the batches and builds the chosen side. */
    @Setup(Level.Trial)
    public void setUp() {
        int threads = Runtime.getRuntime().availableProcessors();
        xs = new RandomBatches(4, batch, dIn);
        switch (side) {
            case "jsae" -> jsae = new JsaeCpuSae(dIn, dSae, k, batch, threads);
            case "baseline" -> {
                torch.set_num_threads(threads);
                baseline = new TorchBaselineSae(dIn, dSae, k);
            }
            case "gemm" -> {
                torch.set_num_threads(threads);
                wEnc = torch.randn(dSae, dIn);
                bEnc = torch.zeros(dSae);
                pre = torch.empty(batch, dSae);
            }
            default -> throw new IllegalArgumentException("unknown side " + side);
        }
    }

    /** Releases the side and the batches. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (jsae != null) {
            jsae.close();
        }
        if (baseline != null) {
            baseline.close();
        }
        for (Tensor t : new Tensor[] {wEnc, bEnc, pre}) {
            if (t != null) {
                t.close();
            }
        }
        xs.close();
    }

    /** One step (or one encoder GEMM) on the next batch. */
    @Benchmark
    public void step() {
        long i = step++;
        switch (side) {
            case "jsae" -> jsae.trainStep(xs.buffer(i));
            case "baseline" -> baseline.trainStep(xs.tensor(i));
            default -> {
                try (PointerScope scope = new PointerScope()) {
                    torch.addmm_out(pre, bEnc, xs.tensor(i), wEnc.t());
                }
            }
        }
    }
}
