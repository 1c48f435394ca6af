package io.jsae.benchmarks;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import io.jsae.core.io.HalfFloats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * End-to-end CPU training step: the jsae CPU backend against what a Java user would write by hand on
 * libtorch for the same topk SAE (dense codes, dense decoder matmul, autograd, torch's Adam), in one run,
 * plus the step's floor: the encoder GEMM alone (timed in the same run) and the step's least memory
 * traffic (every parameter and both Adam moments read and written once, 24 bytes per parameter, since a
 * gradient need never be stored; and the k gathered decoder rows per token) at the copy bandwidth measured in
 * the same run. The jsae step is also timed on the same batches given as bfloat16 rows, which the backend widens
 * at the start of the step (the way the trainer hands it half-precision shards).
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar io.jsae.benchmarks.CpuTrainStepBenchmark
 * [dIn dSae k batch steps leakSteps]}, defaults 768 12288 32 1024 10 1000 (leakSteps 0 skips the
 * resident-memory check).
 */
public final class CpuTrainStepBenchmark {
    private CpuTrainStepBenchmark() {
    }

    /**
     * @param args optional dIn dSae k batch steps leakSteps
     * @throws IOException if /proc cannot be read for the memory check
     */
    public static void main(String[] args) throws IOException {
        int dIn = arg(args, 0, 768);
        int dSae = arg(args, 1, 12288);
        int k = arg(args, 2, 32);
        int batch = arg(args, 3, 1024);
        int steps = arg(args, 4, 10);
        int leakSteps = arg(args, 5, 1000);
        int threads = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "d_in %d, d_sae %d, k %d, batch %d, %d timed steps, %d threads%n",
                dIn, dSae, k, batch, steps, threads);

        double copyGbPerS;
        double gemmMs;
        double baselineMs;
        double oursMs;
        double oursBf16Ms;
        long rssAt100 = -1;
        long rssAtEnd = -1;
        try (RandomBatches xs = new RandomBatches(4, batch, dIn)) {
            torch.set_num_threads(threads);
            copyGbPerS = copyBandwidth();
            gemmMs = encoderGemmMs(dIn, dSae, batch, xs.tensor(0));
            try (TorchBaselineSae baseline = new TorchBaselineSae(dIn, dSae, k)) {
                for (int i = 0; i < 2; i++) {
                    baseline.trainStep(xs.tensor(i));
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    baseline.trainStep(xs.tensor(i));
                }
                baselineMs = (System.nanoTime() - t0) / 1e6 / steps;
            }
            // Opening the backend sets libtorch to one thread process-wide, so the baseline runs first.
            try (JsaeCpuSae ours = new JsaeCpuSae(dIn, dSae, k, batch, threads)) {
                for (int i = 0; i < 3; i++) {
                    ours.trainStep(xs.buffer(i));
                }
                long t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    ours.trainStep(xs.buffer(i));
                }
                oursMs = (System.nanoTime() - t0) / 1e6 / steps;
                ByteBuffer[] halves = new ByteBuffer[4];
                for (int i = 0; i < halves.length; i++) {
                    halves[i] = bf16(xs.buffer(i));
                }
                ours.trainStepBf16(halves[0]);
                t0 = System.nanoTime();
                for (int i = 0; i < steps; i++) {
                    ours.trainStepBf16(halves[i % halves.length]);
                }
                oursBf16Ms = (System.nanoTime() - t0) / 1e6 / steps;
                for (int i = 0; i < leakSteps; i++) {
                    ours.trainStep(xs.buffer(i));
                    if (i == 99) {
                        rssAt100 = residentKb();
                    }
                }
                if (leakSteps > 0) {
                    rssAtEnd = residentKb();
                }
            }
        }

        long params = 2L * dSae * dIn + dSae + dIn;
        double trafficBytes = 6.0 * 4 * params + 4.0 * batch * k * dIn;
        double trafficMs = trafficBytes / (copyGbPerS * 1e9) * 1e3;
        double floorMs = gemmMs + trafficMs;
        System.out.println();
        System.out.println("| measure | value |");
        System.out.println("| --- | --- |");
        row("copy bandwidth (read + write)", String.format(Locale.ROOT, "%.1f GB/s", copyGbPerS));
        row("encoder GEMM alone", ms(gemmMs));
        row("least memory traffic", String.format(Locale.ROOT, "%.0f MB = %s", trafficBytes / 1e6, ms(trafficMs)));
        row("floor (GEMM + traffic)", ms(floorMs));
        row("baseline step (dense libtorch, autograd, torch Adam)", ms(baselineMs) + ", "
                + tokens(batch, baselineMs));
        row("jsae CPU step", ms(oursMs) + ", " + tokens(batch, oursMs));
        row("jsae CPU step on bfloat16 rows (widened in the step)", ms(oursBf16Ms) + ", " + tokens(batch, oursBf16Ms));
        row("speed-up over baseline", String.format(Locale.ROOT, "%.2fx", baselineMs / oursMs));
        row("step time / floor", String.format(Locale.ROOT, "%.2fx", oursMs / floorMs));
        if (leakSteps > 0) {
            row("resident memory after 100 / " + leakSteps + " more steps",
                    String.format(Locale.ROOT, "%d MB / %d MB", rssAt100 / 1024, rssAtEnd / 1024));
        }
    }

    /** The batch as little-endian bfloat16 values (rounded to nearest even). */
    private static ByteBuffer bf16(FloatBuffer x) {
        FloatBuffer src = x.duplicate().rewind();
        ByteBuffer out = ByteBuffer.allocateDirect(2 * src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        while (src.hasRemaining()) {
            out.putShort(HalfFloats.floatToBf16(src.get()));
        }
        return out.flip();
    }

    private static void row(String what, String value) {
        System.out.println("| " + what + " | " + value + " |");
    }

    private static String ms(double v) {
        return String.format(Locale.ROOT, "%.1f ms", v);
    }

    private static String tokens(int batch, double msPerStep) {
        return String.format(Locale.ROOT, "%.0f tokens/s", batch / (msPerStep / 1e3));
    }

    private static int arg(String[] args, int i, int dflt) {
        return args.length > i ? Integer.parseInt(args[i]) : dflt;
    }

    /** Best of five copies of a 256 MiB tensor, counting bytes read plus bytes written. */
    private static double copyBandwidth() {
        try (PointerScope scope = new PointerScope()) {
            Tensor a = torch.randn(64L << 20);
            Tensor b = torch.empty(64L << 20);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                b.copy_(a);
                best = Math.min(best, (System.nanoTime() - t0) / 1e9);
            }
            return 2.0 * (256L << 20) / best / 1e9;
        }
    }

    /** Best of five: pre = xc · W_encᵀ + b_enc with libtorch's own threads. */
    private static double encoderGemmMs(int dIn, int dSae, int batch, Tensor x) {
        try (PointerScope scope = new PointerScope()) {
            Tensor w = torch.randn(dSae, dIn);
            Tensor b = torch.zeros(dSae);
            Tensor out = torch.empty(batch, dSae);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                long t0 = System.nanoTime();
                torch.addmm_out(out, b, x, w.t());
                best = Math.min(best, (System.nanoTime() - t0) / 1e6);
            }
            return best;
        }
    }

    private static long residentKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
