package io.jsae.examples;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsae.core.Activation;
import io.jsae.core.SaeConfig;
import io.jsae.core.backend.Backend;
import io.jsae.core.backend.Backends;
import io.jsae.core.data.SourcePosition;
import io.jsae.core.data.SyntheticActivations;
import io.jsae.core.data.SyntheticActivations.LabeledClass;
import io.jsae.core.io.DType;
import io.jsae.core.io.NpyWriter;
import io.jsae.core.io.SaeFolders;
import io.jsae.core.train.SaeTrainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code jsae latents} on an SAE trained on labeled synthetic activations (the classes of core's
 * {@code LatentLabelAnalysisTest}: email and phone with a feature each, name with look-alikes), with labels as
 * {@code .npy} and as CSV, and its failures on bad labels and data.
 */
class LatentsCommandTest {

    private static final int D_IN = 32;
    private static final int ROWS = 12_000;

    @TempDir
    static Path tmp;
    private static Path saeDir;
    private static Path dataFile;
    private static Path labelsFile;
    private static int[] labels;


    private static CommandRun run(String... args) {
        return CommandRun.of(args);
    }

    @BeforeAll
    static void trainAndWrite() throws IOException {
        List<LabeledClass> classes = List.of(new LabeledClass("email", 0.06, new int[] {0}, 0, -1),
                new LabeledClass("phone", 0.06, new int[] {1}, 0, -1),
                new LabeledClass("name", 0.06, new int[] {2}, 0.03, 3));
        SyntheticActivations synthetic = SyntheticActivations.labeled(D_IN, 32, 2, 0, 30_000, 5, classes, 0.005);
        SaeConfig config = SaeConfig.builder(D_IN, 64).activation(Activation.topK(4)).batchSize(256)
                .learningRate(5e-3).deadTokens(20_000).totalSteps(3 * 30_000 / 256).seed(2).build();
        try (Backend backend = Backends.named("cpu", 0); SaeTrainer trainer = new SaeTrainer(config, backend)) {
            for (int e = 0; e < 3; e++) {
                trainer.trainEpoch(synthetic);
            }
            saeDir = tmp.resolve("sae");
            SaeFolders.save(trainer.model(), saeDir);
        }
        long epoch = 50; // rows the SAE did not train on
        synthetic.seek(new SourcePosition(epoch, 0));
        FloatBuffer rows = FloatBuffer.allocate(ROWS * D_IN);
        synthetic.read(rows, ROWS);
        dataFile = tmp.resolve("acts.npy");
        NpyWriter.write(dataFile, rows.array(), ROWS, D_IN);
        labels = new int[ROWS];
        for (int r = 0; r < ROWS; r++) {
            labels[r] = synthetic.label(epoch, r);
        }
        labelsFile = tmp.resolve("labels.npy");
        try (NpyWriter w = NpyWriter.create(labelsFile, DType.I32, ROWS, 1)) {
            w.write(labels, 0, ROWS);
        }
    }

