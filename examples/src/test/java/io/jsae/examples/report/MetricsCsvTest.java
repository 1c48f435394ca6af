package io.jsae.examples.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

class MetricsCsvTest {

    @Test
    void roundTripsEveryValueAndWritesNaNAsEmpty(@TempDir Path dir) throws Exception {
        List<StepPoint> steps = new ArrayList<>(SyntheticRun.steps(50));
        steps.add(new StepPoint(6000, 24_576_000, 1.234e-7, Double.NaN, 63.5, 0, 3.0e-4, 15.4799999));
        Path file = dir.resolve("metrics.csv");
        Locale before = Locale.getDefault();
        try {
            // A decimal comma locale must not leak into the numbers.
            Locale.setDefault(Locale.GERMANY);
            MetricsCsv.write(steps, file);
        } finally {
            Locale.setDefault(before);
        }

        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals("step,tokens,loss,explained_variance,l0,dead_fraction,learning_rate,dollars", lines.get(0));
        assertEquals(steps.size() + 1, lines.size());
        assertEquals("6000,24576000,1.234E-7,,63.5,0.0,3.0E-4,15.4799999", lines.get(lines.size() - 1));
        assertEquals(",,", lines.get(1).substring(lines.get(1).indexOf(",,"), lines.get(1).indexOf(",,") + 2),
                "the first step's NaN explained variance is an empty field");
        for (String line : lines) {
            assertEquals(8, line.split(",", -1).length, line);
        }

        List<StepPoint> back = MetricsCsv.read(file);
        assertEquals(steps, back, "records compare doubles bit for bit, NaN included");
    }

    @Test
    void noStepsIsJustTheHeader(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("metrics.csv");
        MetricsCsv.write(List.of(), file);
        assertEquals(MetricsCsv.HEADER + "\n", Files.readString(file));
        assertEquals(List.of(), MetricsCsv.read(file));
    }
}
