package io.jsae.examples.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportWriterTest {

    private static final String[] CHARTS = {"chart-loss", "chart-explained-variance", "chart-l0", "chart-density",
        "chart-cost"};

    /** Parses the markup as XML: it fails on any unbalanced tag, bad attribute or stray ampersand. */
    static Document parse(String html) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
    }

    static Element byId(Document doc, String id) {
        for (String tag : new String[] {"svg", "section", "p", "table"}) {
            NodeList nodes = doc.getElementsByTagName(tag);
            for (int i = 0; i < nodes.getLength(); i++) {
                Element e = (Element) nodes.item(i);
                if (id.equals(e.getAttribute("id"))) {
                    return e;
                }
            }
        }
        return null;
    }

    /** @return the points of every polyline in the element, one list per polyline */
    static List<List<double[]>> polylines(Element svg) {
        List<List<double[]>> lines = new ArrayList<>();
        NodeList nodes = svg.getElementsByTagName("polyline");
        for (int i = 0; i < nodes.getLength(); i++) {
            List<double[]> points = new ArrayList<>();
            for (String pair : ((Element) nodes.item(i)).getAttribute("points").trim().split("\\s+")) {
                String[] xy = pair.split(",");
                points.add(new double[] {Double.parseDouble(xy[0]), Double.parseDouble(xy[1])});
            }
            lines.add(points);
        }
        return lines;
    }

    private static RunReport withSteps(List<StepPoint> steps) {
        return new RunReport("steps only", Instant.EPOCH, Map.of(), steps, List.of(), null, null, null);
    }

    @Test
    void aFullReportHasEverySectionChartAndTable(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("report.html");
        ReportWriter.writeHtml(SyntheticRun.full(), file);
        String html = Files.readString(file, StandardCharsets.UTF_8);
        Document doc = parse(html);

        for (String section : new String[] {"settings", "curves", "rounds", "density", "cost"}) {
            assertNotNull(byId(doc, section), "section " + section);
        }
        for (String chart : CHARTS) {
            Element svg = byId(doc, chart);
            assertNotNull(svg, chart);
            assertEquals("chart", svg.getAttribute("class"), chart);
        }
        for (String chart : new String[] {"chart-loss", "chart-explained-variance", "chart-l0"}) {
            List<List<double[]>> lines = polylines(byId(doc, chart));
            assertEquals(1, lines.size(), chart);
            assertTrue(lines.get(0).size() >= 299, chart + " has " + lines.get(0).size() + " points");
        }
        // One bar per histogram bin plus the dead latents' bar.
        NodeList rects = byId(doc, "chart-density").getElementsByTagName("rect");
        int bars = 0;
        for (int i = 0; i < rects.getLength(); i++) {
            bars += ((Element) rects.item(i)).getAttribute("class").startsWith("bar") ? 1 : 0;
        }
        assertEquals(Density.binCount() + 1, bars);

        Element settings = (Element) byId(doc, "settings").getElementsByTagName("table").item(0);
        assertEquals(5, settings.getElementsByTagName("tr").getLength());
        Element rounds = (Element) byId(doc, "rounds").getElementsByTagName("table").item(0);
        assertEquals(4, rounds.getElementsByTagName("tr").getLength(), "a header and three rounds");
        String roundsText = rounds.getTextContent();
        assertTrue(roundsText.contains("fvu = 1 - explained variance"), roundsText);
        assertTrue(roundsText.contains("0.115"), roundsText);
        assertTrue(roundsText.contains("stop: gain below 5%"), roundsText);
        assertTrue(roundsText.contains("explained_variance"), "the other metrics are columns: " + roundsText);
        assertTrue(byId(doc, "stop-reasoning").getTextContent().contains("below the 5% threshold"));
        assertTrue(byId(doc, "density-counts").getTextContent().contains(SyntheticRun.DEAD + " dead"));
        assertTrue(byId(doc, "density-counts").getTextContent().contains(SyntheticRun.DENSE + " dense"));
        assertTrue(html.contains("$15.48 ± 10%"), "the estimate in the guide's style");

        // Offline: nothing to fetch, nothing to run.
        String lower = html.toLowerCase(java.util.Locale.ROOT);
        assertFalse(lower.contains("<script"));
        assertFalse(lower.contains("src="));
        assertFalse(lower.contains("href="));
        assertFalse(lower.contains("url("));
        assertFalse(lower.contains("@import"));
        assertFalse(html.contains("NaN"), "no NaN coordinates or labels");
    }

    @Test
    void aReportWithNothingInItIsStillWellFormedAndSaysWhatIsMissing() throws Exception {
        RunReport empty = new RunReport("empty run", Instant.EPOCH, Map.of(), List.of(), List.of(), null, null, null);
        String html = ReportWriter.render(empty);
        Document doc = parse(html);

        assertTrue(html.contains("No settings were recorded"));
        assertTrue(html.contains("No steps were recorded"));
        assertTrue(html.contains("No TUMIX rounds were recorded"));
        assertTrue(html.contains("No evaluation pass was run"));
        assertTrue(html.contains("No cost meter ran"));
        for (String chart : new String[] {"chart-loss", "chart-explained-variance", "chart-l0"}) {
            Element svg = byId(doc, chart);
            assertNotNull(svg, "axes are drawn even without data: " + chart);
            assertEquals(0, svg.getElementsByTagName("polyline").getLength());
        }
        assertFalse(html.contains("NaN") || html.contains("Infinity"), html);
    }

    @Test
    void onePointNaNsAndAConstantSeriesDrawWithoutDividingByZero() throws Exception {
        String one = ReportWriter.render(withSteps(List.of(new StepPoint(5, 100, 0.5, 0.9, 32, 0, 1e-3, 0))));
        Document doc = parse(one);
        assertFalse(one.contains("NaN") || one.contains("Infinity"));
        assertEquals(1, byId(doc, "chart-loss").getElementsByTagName("circle").getLength(), "one point is a dot");

        List<StepPoint> constant = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            constant.add(new StepPoint(i, i, 0.25, i == 4 ? Double.NaN : 0.8, 64, 0, 1e-3, 0));
        }
        String html = ReportWriter.render(withSteps(constant));
        doc = parse(html);
        assertFalse(html.contains("NaN") || html.contains("Infinity"));
        List<List<double[]>> loss = polylines(byId(doc, "chart-loss"));
        assertEquals(1, loss.size());
        double y0 = loss.get(0).get(0)[1];
        for (double[] p : loss.get(0)) {
            assertEquals(y0, p[1], 1e-9, "a constant series is flat");
        }
        double height = Double.parseDouble(byId(doc, "chart-loss").getAttribute("height"));
        assertTrue(y0 > 0 && y0 < height, "and inside the chart: " + y0);
        // The NaN at index 4 breaks the explained-variance line into points 0..3 and 5..9.
        List<List<double[]>> ev = polylines(byId(doc, "chart-explained-variance"));
        assertEquals(2, ev.size());
        assertEquals(4, ev.get(0).size());
        assertEquals(5, ev.get(1).size());
    }

    @Test
    void settingsAndTitlesAreEscaped() throws Exception {
        Map<String, String> settings = new LinkedHashMap<>();
        String hostile = "<script>alert('x')</script> & \"quoted\"";
        settings.put("data <path>", hostile);
        RunReport report = new RunReport("run <b>bold</b>", Instant.EPOCH, settings, List.of(),
                List.of(new RoundRow(1, Map.of("a<b", 1.0), "<i>m</i>", 1, true, "<stop>", "x < y & z")),
                "</p><script>", null, null);
        String html = ReportWriter.render(report);

        assertFalse(html.contains("<script"), html);
        assertFalse(html.contains("<b>bold"), html);
        assertFalse(html.contains("<i>m"), html);
        assertFalse(html.contains("<stop>"), html);
        Document doc = parse(html);
        Element row = (Element) byId(doc, "settings").getElementsByTagName("tr").item(0);
        assertEquals("data <path>", row.getElementsByTagName("th").item(0).getTextContent());
        assertEquals(hostile, row.getElementsByTagName("td").item(0).getTextContent(), "shown as typed");
        assertEquals("</p><script>", byId(doc, "stop-reasoning").getTextContent());
    }

    @Test
    void theLossLineFollowsTheData() throws Exception {
        List<StepPoint> steps = SyntheticRun.steps(300);
        Document doc = parse(ReportWriter.render(withSteps(steps)));
        List<double[]> points = polylines(byId(doc, "chart-loss")).get(0);
        assertEquals(steps.size(), points.size());

        int highest = 0;
        int lowest = 0;
        for (int i = 1; i < steps.size(); i++) {
            highest = steps.get(i).loss() > steps.get(highest).loss() ? i : highest;
            lowest = steps.get(i).loss() < steps.get(lowest).loss() ? i : lowest;
        }
        for (int i = 0; i < points.size(); i++) {
            assertTrue(points.get(i)[1] >= points.get(highest)[1], "the highest loss is the top point");
            assertTrue(points.get(i)[1] <= points.get(lowest)[1], "the lowest loss is the bottom point");
            if (i > 0) {
                assertTrue(points.get(i)[0] > points.get(i - 1)[0], "steps run left to right");
            }
        }
        // y is linear in the loss (up to the 0.1 px rounding of coordinates): check against the two extremes.
        double slope = (points.get(lowest)[1] - points.get(highest)[1])
                / (steps.get(lowest).loss() - steps.get(highest).loss());
        for (int i = 0; i < points.size(); i++) {
            double expected = points.get(highest)[1] + slope * (steps.get(i).loss() - steps.get(highest).loss());
            assertEquals(expected, points.get(i)[1], 0.2, "point " + i);
        }
    }

    @Test
    void theCostVerdictSaysWhetherTheProjectionIsInTheBand() throws Exception {
        // $7.10 at half way projects $14.20, inside $15.48 ± 10% ($13.93 to $17.03).
        Document within = parse(ReportWriter.render(costOnly(SyntheticRun.cost("7.10", 0.5))));
        Element verdict = byId(within, "cost-verdict");
        assertEquals("verdict within", verdict.getAttribute("class"));
        assertTrue(verdict.getTextContent().contains("$14.20, within the estimate's band"),
                verdict.getTextContent());
        assertEquals(1, countByClass(byId(within, "chart-cost"), "rect", "band"));
        assertEquals(1, countByClass(byId(within, "chart-cost"), "g", "projected"));

        // $9.00 at half way projects $18.00, above $17.03.
        Document above = parse(ReportWriter.render(costOnly(SyntheticRun.cost("9.00", 0.5))));
        verdict = byId(above, "cost-verdict");
        assertEquals("verdict outside", verdict.getAttribute("class"));
        assertTrue(verdict.getTextContent().contains("$18.00, above the estimate's band"), verdict.getTextContent());
        Element marker = firstByClass(byId(above, "chart-cost"), "g", "projected");
        assertEquals(Charts.OUTSIDE_COLOUR,
                ((Element) marker.getElementsByTagName("line").item(0)).getAttribute("stroke"));

        // Nothing done yet: no projection, so no marker and no verdict either way.
        Document none = parse(ReportWriter.render(costOnly(SyntheticRun.cost("0.00", 0.0))));
        assertEquals("verdict", byId(none, "cost-verdict").getAttribute("class"));
        assertEquals(0, countByClass(byId(none, "chart-cost"), "g", "projected"));
    }

    private static RunReport costOnly(CostSummary cost) {
        return new RunReport("cost", Instant.EPOCH, Map.of(), List.of(), List.of(), null, null, cost);
    }

    private static int countByClass(Element root, String tag, String cssClass) {
        int n = 0;
        NodeList nodes = root.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            n += cssClass.equals(((Element) nodes.item(i)).getAttribute("class")) ? 1 : 0;
        }
        return n;
    }

    private static Element firstByClass(Element root, String tag, String cssClass) {
        NodeList nodes = root.getElementsByTagName(tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            if (cssClass.equals(((Element) nodes.item(i)).getAttribute("class"))) {
                return (Element) nodes.item(i);
            }
        }
        throw new AssertionError("no " + tag + " of class " + cssClass);
    }
}