    @Test
    void scoresEachClassAndWritesJsonAndReport() throws Exception {
        Path json = tmp.resolve("latents.json");
        Path report = tmp.resolve("report");
        CommandRun r = run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels", labelsFile.toString(),
                "--classes", "email,phone,name", "--top", "5", "--json", json.toString(), "--report", report.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("class 1 email") && r.out().contains("class 3 name") && r.out().contains("probe"), r.out());
        JsonNode root = new ObjectMapper().readTree(json.toFile());
        assertEquals(ROWS, root.get("rows").asLong());
        assertEquals(ROWS, root.get("train_rows").asLong() + root.get("held_out_rows").asLong());
        for (JsonNode c : root.get("classes")) {
            JsonNode top = c.get("top_latents").get(0);
            assertEquals(5, c.get("top_latents").size());
            assertTrue(top.get("auroc").asDouble() >= 0.95, c.toString());
            JsonNode roc = top.get("roc");
            assertEquals(roc.get("fpr").size(), roc.get("tpr").size());
            long positives = 0;
            for (int label : labels) {
                positives += label == c.get("label").asInt() ? 1 : 0;
            }
            assertEquals(positives, c.get("positives").asLong());
        }
        JsonNode name = root.get("classes").get(2);
        assertTrue(name.get("probe").get("held_out").get("f1").asDouble()
                > name.get("single_latent").get("held_out").get("f1").asDouble(), name.toString());

        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        Document doc = factory.newDocumentBuilder().parse(report.resolve("latents.html").toFile());
        NodeList svgs = doc.getElementsByTagName("svg");
        int rocCharts = 0;
        for (int i = 0; i < svgs.getLength(); i++) {
            Element svg = (Element) svgs.item(i);
            if (svg.getAttribute("id").startsWith("chart-roc-")) {
                rocCharts++;
                assertEquals(5, svg.getElementsByTagName("polyline").getLength(), "one curve per listed latent");
            }
        }
        assertEquals(3, rocCharts);
        assertEquals(1 + 3, doc.getElementsByTagName("section").getLength(), "settings and a section per class");
    }

    @Test
    void csvLabelsGiveTheSameFindingsAsTheArray() throws Exception {
        StringBuilder csv = new StringBuilder("row,class\n");
        String[] names = {"email", "phone", "name"};
        for (int r = 0; r < ROWS; r++) {
            if (labels[r] != 0) {
                csv.append(r).append(',').append(names[labels[r] - 1]).append('\n');
            }
        }
        Path csvFile = tmp.resolve("labels.csv");
        Files.writeString(csvFile, csv);
        Path fromCsv = tmp.resolve("csv.json");
        Path fromNpy = tmp.resolve("npy.json");
        assertEquals(0, run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels",
                csvFile.toString(), "--classes", "email,phone,name", "--json", fromCsv.toString()).code());
        assertEquals(0, run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels",
                labelsFile.toString(), "--classes", "email,phone,name", "--json", fromNpy.toString()).code());
        ObjectMapper m = new ObjectMapper();
        assertEquals(m.readTree(fromNpy.toFile()), m.readTree(fromCsv.toFile()));
    }

    @Test
    void badLabelsAndDataFailWithTheFileAndRow() throws IOException {
        Path shortLabels = tmp.resolve("short.npy");
        try (NpyWriter w = NpyWriter.create(shortLabels, DType.I32, 10, 1)) {
            w.write(new int[10], 0, 10);
        }
        CommandRun r = run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels", shortLabels.toString(),
                "--classes", "email,phone,name");
        assertEquals(ExitCode.BAD_DATA, r.code());
        assertTrue(r.err().contains("short.npy has 10 rows but --data has " + ROWS), r.err());

        r = run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels", labelsFile.toString(),
                "--classes", "email,phone");
        assertEquals(ExitCode.BAD_DATA, r.code());
        assertTrue(r.err().contains("labels.npy") && r.err().contains("row ") && r.err().contains("label 3"), r.err());

        Path csv = tmp.resolve("unknown.csv");
        Files.writeString(csv, "0,email\n5,address\n");
        r = run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels", csv.toString(),
                "--classes", "email,phone,name");
        assertEquals(ExitCode.BAD_DATA, r.code());
        assertTrue(r.err().contains("unknown.csv line 2") && r.err().contains("unknown class 'address'"), r.err());

        r = run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels", labelsFile.toString(),
                "--classes", "email,phone,name,address");
        assertEquals(ExitCode.BAD_DATA, r.code(), r.all());
        assertTrue(r.err().contains("class 'address' (label 4) has no rows"), r.err());

        r = run("latents", saeDir.toString(), "--data", dataFile.toString(), "--labels", labelsFile.toString());
        assertEquals(ExitCode.USAGE, r.code());
        assertTrue(r.err().contains("--classes"), r.err());

        float[] bad = new float[20 * D_IN];
        bad[7 * D_IN + 3] = Float.NaN;
        Path nanData = tmp.resolve("nan.npy");
        NpyWriter.write(nanData, bad, 20, D_IN);
        Path twenty = tmp.resolve("twenty.npy");
        int[] twentyLabels = new int[20];
        twentyLabels[0] = 1; // one email row, so that the class check passes and the data is read
        try (NpyWriter w = NpyWriter.create(twenty, DType.I32, 20, 1)) {
            w.write(twentyLabels, 0, 20);
        }
        r = run("latents", saeDir.toString(), "--data", nanData.toString(), "--labels", twenty.toString(),
                "--classes", "email");
        assertEquals(ExitCode.BAD_DATA, r.code());
        assertTrue(r.err().contains("nan.npy") && r.err().contains("row 7"), r.err());

        r = run("latents", saeDir.toString(), "--data", nanData.toString(), "--labels", twenty.toString(),
                "--classes", "email", "--skip-non-finite");
        assertEquals(ExitCode.USAGE, r.code());
        assertTrue(r.err().contains("shift every later label"), r.err());
    }
}
