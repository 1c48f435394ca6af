package io.jsae.examples.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.csv}: the sampled steps as numbers, one line per step under the header {@link #HEADER}. Numbers are
 * written in {@code Locale.ROOT} form with every digit needed to read the same double back; NaN is written as an
 * empty field, which spreadsheets and pandas read as missing.
 */
public final class MetricsCsv {

    /** The header line, naming the columns in order. */
    public static final String HEADER = "step,tokens,loss,explained_variance,l0,dead_fraction,learning_rate,dollars";

    private MetricsCsv() {
    }

    /**
     * Writes the steps to {@code file}, replacing it whole (a reader never sees half a file).
     *
     * @param steps the sampled steps in order
     * @param file  where to write
     * @throws IOException when the file cannot be written
     */
    public static void write(List<StepPoint> steps, Path file) throws IOException {
        StringBuilder csv = new StringBuilder(64 * (steps.size() + 1));
        csv.append(HEADER).append('\n');
        for (StepPoint p : steps) {
            csv.append(p.step()).append(',').append(p.tokens());
            for (double v : new double[] {p.loss(), p.explainedVariance(), p.l0(), p.deadFraction(),
                    p.learningRate(), p.dollars()}) {
                csv.append(',').append(number(v));
            }
            csv.append('\n');
        }
        ReportFiles.replace(file, csv.toString());
    }

    /**
     * Reads back a file written by {@link #write}; empty fields become NaN.
     *
     * @param file a metrics.csv
     * @return its steps in file order
     * @throws IOException when the file cannot be read or is not in this format
     */
    public static List<StepPoint> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new IOException(file + " does not start with the header " + HEADER);
        }
        List<StepPoint> steps = new ArrayList<>(lines.size() - 1);
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",", -1);
            if (f.length != 8) {
                throw new IOException(file + " line " + (i + 1) + " has " + f.length + " fields, expected 8");
            }
            try {
                steps.add(new StepPoint(Long.parseLong(f[0]), Long.parseLong(f[1]), parse(f[2]), parse(f[3]),
                        parse(f[4]), parse(f[5]), parse(f[6]), parse(f[7])));
            } catch (NumberFormatException e) {
                throw new IOException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return steps;
    }

    private static String number(double v) {
        // Double.toString is locale-free and round-trips; infinities are kept as Java writes them.
        return Double.isNaN(v) ? "" : Double.toString(v);
    }

    private static double parse(String field) {
        return field.isEmpty() ? Double.NaN : Double.parseDouble(field);
    }
}
