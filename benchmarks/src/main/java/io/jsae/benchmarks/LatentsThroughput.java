package io.jsae.benchmarks;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.eval.LatentLabelAnalysis;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Throughput of the labeled-span pass of {@code jsae latents} ({@link LatentLabelAnalysis}) against its parts and
 * the strongest plain way to get the same codes, in one run, on generated data (Gaussian rows, random labels over 3
 * classes, a random topk SAE: only speed is measured here; the detection quality is tested in core):
 *
 * <ul>
 *   <li>libtorch: {@code addmm} + {@code topk} on the same weights in batches of 1,024 rows (all cores), the
 *       strongest plain encode;</li>
 *   <li>heap encode: {@code SparseAutoencoder.encodeInParallel} (blocks of 32 rows on all cores), as the commands do;</li>
 *   <li>the pass: the heap encode plus {@link LatentLabelAnalysis#add} (histograms and the detectors' samples);</li>
 *   <li>the detectors: {@link LatentLabelAnalysis#finish} (exact scores, the probe), timed apart.</li>
 * </ul>
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.jsae.benchmarks.LatentsThroughput [d_in 256] [d_sae 4096] [k 32] [rows 8192]
 * </pre>
 */
public final class LatentsThroughput {
    private LatentsThroughput() {
    }

    /**
     * Runs the benchmark.
     *
     * @param args d_in, d_sae, k, rows (optional, in that order)
     */
    public static void main(String[] args) {
        int dIn = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int dSae = args.length > 1 ? Integer.parseInt(args[1]) : 4096;
        int k = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int rows = args.length > 3 ? Integer.parseInt(args[3]) : 8192;
        SplittableRandom random = new SplittableRandom(1);
        float[] wEnc = new float[dSae * dIn];
        float[] wDec = new float[dSae * dIn];
        for (int i = 0; i < wEnc.length; i++) {
            wEnc[i] = (float) (random.nextGaussian() / Math.sqrt(dIn));
            wDec[i] = wEnc[i];
        }
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(Activation.topK(k)).build();
        SparseAutoencoder sae = new SparseAutoencoder(config,
                new ParameterTensors(dIn, dSae, wEnc, new float[dSae], wDec, new float[dIn]), null, Double.NaN, 1.0);
        float[][] x = new float[rows][dIn];
        int[] labels = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int d = 0; d < dIn; d++) {
                x[r][d] = (float) random.nextGaussian();
            }
            labels[r] = random.nextDouble() < 0.1 ? 1 + random.nextInt(3) : 0;
        }
        System.out.printf(Locale.ROOT, "LatentsThroughput: d_in %d, d_sae %d, topk %d, %d rows, %d cpus, java %s%n", dIn,
                dSae, k, rows, Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
        for (int round = 0; round < 3; round++) {
            double torchRate = torchEncode(x, wEnc, dIn, dSae, k);
            long t0 = System.nanoTime();
            long kept = 0;
            for (int from = 0; from < rows; from += 4096) {
                kept += sae.encodeInParallel(java.util.Arrays.copyOfRange(x, from, Math.min(rows, from + 4096))).indices().length;
            }
            double encodeRate = rows / ((System.nanoTime() - t0) / 1e9);
            LatentLabelAnalysis analysis = new LatentLabelAnalysis(dSae, List.of("email", "phone", "name"), rows,
                    LatentLabelAnalysis.Settings.defaults());
            long t1 = System.nanoTime();
            for (int from = 0; from < rows; from += 4096) {
                analysis.add(sae.encodeInParallel(java.util.Arrays.copyOfRange(x, from, Math.min(rows, from + 4096))), labels, from);
            }
            double passRate = rows / ((System.nanoTime() - t1) / 1e9);
            long t2 = System.nanoTime();
            int classes = analysis.finish().classes().size();
            double detectorSeconds = (System.nanoTime() - t2) / 1e9;
            System.out.printf(Locale.ROOT, "round %d: libtorch encode %.0f rows/s; heap encode %.0f rows/s (%.2f of"
                            + " libtorch); the pass %.0f rows/s (%.2f of the heap encode, %.2f of libtorch); detectors"
                            + " %.2f s for %d classes (%d codes)%n", round + 1, torchRate, encodeRate,
                    encodeRate / torchRate, passRate, passRate / encodeRate, passRate / torchRate, detectorSeconds,
                    classes, kept);
        }
    }

    /** libtorch's addmm + topk over the rows in batches of 1,024; returns rows per second. */
    private static double torchEncode(float[][] x, float[] wEnc, int dIn, int dSae, int k) {
        int batch = 1024;
        Tensor w = torch.empty(dSae, dIn);
        w.data_ptr_float().put(wEnc);
        Tensor wT = w.t().contiguous();
        Tensor bias = torch.zeros(dSae);
        Tensor xb = torch.empty(batch, dIn);
        float[] flat = new float[batch * dIn];
        double sink = 0;
        long t0 = System.nanoTime();
        for (int from = 0; from < x.length; from += batch) {
            int n = Math.min(batch, x.length - from);
            for (int r = 0; r < n; r++) {
                System.arraycopy(x[from + r], 0, flat, r * dIn, dIn);
            }
            xb.data_ptr_float().put(flat);
            try (PointerScope scope = new PointerScope()) { // frees the step's temporaries
                sink += torch.addmm(bias, xb, wT).topk(k, 1, true, false).get0().sum().item_double();
            }
        }
        double rate = x.length / ((System.nanoTime() - t0) / 1e9);
        for (Tensor t : new Tensor[] {w, wT, bias, xb}) {
            t.close();
        }
        if (Double.isNaN(sink)) {
            throw new IllegalStateException("NaN in the libtorch encode");
        }
        return rate;
    }
}
