package io.jsae.core.eval;

/**
 * Points of an ROC curve in order of decreasing threshold.
 *
 * @param falsePositiveRate the x coordinates, rising from 0 to 1
 * @param truePositiveRate  the y coordinates, aligned with {@code falsePositiveRate}
 */
public record RocCurve(double[] falsePositiveRate, double[] truePositiveRate) {

    /** Checks that the coordinates are aligned. */
    public RocCurve {
        if (falsePositiveRate.length != truePositiveRate.length) {
            throw new IllegalArgumentException(falsePositiveRate.length + " x values but " + truePositiveRate.length
                    + " y values");
        }
        falsePositiveRate = falsePositiveRate.clone();
        truePositiveRate = truePositiveRate.clone();
    }

    /** @return the x coordinates (a copy) */
    @Override
    public double[] falsePositiveRate() {
        return falsePositiveRate.clone();
    }

    /** @return the y coordinates (a copy) */
    @Override
    public double[] truePositiveRate() {
        return truePositiveRate.clone();
    }

    /** @return the area under the polyline through the points (trapezoids) */
    public double area() {
        double a = 0;
        for (int i = 1; i < falsePositiveRate.length; i++) {
            a += (falsePositiveRate[i] - falsePositiveRate[i - 1]) * (truePositiveRate[i] + truePositiveRate[i - 1]) / 2;
        }
        return a;
    }
}
