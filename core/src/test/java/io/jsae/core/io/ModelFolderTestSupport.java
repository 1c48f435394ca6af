package io.jsae.core.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.SparseCodes;
import io.jsae.core.TestData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Models, folder edits and comparisons shared by the model folder format tests. */
final class ModelFolderTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int D_IN = 12;
    static final int D_SAE = 20;
    /** Not representable as a float, so a float round trip would change it. */
    static final double BATCH_THRESHOLD = 0.1234567890123;

    private ModelFolderTestSupport() {
    }

    /** One tensor of a safetensors file, editable. */
    record Tensor(DType dtype, long[] shape, float[] data) {
    }

    /** A random model of the given activation, with thresholds where it needs them. */
    static SparseAutoencoder model(Activation act, double inputScale, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ParameterTensors w = TestData.randomWeights(D_IN, D_SAE, rnd);
        float[] thresholds = null;
        if (act instanceof Activation.JumpRelu) {
            thresholds = new float[D_SAE];
            for (int j = 0; j < D_SAE; j++) {
                thresholds[j] = (float) (0.3 * rnd.nextDouble());
            }
        }
        double batchThreshold = act instanceof Activation.BatchTopK ? BATCH_THRESHOLD : Double.NaN;
        SaeConfig cfg = SaeConfig.builder(D_IN, D_SAE).activation(act).build();
        return new SparseAutoencoder(cfg, w, thresholds, batchThreshold, inputScale,
                new SaeMetadata("test-model", "blocks.3.hook_resid_post", 3));
    }

    static float[][] inputs(long seed) {
        return TestData.batch(64, D_IN, new SplittableRandom(seed));
    }

    /** Codes and reconstructions bit for bit equal. */
    static void assertSameOutputs(SparseAutoencoder expected, SparseAutoencoder actual, float[][] x) {
        SparseCodes a = expected.encode(x);
        SparseCodes b = actual.encode(x);
        assertArrayEquals(a.rowStart(), b.rowStart());
        assertArrayEquals(a.indices(), b.indices());
        assertArrayEquals(a.values(), b.values());
        float[][] ra = expected.decode(a);
        float[][] rb = actual.decode(b);
        for (int r = 0; r < x.length; r++) {
            assertArrayEquals(ra[r], rb[r], "row " + r);
        }
    }

    /** The same latents fire; values and reconstructions agree to float rounding. */
    static void assertCloseOutputs(SparseAutoencoder expected, SparseAutoencoder actual, float[][] x) {
        SparseCodes a = expected.encode(x);
        SparseCodes b = actual.encode(x);
        assertArrayEquals(a.rowStart(), b.rowStart());
        assertArrayEquals(a.indices(), b.indices());
        assertTrue(a.values().length > 0, "some latents fire");
        for (int i = 0; i < a.values().length; i++) {
            assertEquals(a.values()[i], b.values()[i], 1e-5 * (1 + Math.abs(a.values()[i])), "code value " + i);
        }
        float[][] ra = expected.decode(a);
        float[][] rb = actual.decode(b);
        for (int r = 0; r < x.length; r++) {
            for (int d = 0; d < D_IN; d++) {
                assertEquals(ra[r][d], rb[r][d], 1e-5 * (1 + Math.abs(ra[r][d])), "reconstruction [" + r + ", " + d + "]");
            }
        }
    }

    static ObjectNode readJson(Path file) throws IOException {
        return (ObjectNode) JSON.readTree(file.toFile());
    }

    static void editJson(Path file, Consumer<ObjectNode> edit) throws IOException {
        ObjectNode cfg = readJson(file);
        edit.accept(cfg);
        Files.write(file, JSON.writeValueAsBytes(cfg));
    }

    static Map<String, Tensor> readTensors(Path file) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                out.put(t.name(), new Tensor(t.dtype(), t.shape(), f.readFloats(t.name())));
            }
        }
        return out;
    }

    static void writeTensors(Path file, Map<String, Tensor> tensors) throws IOException {
        SafetensorsWriter w = new SafetensorsWriter();
        tensors.forEach((name, t) -> w.add(name, t.dtype(), t.shape(), t.data()));
        Files.deleteIfExists(file);
        w.write(file);
    }

    static void editTensors(Path file, Consumer<Map<String, Tensor>> edit) throws IOException {
        Map<String, Tensor> t = readTensors(file);
        edit.accept(t);
        writeTensors(file, t);
    }

    /** Loading fails with a {@link ModelFormatException} whose message holds every fragment. */
    static ModelFormatException assertRejected(Path dir, String... fragments) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SaeFolders.load(dir));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message should name '" + f + "': " + e.getMessage());
        }
        return e;
    }
}
