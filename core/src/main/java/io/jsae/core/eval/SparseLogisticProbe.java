package io.jsae.core.eval;

import java.util.Arrays;

/**
 * A one-vs-rest logistic regression on SAE codes with an L1 penalty, so that few latents carry weight.
 *
 * <p>Objective, for class {@code c} over the training rows {@code i = 1..n} with {@code y_i = 1} when row
 * {@code i} is labeled {@code c}: {@code (1/n) Σ_i [log(1 + e^{z_i}) - y_i z_i] + λ Σ_j |w_j|} with
 * {@code z_i = b + Σ_j w_j x_ij / s_j}, where {@code s_j} is latent {@code j}'s largest activation in the
 * training rows (so the penalty treats latents of different scales alike) and the bias {@code b} is not
 * penalized. Solver: FISTA (accelerated proximal gradient) with backtracking on the step and a restart
 * whenever the objective rises; every step costs O(entries of the codes), and only latents active in the
 * training rows are variables (the others have zero gradient and stay 0). It stops when the objective changes
 * by less than {@value #TOLERANCE} (relative) between steps, or after the given number of steps.
 */
public final class SparseLogisticProbe {

    /** Relative change of the objective below which the solver stops. */
    public static final double TOLERANCE = 1e-7;

    /**
     * A fitted probe.
     *
     * @param classLabel the class, 1..C
     * @param bias       b
     * @param latents    the latents with non-zero weight, ascending
     * @param weights    their weights, per unit of raw activation
     * @param objective  the final objective
     * @param iterations solver steps taken
     * @param converged  whether the tolerance was met before the step limit
     */
    public record Fit(int classLabel, double bias, int[] latents, double[] weights, double objective, int iterations,
                      boolean converged) {

        /**
         * @param rows codes
         * @param row  a row
         * @return the probe's logit for the row
         */
        public double logit(LabeledCodes rows, int row) {
            double z = bias;
            for (int p = rows.start(row); p < rows.end(row); p++) {
                int k = Arrays.binarySearch(latents, rows.indices()[p]);
                if (k >= 0) {
                    z += weights[k] * rows.values()[p];
                }
            }
            return z;
        }

        /**
         * @param rows codes
         * @return the logit of every row
         */
        public double[] logits(LabeledCodes rows) {
            double[] z = new double[rows.rows()];
            for (int r = 0; r < z.length; r++) {
                z[r] = logit(rows, r);
            }
            return z;
        }
    }

    private SparseLogisticProbe() {
    }

