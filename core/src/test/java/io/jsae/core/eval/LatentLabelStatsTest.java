package io.jsae.core.eval;

import io.jsae.core.SparseCodes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The streaming histograms against exact, sort-based metrics of the same rows. */
class LatentLabelStatsTest {

    private static final int D_SAE = 6;
    private static final int CLASSES = 2;

    /** Random sparse rows: latent j fires more often and higher on class (j % 3) rows. */
    private record Data(SparseCodes codes, int[] labels, double[][] dense) {
    }

    private static Data data(int rows, long seed, boolean coarse) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] labels = new int[rows];
        int[] start = new int[rows + 1];
        List<Integer> idx = new ArrayList<>();
        List<Float> val = new ArrayList<>();
        double[][] dense = new double[D_SAE][rows];
        for (int r = 0; r < rows; r++) {
            labels[r] = rnd.nextInt(CLASSES + 1);
            for (int j = 0; j < D_SAE; j++) {
                boolean related = j % 3 == labels[r];
                if (rnd.nextDouble() < (related ? 0.7 : 0.2)) {
                    double v = (related ? 1.0 : 0.6) * Math.exp(rnd.nextGaussian() * 0.8);
                    // coarse values repeat exactly, so ties across classes occur outside the zero mass too
                    float f = coarse ? (float) (Math.round(v * 4) / 4.0 + 0.25) : (float) v;
                    idx.add(j);
                    val.add(f);
                    dense[j][r] = f;
                }
            }
            start[r + 1] = idx.size();
        }
        int[] i = idx.stream().mapToInt(Integer::intValue).toArray();
        float[] v = new float[val.size()];
        for (int k = 0; k < v.length; k++) {
            v[k] = val.get(k);
        }
        return new Data(new SparseCodes(start, i, v), labels, dense);
    }

    private static boolean[] is(int[] labels, int c) {
        boolean[] out = new boolean[labels.length];
        for (int r = 0; r < labels.length; r++) {
            out[r] = labels[r] == c;
        }
        return out;
    }

    @Test
    void aurocIsWithinItsStatedBoundOfTheExactOne() {
        for (boolean coarse : new boolean[] {false, true}) {
            Data d = data(3000, coarse ? 3 : 4, coarse);
            LatentLabelStats stats = new LatentLabelStats(D_SAE, CLASSES);
            stats.add(d.codes, d.labels, 0);
            double largestBound = 0;
            for (int c = 1; c <= CLASSES; c++) {
                for (int j = 0; j < D_SAE; j++) {
                    LatentScore s = stats.score(c, j);
                    double exact = ExactScores.auroc(d.dense[j], is(d.labels, c));
                    assertTrue(Math.abs(s.auroc() - exact) <= s.aurocErrorBound() + 1e-12,
                            "class " + c + " latent " + j + ": binned " + s.auroc() + " exact " + exact + " bound "
                                    + s.aurocErrorBound());
                    largestBound = Math.max(largestBound, s.aurocErrorBound());
                    // the ROC polyline's area is the binned AUROC: ties (a bin, the zero mass) are straight segments
                    assertEquals(s.auroc(), stats.roc(c, j).area(), 1e-12);
                }
            }
            // four bins per octave keep the bound small on spread-out activations
            assertTrue(largestBound < 0.02, "bound " + largestBound);
        }
    }

    @Test
    void ratesMeansAndTheBestF1MatchACount() {
        Data d = data(2000, 9, false);
        LatentLabelStats stats = new LatentLabelStats(D_SAE, CLASSES);
        // two batches: the accumulation is over rows, however they arrive
        int half = 1000;
        int[] s = d.codes.rowStart();
        SparseCodes first = new SparseCodes(java.util.Arrays.copyOf(s, half + 1),
                java.util.Arrays.copyOf(d.codes.indices(), s[half]), java.util.Arrays.copyOf(d.codes.values(), s[half]));
        int[] rest = new int[2000 - half + 1];
        for (int r = 0; r < rest.length; r++) {
            rest[r] = s[half + r] - s[half];
        }
        SparseCodes second = new SparseCodes(rest,
                java.util.Arrays.copyOfRange(d.codes.indices(), s[half], s[2000]),
                java.util.Arrays.copyOfRange(d.codes.values(), s[half], s[2000]));
        stats.add(first, d.labels, 0);
        stats.add(second, d.labels, half);
        assertEquals(2000, stats.rows());
        int c = 1;
        int j = 4; // related to class 1
        boolean[] pos = is(d.labels, c);
        long p = 0;
        long firedPos = 0;
        long firedNeg = 0;
        double sumPos = 0;
        for (int r = 0; r < pos.length; r++) {
            p += pos[r] ? 1 : 0;
            if (d.dense[j][r] > 0) {
                firedPos += pos[r] ? 1 : 0;
                firedNeg += pos[r] ? 0 : 1;
                sumPos += pos[r] ? d.dense[j][r] : 0;
            }
        }
        LatentScore score = stats.score(c, j);
        assertEquals(p, score.positives());
        assertEquals(firedPos / (double) p, score.firingRatePositive(), 1e-12);
        assertEquals(firedNeg / (double) (2000 - p), score.firingRateNegative(), 1e-12);
        assertEquals(sumPos / p, score.meanActivationPositive(), 1e-6);
        // the reported confusion is exactly what its threshold gives on the rows
        DetectionScore at = ExactScores.at(d.dense[j], pos, Math.max(score.best().threshold(), Double.MIN_VALUE));
        assertEquals(at.truePositives(), score.best().truePositives());
        assertEquals(at.falsePositives(), score.best().falsePositives());
        // and no threshold on the rows' own values does better than the bin edges by more than a bin's worth
        assertTrue(ExactScores.bestF1(d.dense[j], pos).f1() - score.best().f1() < 0.02);
        // the related latents rank first
        assertTrue(List.of(1, 4).contains(stats.top(c, 1).get(0).latent()));
    }

    @Test
    void zerosAreAPointMassAndBinsAreMonotone() {
        // every positive fires at 1, every negative never fires: perfectly separated, nothing tied in a bin
        LatentLabelStats stats = new LatentLabelStats(1, 1);
        SparseCodes codes = new SparseCodes(new int[] {0, 1, 1, 2, 2}, new int[] {0, 0}, new float[] {1f, 1f});
        stats.add(codes, new int[] {1, 0, 1, 0}, 0);
        LatentScore s = stats.score(1, 0);
        assertEquals(1.0, s.auroc());
        assertEquals(0.0, s.aurocErrorBound());
        assertEquals(1.0, s.best().f1());
        float previous = Float.MIN_VALUE;
        for (float v = Float.MIN_VALUE; v < 1e6f; v = v * 1.07f + Float.MIN_VALUE) {
            assertTrue(LatentLabelStats.bin(v) >= LatentLabelStats.bin(previous));
            assertTrue(LatentLabelStats.binLowerEdge(LatentLabelStats.bin(v)) <= v);
            previous = v;
        }
        assertThrows(IllegalArgumentException.class, () -> stats.add(codes, new int[] {1, 0, 2, 0}, 0));
    }
}
