package io.jsae.benchmarks;

import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.ParameterCopies;
import io.jsae.core.backend.cpu.CpuBackend;
import io.jsae.core.train.TrainingPolicy;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * End-to-end CPU training step: the jsae CPU backend against what a Java user would write by hand on
 * libtorch for the same topk SAE (dense codes, dense decoder matmul, autograd, torch's Adam), in one run,
 * plus the step's floor: the encoder GEMM alone (timed in the same run) and the step's least memory
 * traffic (every parameter and both Adam moments read and written once, 24 bytes per parameter, since a
 * gradient need never be stored; and the k gathered decoder rows per token) at the copy bandwidth measured in
 * the same run.
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

        Tensor[] xs = new Tensor[4];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = torch.randn(batch, dIn);
        }
        torch.set_num_threads(threads);
        double copyGbPerS = copyBandwidth();
        double gemmMs = encoderGemmMs(dIn, dSae, batch, xs[0]);
        double baselineMs = baselineStepMs(dIn, dSae, k, batch, steps, xs);

        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(Activation.topK(k)).batchSize(batch)
                .learningRate(1e-4).build();
        ParameterTensors w = initialWeights(dIn, dSae);
        double oursMs;
        long rssAt100 = -1;
        long rssAtEnd = -1;
        try (CpuBackend backend = new CpuBackend(threads); DeviceSae sae = backend.create(config)) {
            ParameterCopies.write(sae.stateTensors(), "", w);
            TrainingPolicy policy = new TrainingPolicy(config);
            FloatBuffer[] bufs = new FloatBuffer[xs.length];
            for (int i = 0; i < xs.length; i++) {
                bufs[i] = xs[i].data_ptr_float().capacity((long) batch * dIn).asBuffer();
            }
            // Each step copies its batch into the SAE's input buffer, as the trainer's loader does.
            long step = 0;
            for (int i = 0; i < 3; i++) {
                step(sae, policy, bufs[i % bufs.length], batch, step++);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                step(sae, policy, bufs[i % bufs.length], batch, step++);
            }
            oursMs = (System.nanoTime() - t0) / 1e6 / steps;
            for (int i = 0; i < leakSteps; i++) {
                step(sae, policy, bufs[i % bufs.length], batch, step++);
                if (i == 99) {
                    rssAt100 = residentKb();
                }
            }
            if (leakSteps > 0) {
                rssAtEnd = residentKb();
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
        row("speed-up over baseline", String.format(Locale.ROOT, "%.2fx", baselineMs / oursMs));
        row("step time / floor", String.format(Locale.ROOT, "%.2fx", oursMs / floorMs));
        if (leakSteps > 0) {
            row("resident memory after 100 / " + leakSteps + " more steps",
                    String.format(Locale.ROOT, "%d MB / %d MB", rssAt100 / 1024, rssAtEnd / 1024));
        }
    }

    private static void step(DeviceSae sae, TrainingPolicy policy, FloatBuffer x, int rows, long step) {
        sae.inputBuffer().put(x.duplicate());
        policy.after(sae.trainStep(rows, policy.next(step)), "benchmark step " + step);
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

    private static ParameterTensors initialWeights(int dIn, int dSae) {
        ParameterTensors w = ParameterTensors.zeros(dIn, dSae);
        SplittableRandom rnd = new SplittableRandom(1);
        for (int j = 0; j < dSae; j++) {
            double n = 0;
            for (int d = 0; d < dIn; d++) {
                float v = (float) (rnd.nextDouble() - 0.5);
                w.wDec()[j * dIn + d] = v;
                n += v * v;
            }
            for (int d = 0; d < dIn; d++) {
                w.wDec()[j * dIn + d] /= (float) Math.sqrt(n);
            }
        }
        System.arraycopy(w.wDec(), 0, w.wEnc(), 0, w.wDec().length);
        return w;
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

    /** The hand-written libtorch step: dense codes, dense decode, autograd, torch's Adam, row renorm. */
    private static double baselineStepMs(int dIn, int dSae, int k, int batch, int steps, Tensor[] xs) {
        try (PointerScope scope = new PointerScope()) {
            Tensor wDec = torch.randn(dSae, dIn);
            try (NoGradGuard g = new NoGradGuard()) {
                wDec.div_(wDec.norm(new org.bytedeco.pytorch.ScalarOptional(new Scalar(2.0)), new long[] {1}, true));
            }
            Tensor wEnc = wDec.t().contiguous().requires_grad_(true);
            wDec.requires_grad_(true);
            Tensor bEnc = torch.zeros(dSae).requires_grad_(true);
            Tensor bDec = torch.zeros(dIn).requires_grad_(true);
            AdamOptions options = new AdamOptions(1e-4);
            options.eps().put(6.25e-10);
            Adam adam = new Adam(new TensorVector(wEnc, bEnc, wDec, bDec), options);
            for (int i = 0; i < 2; i++) {
                baselineStep(xs[i % xs.length], wEnc, bEnc, wDec, bDec, k, adam);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                baselineStep(xs[i % xs.length], wEnc, bEnc, wDec, bDec, k, adam);
            }
            return (System.nanoTime() - t0) / 1e6 / steps;
        }
    }

    private static void baselineStep(Tensor x, Tensor wEnc, Tensor bEnc, Tensor wDec, Tensor bDec, int k, Adam adam) {
        try (PointerScope scope = new PointerScope()) {
            Tensor pre = x.sub(bDec).matmul(wEnc).add(bEnc);
            T_TensorTensor_T top = pre.topk(k);
            Tensor z = torch.zeros_like(pre).scatter(1, top.get1(), top.get0().relu());
            Tensor xHat = z.matmul(wDec).add(bDec);
            Tensor loss = xHat.sub(x).pow(new Scalar(2.0)).sum(1).mean();
            adam.zero_grad();
            loss.backward();
            adam.step();
            try (NoGradGuard g = new NoGradGuard()) {
                wDec.div_(wDec.norm(new org.bytedeco.pytorch.ScalarOptional(new Scalar(2.0)), new long[] {1}, true));
            }
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