    /**
     * Fits the probe of one class.
     *
     * @param rows          training rows (at least one)
     * @param classLabel    the class, 1..C
     * @param lambda        L1 weight λ, at least 0
     * @param maxIterations most solver steps
     * @return the fit
     */
    public static Fit fit(LabeledCodes rows, int classLabel, double lambda, int maxIterations) {
        if (!(lambda >= 0) || maxIterations < 1 || rows.rows() == 0) {
            throw new IllegalArgumentException("need lambda >= 0 (was " + lambda + "), maxIterations >= 1 (was "
                    + maxIterations + ") and some rows (had " + rows.rows() + ")");
        }
        int n = rows.rows();
        // compact columns: only latents active in the training rows, scaled to a largest value of 1
        int[] column = new int[rows.dSae()];
        Arrays.fill(column, -1);
        int m = 0;
        int entries = rows.end(n - 1);
        int[] idx = rows.indices();
        float[] val = rows.values();
        for (int p = 0; p < entries; p++) {
            if (column[idx[p]] < 0) {
                column[idx[p]] = m++;
            }
        }
        int[] latentOf = new int[m];
        double[] scale = new double[m];
        for (int j = 0; j < column.length; j++) {
            if (column[j] >= 0) {
                latentOf[column[j]] = j;
            }
        }
        int[] col = new int[entries];
        double[] x = new double[entries];
        for (int p = 0; p < entries; p++) {
            col[p] = column[idx[p]];
            scale[col[p]] = Math.max(scale[col[p]], Math.abs(val[p]));
        }
        for (int p = 0; p < entries; p++) {
            x[p] = scale[col[p]] > 0 ? val[p] / scale[col[p]] : 0;
        }
        int[] start = new int[n + 1];
        double[] y = new double[n];
        for (int r = 0; r < n; r++) {
            start[r + 1] = rows.end(r);
            y[r] = rows.label(r) == classLabel ? 1 : 0;
        }
        Problem problem = new Problem(n, m, start, col, x, y, lambda);

        // variables: weights 0..m-1, bias at m
        double[] w = new double[m + 1];
        double[] v = w.clone();
        double[] grad = new double[m + 1];
        double[] next = new double[m + 1];
        double t = 1;
        // start from a lower bound of the gradient's Lipschitz constant: a diagonal entry of the Hessian bound
        double step = 1 / (0.25 * (1 + problem.largestColumnMeanSquare()));
        double objective = problem.objective(w);
        boolean converged = false;
        int it = 0;
        while (it < maxIterations && !converged) {
            it++;
            double fv = problem.loss(v);
            problem.gradient(v, grad);
            while (true) {
                for (int k = 0; k < m; k++) {
                    next[k] = softThreshold(v[k] - step * grad[k], step * lambda);
                }
                next[m] = v[m] - step * grad[m];
                double quadratic = 0;
                double linear = 0;
                for (int k = 0; k <= m; k++) {
                    double d = next[k] - v[k];
                    linear += grad[k] * d;
                    quadratic += d * d;
                }
                if (problem.loss(next) <= fv + linear + quadratic / (2 * step) + 1e-15 * Math.abs(fv)) {
                    break;
                }
                step /= 2;
            }
            double nextObjective = problem.objective(next);
            if (nextObjective > objective) {
                // restart the momentum from the last iterate, which was better
                t = 1;
                System.arraycopy(w, 0, v, 0, m + 1);
                continue;
            }
            double tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
            for (int k = 0; k <= m; k++) {
                v[k] = next[k] + (t - 1) / tNext * (next[k] - w[k]);
            }
            System.arraycopy(next, 0, w, 0, m + 1);
            t = tNext;
            converged = objective - nextObjective <= TOLERANCE * Math.max(1, Math.abs(nextObjective));
            objective = nextObjective;
        }
        int nonZero = 0;
        for (int k = 0; k < m; k++) {
            nonZero += w[k] != 0 ? 1 : 0;
        }
        int[] latents = new int[nonZero];
        double[] weights = new double[nonZero];
        Integer[] order = new Integer[m];
        for (int k = 0; k < m; k++) {
            order[k] = k;
        }
        Arrays.sort(order, (a, b) -> Integer.compare(latentOf[a], latentOf[b]));
        int at = 0;
        for (int k : order) {
            if (w[k] != 0) {
                latents[at] = latentOf[k];
                weights[at] = w[k] / scale[k];
                at++;
            }
        }
        return new Fit(classLabel, w[m], latents, weights, objective, it, converged);
    }

    private static double softThreshold(double v, double by) {
        return v > by ? v - by : v < -by ? v + by : 0;
    }

    /** The data and objective of one fit, in compact columns. */
    private static final class Problem {
        private final int n;
        private final int m;
        private final int[] start;
        private final int[] col;
        private final double[] x;
        private final double[] y;
        private final double lambda;
        private final double[] residual;

        Problem(int n, int m, int[] start, int[] col, double[] x, double[] y, double lambda) {
            this.n = n;
            this.m = m;
            this.start = start;
            this.col = col;
            this.x = x;
            this.y = y;
            this.lambda = lambda;
            this.residual = new double[n];
        }

        double largestColumnMeanSquare() {
            double[] s = new double[m];
            for (int p = 0; p < start[n]; p++) {
                s[col[p]] += x[p] * x[p];
            }
            double max = 0;
            for (double v : s) {
                max = Math.max(max, v / n);
            }
            return max;
        }

        private double z(double[] w, int r) {
            double z = w[m];
            for (int p = start[r]; p < start[r + 1]; p++) {
                z += w[col[p]] * x[p];
            }
            return z;
        }

        /** Mean logistic loss. */
        double loss(double[] w) {
            double sum = 0;
            for (int r = 0; r < n; r++) {
                double z = z(w, r);
                double softplus = z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
                sum += softplus - y[r] * z;
            }
            return sum / n;
        }

        double objective(double[] w) {
            double l1 = 0;
            for (int k = 0; k < m; k++) {
                l1 += Math.abs(w[k]);
            }
            return loss(w) + lambda * l1;
        }

        /** Gradient of the mean loss into {@code g}. */
        void gradient(double[] w, double[] g) {
            Arrays.fill(g, 0);
            for (int r = 0; r < n; r++) {
                double z = z(w, r);
                double sigmoid = z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
                residual[r] = (sigmoid - y[r]) / n;
                g[m] += residual[r];
            }
            for (int r = 0; r < n; r++) {
                for (int p = start[r]; p < start[r + 1]; p++) {
                    g[col[p]] += residual[r] * x[p];
                }
            }
        }
    }
}
