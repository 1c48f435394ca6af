package io.jsae.core.eval;

import io.jsae.core.SparseAutoencoder;

/** How well an SAE's decoder directions recover known ground-truth features. */
public final class FeatureRecovery {
    private FeatureRecovery() {
    }

    /**
     * For each true feature, the largest cosine similarity with any decoder row; the mean over features.
     * 1 means every true feature has a latent pointing exactly along it.
     *
     * @param model        the SAE
     * @param trueFeatures feature directions {@code [n][dIn]} (need not be unit length)
     * @return the mean max cosine similarity, in [-1, 1]
     */
    public static double meanMaxCosineSimilarity(SparseAutoencoder model, float[][] trueFeatures) {
        if (trueFeatures.length == 0) {
            throw new IllegalArgumentException("trueFeatures is empty");
        }
        int dIn = model.dIn();
        float[] wDec = model.weights().wDec();
        double[] rowNorm = new double[model.dSae()];
        for (int j = 0; j < model.dSae(); j++) {
            double s = 0;
            for (int d = 0; d < dIn; d++) {
                s += wDec[j * dIn + d] * (double) wDec[j * dIn + d];
            }
            rowNorm[j] = Math.sqrt(s);
        }
        double total = 0;
        for (int i = 0; i < trueFeatures.length; i++) {
            float[] f = trueFeatures[i];
            if (f.length != dIn) {
                throw new IllegalArgumentException("true feature " + i + " has width " + f.length + ", the SAE has dIn=" + dIn);
            }
            double fn = 0;
            for (float v : f) {
                fn += v * (double) v;
            }
            fn = Math.sqrt(fn);
            double best = -1;
            for (int j = 0; j < model.dSae(); j++) {
                double dot = 0;
                for (int d = 0; d < dIn; d++) {
                    dot += f[d] * (double) wDec[j * dIn + d];
                }
                double denom = fn * rowNorm[j];
                if (denom > 0) {
                    best = Math.max(best, dot / denom);
                }
            }
            total += best;
        }
        return total / trueFeatures.length;
    }
}
