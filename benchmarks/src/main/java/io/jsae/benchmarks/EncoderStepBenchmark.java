package io.jsae.benchmarks;

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
 * The encoder of a topk SAE on a batch (GEMM and per-row top-k), with the implementation as a parameter:
 * <ul>
 *   <li>{@code jsae}: the CPU backend's forward pass, {@code DeviceSae.evaluate}, the narrowest public entry that
 *       encodes: it also decodes sparsely and sums the reconstruction error and firing counts;</li>
 *   <li>{@code torchForward}: the same work on plain libtorch ({@link TorchBaselineSae#forward}: {@code matmul},
 *       {@code topk}, a dense {@code scatter}, the dense decoder {@code matmul}, the error);</li>
 *   <li>{@code torchEncode}: only libtorch's {@code addmm} and {@code topk} ({@link TorchBaselineSae#encode}),
 *       less work than jsae's entry does, as a lower reference.</li>
 * </ul>
 * Each side uses all available processors: jsae its own threads, libtorch its intra-op pool. Inputs are a few
 * standard-normal batches, copied into the SAE's input buffer before each jsae call as the trainer does.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar EncoderStepBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class EncoderStepBenchmark {

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

    /** The implementation: {@code jsae}, {@code torchForward} or {@code torchEncode}. */
    @Param({"jsae", "torchForward", "torchEncode"})
    public String impl;

    private RandomBatches xs;
    private JsaeCpuSae jsae;
    private TorchBaselineSae torchSae;
    private long call;

    /** Draws the batches and builds the chosen side. */
    @Setup(Level.Trial)
    public void setUp() {
        int threads = Runtime.getRuntime().availableProcessors();
        xs = new RandomBatches(4, batch, dIn);
        switch (impl) {
            case "jsae" -> jsae = new JsaeCpuSae(dIn, dSae, k, batch, threads);
            case "torchForward", "torchEncode" -> {
                torch.set_num_threads(threads);
                torchSae = new TorchBaselineSae(dIn, dSae, k);
            }
            default -> throw new IllegalArgumentException("unknown impl " + impl);
        }
    }

    /** Releases the side and the batches. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (jsae != null) {
            jsae.close();
        }
        if (torchSae != null) {
            torchSae.close();
        }
        xs.close();
    }

    /**
     * Encodes the next batch.
     *
     * @return the side's result (summed squared error, or the sum of the kept values)
     */
    @Benchmark
    public double encode() {
        long i = call++;
        return switch (impl) {
            case "jsae" -> jsae.evaluate(xs.buffer(i));
            case "torchForward" -> torchSae.forward(xs.tensor(i));
            default -> torchSae.encode(xs.tensor(i));
        };
    }
}
