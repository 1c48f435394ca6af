package io.jsae.core.backend.conformance;

import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.reference.ReferenceSae;

import java.util.Arrays;

/**
 * Draws are only compared where float32 rounding cannot change a discrete choice: a selection boundary near a
 * tie or a kept pre-activation near the relu edge could flip between the reference and a backend.
 */
final class Separation {
    private Separation() {
    }

    /** Whether every selection boundary is far from a tie and every kept pre-activation far from 0. */
    static boolean wellSeparated(ReferenceSae.Forward f, SaeConfig config, double gap) {
        // the relu boundary: every entry for relu, the kept ones for the top-k kinds
        if (config.activation() instanceof Activation.Relu) {
            for (double[] row : f.pre()) {
                for (double p : row) {
                    if (Math.abs(p) < gap) {
                        return false;
                    }
                }
            }
        }
        for (double p : f.codes().pre()) {
            if (Math.abs(p) < gap) {
                return false;
            }
        }
        if (f.auxCodes() != null) {
            for (double p : f.auxCodes().pre()) {
                if (Math.abs(p) < gap) {
                    return false;
                }
            }
        }
        int k = config.activation().k();
        if (config.activation() instanceof Activation.TopK) {
            for (double[] row : f.pre()) {
                double[] s = row.clone();
                Arrays.sort(s);
                if (s[s.length - k] - s[s.length - k - 1] < gap) {
                    return false;
                }
            }
        } else if (config.activation() instanceof Activation.BatchTopK) {
            double[] all = Arrays.stream(f.pre()).flatMapToDouble(Arrays::stream).sorted().toArray();
            int keep = k * f.pre().length;
            if (all[all.length - keep] - all[all.length - keep - 1] < gap) {
                return false;
            }
        }
        if (f.auxCodes() != null) {
            // the aux selection boundary: the kAux-th and next dead pre-activation per row
            for (int b = 0; b < f.pre().length; b++) {
                int start = f.auxCodes().rowStart()[b];
                int end = f.auxCodes().rowStart()[b + 1];
                double minKept = Double.POSITIVE_INFINITY;
                for (int e = start; e < end; e++) {
                    minKept = Math.min(minKept, f.auxCodes().pre()[e]);
                }
                for (int j = 0; j < f.pre()[b].length; j++) {
                    double p = f.pre()[b][j];
                    if (p < minKept && minKept - p < gap) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Whether every pre-activation is at least {@code gap} away from its latent's jumprelu threshold. */
    static boolean awayFromThresholds(double[][] pre, float[] theta, double gap) {
        for (double[] row : pre) {
            for (int j = 0; j < row.length; j++) {
                if (Math.abs(row[j] - theta[j]) < gap) {
                    return false;
                }
            }
        }
        return true;
    }
}
