package io.jsae.core.data;

import io.jsae.core.data.SyntheticActivations.LabeledClass;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SyntheticLabelsTest {

    /**
     * The plain generator's stream is what it was before labels existed (other tests depend on it): a weighted sum
     * of its rows, as the earlier code computed it, to the last bit.
     */
    @Test
    void plainStreamIsUnchanged() {
        SyntheticActivations plain = new SyntheticActivations(16, 40, 3, 0.05, 500, 42);
        plain.seek(new SourcePosition(3, 0));
        FloatBuffer buf = FloatBuffer.allocate(500 * 16);
        plain.read(buf, 500);
        double sum = 0;
        float[] values = buf.array();
        for (int i = 0; i < values.length; i++) {
            sum += values[i] * (double) (i % 97 + 1); // weighted, so that reordered values change it too
        }
        assertEquals(PLAIN_SUM, sum);
        assertEquals(0, plain.label(3, 7));
        assertEquals(List.of(), plain.classNames());
    }

    /** From the generator before labeled classes were added. */
    private static final double PLAIN_SUM = 0x1.c8b4a5c37db68p12;

    @Test
    void classFeaturesFireOnlyOnTheirRowsAndLabelsFollowTheRates() {
        List<LabeledClass> classes = List.of(new LabeledClass("a", 0.1, new int[] {0}, 0, -1),
                new LabeledClass("b", 0.2, new int[] {1, 2}, 0.05, 3));
        int dIn = 24;
        int rows = 20_000;
        SyntheticActivations s = SyntheticActivations.labeled(dIn, 24, 2, 0, rows, 7, classes, 0);
        float[][] f = s.trueFeatures();
        FloatBuffer buf = FloatBuffer.allocate(rows * dIn);
        s.read(buf, rows);
        int[] count = new int[3];
        int lookAlikes = 0;
        for (int r = 0; r < rows; r++) {
            int label = s.label(0, r);
            count[label]++;
            float[] x = new float[dIn];
            buf.get(r * dIn, x);
            // with dIn = nFeatures and no noise the features are a basis: the coefficients are exact
            double[] c = coefficients(x, f);
            boolean a = c[0] > 0.25;
            boolean b = c[1] > 0.25 || c[2] > 0.25;
            if (label == 1) {
                assertTrue(a && !b, "row " + r);
            } else if (label == 2) {
                assertTrue(b && !a, "row " + r);
            } else {
                assertTrue(!a, "row " + r);
                lookAlikes += b ? 1 : 0;
            }
        }
        assertEquals(0.1, count[1] / (double) rows, 0.01);
        assertEquals(0.2, count[2] / (double) rows, 0.01);
        assertEquals(0.05 / 0.7, lookAlikes / (double) count[0], 0.01);
        assertEquals(List.of("a", "b"), s.classNames());
        // label noise replaces about that fraction of labels
        SyntheticActivations noisy = SyntheticActivations.labeled(dIn, 24, 2, 0, rows, 7, classes, 0.3);
        int changed = 0;
        for (int r = 0; r < rows; r++) {
            changed += noisy.label(0, r) != s.label(0, r) ? 1 : 0;
        }
        // a replaced label differs from the true one two times in three (three label values)
        assertEquals(0.3 * 2 / 3, changed / (double) rows, 0.01);
        assertThrows(IllegalArgumentException.class, () -> SyntheticActivations.labeled(dIn, 24, 2, 0, rows, 7,
                List.of(new LabeledClass("a", 0.1, new int[] {0}, 0, -1), new LabeledClass("b", 0.1, new int[] {0}, 0, -1)),
                0));
    }

    /** Solves {@code Σ_i c_i f_i = x} for the coefficients by Gaussian elimination with partial pivoting. */
    private static double[] coefficients(float[] x, float[][] f) {
        int n = x.length;
        double[][] a = new double[n][n + 1];
        for (int d = 0; d < n; d++) {
            for (int i = 0; i < n; i++) {
                a[d][i] = f[i][d];
            }
            a[d][n] = x[d];
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            double[] t = a[col];
            a[col] = a[pivot];
            a[pivot] = t;
            for (int r = 0; r < n; r++) {
                if (r != col) {
                    double m = a[r][col] / a[col][col];
                    for (int k = col; k <= n; k++) {
                        a[r][k] -= m * a[col][k];
                    }
                }
            }
        }
        double[] c = new double[n];
        for (int i = 0; i < n; i++) {
            c[i] = a[i][n] / a[i][i];
        }
        return c;
    }
}
