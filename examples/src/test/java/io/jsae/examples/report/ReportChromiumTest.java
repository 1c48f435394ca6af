package io.jsae.examples.report;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Opens a report in headless Chromium and checks that the browser draws its charts: the DOM after rendering holds each
 * chart's lines and bars, and the screenshot shows, inside each plot area, pixels of that chart's own colour.
 *
 * <p>Skipped when {@code /usr/bin/chromium} is missing, unless {@code JSAE_REQUIRE_CHROMIUM=1} is set (as a system
 * property or in the environment), as CI does: then a missing browser fails the test.
 */
class ReportChromiumTest {

    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final int WIDTH = 1200;
    private static final int HEIGHT = 3000;
    private static final long TIMEOUT_SECONDS = 90;
    /** Where the screenshot and DOM are kept for a person to look at after a run. */
    private static final Path KEEP = Path.of("target", "report-chromium");

    @Test
    void chromiumRendersEveryChart(@TempDir Path dir) throws Exception {
        requireChromium();
        Path report = dir.resolve("report.html");
        ReportWriter.writeHtml(SyntheticRun.full(), report);

        Path png = dir.resolve("report.png");
        chromium(dir.resolve("profile-screenshot"), dir.resolve("screenshot.log"),
                "--screenshot=" + png, "--window-size=" + WIDTH + "," + HEIGHT, report.toUri().toString());
        Path dom = dir.resolve("dom.html");
        chromium(dir.resolve("profile-dom"), dom, "--dump-dom", report.toUri().toString());
        Files.createDirectories(KEEP);
        Files.copy(png, KEEP.resolve("report.png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dom, KEEP.resolve("dom.html"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        checkDom(Files.readString(dom, StandardCharsets.UTF_8));
        BufferedImage image = ImageIO.read(png.toFile());
        assertNotNull(image, "the screenshot decodes as an image");
        checkScreenshot(image);
    }

    private static void checkDom(String dom) {
        assertTrue(dom.contains("<svg"), "the DOM has svg elements");
        for (String line : new String[] {"chart-loss", "chart-explained-variance", "chart-l0"}) {
            String svg = svg(dom, line);
            Matcher points = Pattern.compile("<polyline[^>]*points=\"([^\"]*)\"").matcher(svg);
            assertTrue(points.find(), line + " has a polyline after rendering");
            int pairs = points.group(1).trim().split("\\s+").length;
            assertTrue(pairs >= 299, line + " has " + pairs + " points");
        }
        String density = svg(dom, "chart-density");
        int bars = count(density, "<rect class=\"bar");
        assertEquals(Density.binCount() + 1, bars, "one bar per bin and one for dead latents");
        String cost = svg(dom, "chart-cost");
        assertEquals(1, count(cost, "<rect class=\"band\""), "the estimate band");
        assertEquals(1, count(cost, "<rect class=\"spent\""), "the bar of dollars spent");
        assertEquals(1, count(cost, "<g class=\"projected\""), "the projected total's marker");
    }

    private static String svg(String dom, String id) {
        int start = dom.indexOf("id=\"" + id + "\"");
        assertTrue(start >= 0, "the DOM has the svg " + id);
        int end = dom.indexOf("</svg>", start);
        assertTrue(end > start, id + " is closed");
        return dom.substring(start, end);
    }

    private static int count(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    /**
     * Finds the plot areas by their background colour (top to bottom: loss, explained variance, L0, density, cost)
     * and checks each holds enough pixels of its chart's own colour to be a drawn line or bars.
     */
    private static void checkScreenshot(BufferedImage image) {
        assertEquals(WIDTH, image.getWidth(), "screenshot width");
        assertEquals(HEIGHT, image.getHeight(), "screenshot height");

        Set<Integer> colours = new HashSet<>();
        long nonWhite = 0;
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                int rgb = image.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                nonWhite += rgb == 0xffffff ? 0 : 1;
            }
        }
        assertTrue(colours.size() > 50, "a rendered report has many colours, got " + colours.size());
        assertTrue(nonWhite > 0.02 * WIDTH * HEIGHT, "non-white pixels: " + nonWhite);

        List<int[]> areas = plotAreas(image);
        assertEquals(5, areas.size(), "plot areas found (x0, y0, x1, y1): " + describe(areas));
        String[] colour = {Charts.LOSS_COLOUR, Charts.EXPLAINED_VARIANCE_COLOUR, Charts.L0_COLOUR,
            Charts.DENSITY_COLOUR, Charts.SPENT_COLOUR};
        String[] name = {"loss", "explained variance", "L0", "density", "cost"};
        // Lines run across their plot; the synthetic densities fill the upper half of the bins, the spent bar 40%.
        double[] span = {0.9, 0.9, 0.9, 0.3, 0.3};
        for (int i = 0; i < areas.size(); i++) {
            int[] a = areas.get(i);
            assertTrue(a[2] - a[0] > 600, name[i] + " plot area is wide: " + describe(areas));
            int target = Integer.parseInt(colour[i].substring(1), 16);
            long inColour = 0;
            long painted = 0;
            int minX = Integer.MAX_VALUE;
            int maxX = -1;
            for (int y = a[1]; y <= a[3]; y++) {
                for (int x = a[0]; x <= a[2]; x++) {
                    int rgb = image.getRGB(x, y) & 0xffffff;
                    if (distance(rgb, target) < 60) {
                        inColour++;
                        minX = Math.min(minX, x);
                        maxX = Math.max(maxX, x);
                    }
                    painted += saturated(rgb) ? 1 : 0;
                }
            }
            double area = (a[2] - a[0] + 1.0) * (a[3] - a[1] + 1.0);
            assertTrue(painted / area > 0.005, name[i] + ": coloured fraction " + painted / area);
            assertTrue(inColour > 400, name[i] + ": pixels in the chart's colour " + inColour);
            assertTrue(maxX - minX > span[i] * (a[2] - a[0]),
                    name[i] + ": the drawing spans the plot, from x " + minX + " to " + maxX);
        }
    }

    /**
     * Rows where the plot background is common belong to a plot area; runs of such rows, bridged over a few rows of
     * grid or data lines, are the areas, and their x extent is where the background lies.
     */
    private static List<int[]> plotAreas(BufferedImage image) {
        int background = Integer.parseInt(Charts.PLOT_BACKGROUND.substring(1), 16);
        List<int[]> areas = new ArrayList<>();
        int start = -1;
        int lastRow = -1;
        int minX = Integer.MAX_VALUE;
        int maxX = -1;
        for (int y = 0; y <= image.getHeight(); y++) {
            int count = 0;
            int rowMin = Integer.MAX_VALUE;
            int rowMax = -1;
            for (int x = 0; y < image.getHeight() && x < image.getWidth(); x++) {
                if (distance(image.getRGB(x, y) & 0xffffff, background) <= 3) {
                    count++;
                    rowMin = Math.min(rowMin, x);
                    rowMax = Math.max(rowMax, x);
                }
            }
            boolean inArea = count > 100;
            if (inArea) {
                if (start < 0 || y - lastRow > 6) {
                    if (start >= 0) {
                        areas.add(new int[] {minX, start, maxX, lastRow});
                    }
                    start = y;
                    minX = Integer.MAX_VALUE;
                    maxX = -1;
                }
                lastRow = y;
                minX = Math.min(minX, rowMin);
                maxX = Math.max(maxX, rowMax);
            }
        }
        if (start >= 0) {
            areas.add(new int[] {minX, start, maxX, lastRow});
        }
        // A band too short to be a chart (a stray row of the same grey) is not a plot area.
        areas.removeIf(a -> a[3] - a[1] < 40);
        return areas;
    }

    private static String describe(List<int[]> areas) {
        StringBuilder s = new StringBuilder();
        for (int[] a : areas) {
            s.append(java.util.Arrays.toString(a)).append(' ');
        }
        return s.toString();
    }

    private static int distance(int a, int b) {
        return Math.abs((a >> 16 & 0xff) - (b >> 16 & 0xff)) + Math.abs((a >> 8 & 0xff) - (b >> 8 & 0xff))
                + Math.abs((a & 0xff) - (b & 0xff));
    }

    /** Grey axes, grid and text have channels close together; the charts' data colours do not. */
    private static boolean saturated(int rgb) {
        int r = rgb >> 16 & 0xff;
        int g = rgb >> 8 & 0xff;
        int b = rgb & 0xff;
        return Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60;
    }

    @Test
    void aMissingBrowserSkipsUnlessItIsRequired() {
        Path missing = Path.of("/nonexistent/chromium");
        assertThrows(TestAbortedException.class, () -> requireChromium(missing, false));
        AssertionFailedError failure = assertThrows(AssertionFailedError.class, () -> requireChromium(missing, true));
        assertTrue(failure.getMessage().contains("JSAE_REQUIRE_CHROMIUM=1"), failure.getMessage());
    }

    private static void requireChromium() {
        requireChromium(CHROMIUM, "1".equals(System.getProperty("JSAE_REQUIRE_CHROMIUM"))
                || "1".equals(System.getenv("JSAE_REQUIRE_CHROMIUM")));
    }

    private static void requireChromium(Path chromium, boolean required) {
        if (Files.isExecutable(chromium)) {
            return;
        }
        if (required) {
            fail(chromium + " is missing but JSAE_REQUIRE_CHROMIUM=1 says this test must run; install the chromium "
                    + "package (apt-get install -y --no-install-recommends chromium)");
        }
        Assumptions.abort(chromium + " is not installed, so the report is not checked in a browser; install the "
                + "chromium package, or set JSAE_REQUIRE_CHROMIUM=1 to make its absence a failure");
    }

    /**
     * Runs headless Chromium once, with a profile of its own and no background network, and waits for it.
     *
     * @param profile an empty folder for the user data
     * @param stdout  where its standard output goes (the DOM, for --dump-dom); standard error goes next to it
     * @param args    the mode's flags and the page's URL
     */
    private static void chromium(Path profile, Path stdout, String... args) throws IOException, InterruptedException {
        Files.createDirectories(profile);
        List<String> command = new ArrayList<>(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox",
                "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--hide-scrollbars", "--force-device-scale-factor=1",
                "--force-color-profile=srgb", "--user-data-dir=" + profile));
        command.addAll(List.of(args));
        Path stderr = stdout.resolveSibling(stdout.getFileName() + ".stderr");
        Process process = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile())
                .start();
        try {
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                fail("chromium did not finish in " + TIMEOUT_SECONDS + " s: " + String.join(" ", command) + "\n"
                        + tail(stderr));
            }
            assertEquals(0, process.exitValue(), "chromium failed: " + String.join(" ", command) + "\n"
                    + tail(stderr));
        } finally {
            // Chromium starts helper processes of its own; end them with it.
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String tail(Path file) throws IOException {
        String text = Files.exists(file) ? Files.readString(file, StandardCharsets.ISO_8859_1) : "";
        return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    }
}
