package io.jsae.core;

import io.jsae.core.backend.DeviceSae;
import io.jsae.core.backend.StateTensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/** Random inputs for tests: weights, batches, Adam state. */
public final class TestData {
    private TestData() {
    }

    /** Random weights: unit decoder rows, an encoder that is not the decoder's transpose, small biases. */
    public static ParameterTensors randomWeights(int dIn, int dSae, SplittableRandom rnd) {
        ParameterTensors w = ParameterTensors.zeros(dIn, dSae);
        for (int j = 0; j < dSae; j++) {
            double norm = 0;
            for (int d = 0; d < dIn; d++) {
                float v = (float) gaussian(rnd);
                w.wDec()[j * dIn + d] = v;
                norm += v * v;
            }
            for (int d = 0; d < dIn; d++) {
                w.wDec()[j * dIn + d] /= (float) Math.sqrt(norm);
                w.wEnc()[j * dIn + d] = (float) (gaussian(rnd) / Math.sqrt(dIn));
            }
            w.bEnc()[j] = (float) (0.1 * gaussian(rnd));
        }
        for (int d = 0; d < dIn; d++) {
            w.bDec()[d] = (float) (0.1 * gaussian(rnd));
        }
        return w;
    }

    /** Tensors filled with values in [lo, hi). */
    public static ParameterTensors uniform(int dIn, int dSae, double lo, double hi, SplittableRandom rnd) {
        ParameterTensors t = ParameterTensors.zeros(dIn, dSae);
        for (float[] a : new float[][] {t.wEnc(), t.bEnc(), t.wDec(), t.bDec()}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
            }
        }
        return t;
    }

    /** A Gaussian batch. */
    public static float[][] batch(int rows, int dIn, SplittableRandom rnd) {
        float[][] x = new float[rows][dIn];
        for (float[] r : x) {
            for (int d = 0; d < dIn; d++) {
                r[d] = (float) gaussian(rnd);
            }
        }
        return x;
    }

    /** Rows packed into a direct buffer, positioned at 0. */
    public static FloatBuffer direct(float[][] x) {
        FloatBuffer fb = ByteBuffer.allocateDirect(x.length * x[0].length * 4).order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        for (float[] r : x) {
            fb.put(r);
        }
        fb.flip();
        return fb;
    }

    /** Float rows widened to double. */
    public static double[][] toDouble(float[][] x) {
        double[][] out = new double[x.length][];
        for (int b = 0; b < x.length; b++) {
            out[b] = new double[x[b].length];
            for (int d = 0; d < x[b].length; d++) {
                out[b][d] = x[b][d];
            }
        }
        return out;
    }

    /** A standard normal draw. */
    public static double gaussian(SplittableRandom rnd) {
        double u = rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    }

    /** Largest absolute difference over the largest absolute reference value (the per-tensor relative error). */
    public static double relativeError(float[] actual, double[] expected) {
        double maxDiff = 0;
        double maxRef = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.isNaN(actual[i])) {
                return Double.POSITIVE_INFINITY;
            }
            maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
        }
        return maxRef == 0 ? maxDiff : maxDiff / maxRef;
    }

    /** Same, against a float reference. */
    public static double relativeError(float[] actual, float[] expected) {
        double[] e = new double[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i];
        }
        return relativeError(actual, e);
    }

    /** A small device SAE's whole state on the heap: name → values, in the SAE's order, plus its counters. */
    public static Map<String, float[]> state(DeviceSae sae) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (StateTensor t : sae.stateTensors()) {
            out.put(t.name(), read(t));
        }
        long[] counters = sae.tokensSinceFired();
        float[] c = new float[2 * counters.length];
        for (int i = 0; i < counters.length; i++) {
            // each long as two float bit patterns: the snapshot is compared bitwise, never as numbers
            c[2 * i] = Float.intBitsToFloat((int) counters[i]);
            c[2 * i + 1] = Float.intBitsToFloat((int) (counters[i] >>> 32));
        }
        out.put("tokens_since_fired", c);
        return out;
    }

    /** @return whether two {@link #state} snapshots are bitwise equal */
    public static boolean bitwiseEqual(Map<String, float[]> a, Map<String, float[]> b) {
        if (!a.keySet().equals(b.keySet())) {
            return false;
        }
        for (String k : a.keySet()) {
            float[] x = a.get(k);
            float[] y = b.get(k);
            if (x.length != y.length) {
                return false;
            }
            for (int i = 0; i < x.length; i++) {
                if (Float.floatToRawIntBits(x[i]) != Float.floatToRawIntBits(y[i])) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Reads a small state tensor whole. */
    public static float[] read(StateTensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        t.read(0, FloatBuffer.wrap(v));
        return v;
    }

    /** Copies rows into a device SAE's input buffer. */
    public static void fill(DeviceSae sae, float[][] x) {
        FloatBuffer in = sae.inputBuffer();
        for (float[] r : x) {
            in.put(r);
        }
    }
}
