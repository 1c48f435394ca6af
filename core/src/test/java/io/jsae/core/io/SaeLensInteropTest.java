package io.jsae.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.SparseCodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;

import static io.jsae.core.io.ModelFolderTestSupport.D_IN;
import static io.jsae.core.io.ModelFolderTestSupport.D_SAE;
import static io.jsae.core.io.ModelFolderTestSupport.Tensor;
import static io.jsae.core.io.ModelFolderTestSupport.assertRejected;
import static io.jsae.core.io.ModelFolderTestSupport.assertSameOutputs;
import static io.jsae.core.io.ModelFolderTestSupport.editJson;
import static io.jsae.core.io.ModelFolderTestSupport.editTensors;
import static io.jsae.core.io.ModelFolderTestSupport.inputs;
import static io.jsae.core.io.ModelFolderTestSupport.model;
import static io.jsae.core.io.ModelFolderTestSupport.readJson;
import static io.jsae.core.io.ModelFolderTestSupport.readTensors;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What SAELens 5.x and 6.x read from our cfg.json, and the SAELens variants the reader folds or maps. */
class SaeLensInteropTest {

    /** Keys SAELens 5.x's SAEConfig has no default for and that its loader does not fill in itself. */
    private static final List<String> SAELENS_5_REQUIRED = List.of("architecture", "d_in", "d_sae", "context_size",
            "model_name", "hook_name", "hook_layer", "hook_head_index", "dataset_path", "normalize_activations",
            "dtype", "device");

    @TempDir
    Path tmp;

    static Stream<Activation> activations() {
        return Stream.of(Activation.topK(4), Activation.batchTopK(4), Activation.relu(0.003), Activation.jumpRelu());
    }

    private Path saved(SparseAutoencoder m) throws IOException {
        Path dir = tmp.resolve("sae");
        SaeFolders.save(m, dir);
        return dir;
    }

    /** The activation SAELens 5.x builds: the encode path by architecture, the function by activation_fn_str. */
    private static String saeLens5Activation(JsonNode cfg) {
        String arch = cfg.get("architecture").asText();
        String fn = cfg.has("activation_fn_str") ? cfg.get("activation_fn_str").asText() : "relu"; // its default
        if (arch.equals("jumprelu")) {
            return fn.equals("relu") ? "jumprelu" : "jumprelu+" + fn;
        }
        assertTrue(arch.equals("standard") || arch.equals("topk"), "5.x runs " + arch);
        return fn.equals("topk") ? "topk(" + cfg.get("activation_fn_kwargs").get("k").asInt() + ")" : fn;
    }

    /** The activation SAELens 6.x builds from a config without sae_lens_version: the class by architecture. */
    private static String saeLens6Activation(JsonNode cfg) {
        assertFalse(cfg.has("sae_lens_version"), "the flat layout goes through 6.x's pre-6.0 conversion");
        String arch = cfg.get("architecture").asText();
        switch (arch) {
            case "topk":
                // 6.x takes k from activation_fn_kwargs when present, else from k
                int k = cfg.has("activation_fn_kwargs") && cfg.get("activation_fn_kwargs").has("k")
                        ? cfg.get("activation_fn_kwargs").get("k").asInt() : cfg.get("k").asInt();
                assertEquals(k, cfg.get("k").asInt());
                assertFalse(cfg.path("rescale_acts_by_decoder_norm").asBoolean(false));
                return "topk(" + k + ")";
            case "standard":
                return "relu";
            case "jumprelu":
                return "jumprelu";
            default:
                throw new AssertionError("6.x has no inference class for " + arch);
        }
    }

    /** What SAELens must run for a model of this project. */
    private static String trained(SparseAutoencoder m) {
        Activation act = m.config().activation();
        if (act instanceof Activation.TopK || (act instanceof Activation.BatchTopK && Double.isNaN(m.batchTopKThreshold()))) {
            return "topk(" + act.k() + ")";
        }
        if (act instanceof Activation.Relu) {
            return "relu";
        }
        return "jumprelu"; // jumprelu, and batchtopk with its threshold in every entry
    }

    @ParameterizedTest
    @MethodSource("activations")
    void bothSaeLensVersionsBuildTheTrainedActivation(Activation act) throws IOException {
        SparseAutoencoder m = model(act, 1.0, 40);
        JsonNode cfg = readJson(saved(m).resolve("cfg.json"));
        for (String key : SAELENS_5_REQUIRED) {
            assertTrue(cfg.has(key), "SAELens 5.x requires '" + key + "': " + cfg);
        }
        assertTrue(cfg.get("hook_name").isTextual(), "5.x calls hook_name.endswith");
        assertTrue(cfg.get("model_name").isTextual());
        assertTrue(cfg.get("dataset_path").isTextual());
        assertTrue(cfg.get("hook_head_index").isNull());
        assertEquals("none", cfg.get("normalize_activations").asText());
        assertFalse(cfg.get("finetuning_scaling_factor").asBoolean());
        assertFalse(cfg.has("activation_fn"), "6.x renames activation_fn_str to activation_fn: only one may exist");
        assertEquals(trained(m), saeLens5Activation(cfg));
        assertEquals(trained(m), saeLens6Activation(cfg));
        assertEquals(3, cfg.get("hook_layer").asInt());
    }

    @Test
    void unknownMetadataIsEmptyOrNullAndReadsBackAsUnknown() throws IOException {
        SparseAutoencoder m = model(Activation.topK(4), 1.0, 41).withMetadata(SaeMetadata.NONE);
        Path dir = saved(m);
        JsonNode cfg = readJson(dir.resolve("cfg.json"));
        assertEquals("", cfg.get("model_name").asText());
        assertEquals("", cfg.get("hook_name").asText());
        assertEquals("", cfg.get("dataset_path").asText());
        assertTrue(cfg.get("hook_layer").isNull());
        assertTrue(cfg.get("context_size").isNull());
        assertEquals(SaeMetadata.NONE, SaeFolders.load(dir).metadata());
    }

    @Test
    void contextSizeAndDatasetRoundTrip() throws IOException {
        SaeMetadata meta = new SaeMetadata("gpt2", "blocks.5.hook_resid_pre", 5, 128, "Skylion007/openwebtext");
        Path dir = saved(model(Activation.topK(4), 1.0, 42).withMetadata(meta));
        JsonNode cfg = readJson(dir.resolve("cfg.json"));
        assertEquals(128, cfg.get("context_size").asInt());
        assertEquals("Skylion007/openwebtext", cfg.get("dataset_path").asText());
        assertEquals(meta, SaeFolders.load(dir).metadata());
    }

    @Test
    void layerComesFromTheHookNameWhenUnknown() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 43).withMetadata(SaeMetadata.of("gpt2", "blocks.11.hook_mlp_out")));
        assertEquals(11, readJson(dir.resolve("cfg.json")).get("hook_layer").asInt());
        // 6.x writes no hook_layer at all
        editJson(dir.resolve("cfg.json"), c -> {
            c.remove(List.of("model_name", "hook_name", "hook_layer"));
            c.putObject("metadata").put("model_name", "gpt2").put("hook_name", "blocks.7.hook_resid_post")
                    .put("context_size", 256);
        });
        assertEquals(new SaeMetadata("gpt2", "blocks.7.hook_resid_post", 7, 256, null), SaeFolders.load(dir).metadata());
        assertEquals(null, SaeMetadata.layerOf("hook_embed"));
        assertEquals(null, SaeMetadata.layerOf("blocks.x.hook_resid_post"));
        assertEquals(null, SaeMetadata.layerOf("blocks.12x.hook_resid_post"));
        assertEquals(null, SaeMetadata.layerOf("blocks.9999999999.hook_resid_post"));
        assertEquals(12, SaeMetadata.layerOf("blocks.12.attn.hook_z"));
    }

    // ---------------------------------------------------------------------------------------------------
    // Pre-6.0 topk folders

    @Test
    void preSixStandardWithTopKActivationIsTopK() throws IOException {
        SparseAutoencoder m = model(Activation.topK(3), 1.0, 44);
        for (String key : new String[] {"activation_fn_str", "activation_fn"}) {
            Path dir = tmp.resolve("pre6-" + key);
            SaeFolders.save(m, dir);
            editJson(dir.resolve("cfg.json"), c -> {
                c.remove(List.of("k", "jsae", "activation_fn_str", "rescale_acts_by_decoder_norm"));
                c.put("architecture", "standard");
                c.put(key, "topk");
                c.putObject("activation_fn_kwargs").put("k", 3);
            });
            SparseAutoencoder back = SaeFolders.load(dir);
            assertEquals(Activation.topK(3), back.config().activation(), key);
            assertSameOutputs(m, back, inputs(45));
        }
    }

    @Test
    void preSixStandardWithoutKOrWithAnotherFunctionIsRefused() throws IOException {
        Path dir = saved(model(Activation.relu(0), 1.0, 46));
        editJson(dir.resolve("cfg.json"), c -> c.put("activation_fn_str", "topk"));
        assertRejected(dir, "cfg.json", "field 'k'", "activation_fn_kwargs.k");
        editJson(dir.resolve("cfg.json"), c -> c.put("activation_fn_str", "tanh-relu"));
        assertRejected(dir, "cfg.json", "field 'activation_fn_str'", "tanh-relu");
    }

    // ---------------------------------------------------------------------------------------------------
    // rescale_acts_by_decoder_norm

    /**
     * SAELens's topk with rescale_acts_by_decoder_norm, written out: pre scaled by the decoder row norms, the
     * k largest kept (ReLU), codes divided by the norms before the decoder.
     */
    private static float[][] saeLensRescaledTopK(Map<String, Tensor> t, float[][] x, int k, float[][] codesOut) {
        float[] wEnc = t.get("W_enc").data(); // [d_in, d_sae]
        float[] wDec = t.get("W_dec").data();
        float[] bEnc = t.get("b_enc").data();
        float[] bDec = t.get("b_dec").data();
        float[][] out = new float[x.length][D_IN];
        for (int r = 0; r < x.length; r++) {
            double[] pre = new double[D_SAE];
            double[] norm = new double[D_SAE];
            for (int j = 0; j < D_SAE; j++) {
                double s = bEnc[j];
                double n = 0;
                for (int d = 0; d < D_IN; d++) {
                    s += (x[r][d] - (double) bDec[d]) * wEnc[d * D_SAE + j];
                    n += (double) wDec[j * D_IN + d] * wDec[j * D_IN + d];
                }
                norm[j] = Math.sqrt(n);
                pre[j] = s * norm[j];
            }
            Integer[] order = new Integer[D_SAE];
            for (int j = 0; j < D_SAE; j++) {
                order[j] = j;
            }
            Arrays.sort(order, (a, b) -> Double.compare(pre[b], pre[a]));
            for (int d = 0; d < D_IN; d++) {
                out[r][d] = bDec[d];
            }
            for (int i = 0; i < k; i++) {
                int j = order[i];
                double z = Math.max(0, pre[j]);
                codesOut[r][j] = (float) z;
                for (int d = 0; d < D_IN; d++) {
                    out[r][d] += (float) (z / norm[j] * wDec[j * D_IN + d]);
                }
            }
        }
        return out;
    }

    @Test
    void decoderNormRescalingIsFoldedIntoTheWeights() throws IOException {
        int k = 4;
        Path dir = saved(model(Activation.topK(k), 1.0, 47));
        Path weights = dir.resolve("sae_weights.safetensors");
        // decoder rows of very different norms, so that rescaling changes which latents win
        SplittableRandom rnd = new SplittableRandom(48);
        editTensors(weights, t -> {
            float[] wDec = t.get("W_dec").data();
            for (int j = 0; j < D_SAE; j++) {
                double c = 0.05 + 5 * rnd.nextDouble();
                for (int d = 0; d < D_IN; d++) {
                    wDec[j * D_IN + d] = (float) (wDec[j * D_IN + d] * c);
                }
            }
        });
        editJson(dir.resolve("cfg.json"), c -> {
            c.remove("jsae");
            c.put("rescale_acts_by_decoder_norm", true);
        });
        Map<String, Tensor> t = readTensors(weights);
        SparseAutoencoder folded = SaeFolders.load(dir);

        float[][] x = inputs(49);
        float[][] expectedCodes = new float[x.length][D_SAE];
        float[][] expected = saeLensRescaledTopK(t, x, k, expectedCodes);
        SparseCodes codes = folded.encode(x);
        float[][] actual = folded.decode(codes);
        for (int r = 0; r < x.length; r++) {
            float[] dense = new float[D_SAE];
            int[] idx = codes.indices(r);
            for (int i = 0; i < idx.length; i++) {
                dense[idx[i]] = codes.values(r)[i];
            }
            for (int j = 0; j < D_SAE; j++) {
                assertEquals(expectedCodes[r][j], dense[j], 1e-4 * (1 + Math.abs(expectedCodes[r][j])),
                        "code [" + r + ", " + j + "]");
            }
            for (int d = 0; d < D_IN; d++) {
                assertEquals(expected[r][d], actual[r][d], 1e-4 * (1 + Math.abs(expected[r][d])),
                        "reconstruction [" + r + ", " + d + "]");
            }
        }
        // the folded decoder has unit rows, and the same file read without rescaling differs
        ParameterTensors w = folded.weights();
        for (int j = 0; j < D_SAE; j++) {
            double n = 0;
            for (int d = 0; d < D_IN; d++) {
                n += (double) w.wDec()[j * D_IN + d] * w.wDec()[j * D_IN + d];
            }
            assertEquals(1.0, Math.sqrt(n), 1e-5, "row " + j);
        }
        editJson(dir.resolve("cfg.json"), c -> c.put("rescale_acts_by_decoder_norm", false));
        assertFalse(Arrays.equals(folded.encode(x).indices(), SaeFolders.load(dir).encode(x).indices()),
                "the test's decoder norms change the selection");
    }

    @Test
    void decoderNormRescalingIsRefusedWhereItIsUndefined() throws IOException {
        Path dir = saved(model(Activation.jumpRelu(), 1.0, 50));
        editJson(dir.resolve("cfg.json"), c -> c.put("rescale_acts_by_decoder_norm", true));
        assertRejected(dir, "cfg.json", "field 'rescale_acts_by_decoder_norm'", "jumprelu");

        Path topk = tmp.resolve("zero-row");
        SaeFolders.save(model(Activation.topK(4), 1.0, 51), topk);
        editJson(topk.resolve("cfg.json"), c -> c.put("rescale_acts_by_decoder_norm", true));
        editTensors(topk.resolve("sae_weights.safetensors"), t -> Arrays.fill(t.get("W_dec").data(), 6 * D_IN, 7 * D_IN, 0f));
        assertRejected(topk, "sae_weights.safetensors", "tensor 'W_dec'", "row 6 is zero");
    }

    // ---------------------------------------------------------------------------------------------------
    // F64 weights

    @Test
    void readsDoublePrecisionWeights() throws IOException {
        Path dir = saved(model(Activation.topK(4), 1.0, 52));
        Path file = dir.resolve("sae_weights.safetensors");
        Map<String, Tensor> t = readTensors(file);
        SplittableRandom rnd = new SplittableRandom(53);
        // doubles that float32 cannot hold exactly: the reader must round each to nearest
        Map<String, double[]> doubles = new java.util.TreeMap<>();
        for (String name : t.keySet()) {
            float[] f = t.get(name).data();
            double[] v = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                v[i] = f[i] + rnd.nextDouble() * 1e-9;
            }
            doubles.put(name, v);
        }
        writeF64(file, t, doubles);
        SparseAutoencoder back = SaeFolders.load(dir);
        double[] wEnc = doubles.get("W_enc");
        for (int d = 0; d < D_IN; d++) {
            for (int j = 0; j < D_SAE; j++) {
                assertEquals((float) wEnc[d * D_SAE + j], back.weights().wEnc()[j * D_IN + d]);
            }
        }
        float[] wDec = new float[D_SAE * D_IN];
        for (int i = 0; i < wDec.length; i++) {
            wDec[i] = (float) doubles.get("W_dec")[i];
        }
        assertArrayEquals(wDec, back.weights().wDec());
        assertEquals((float) doubles.get("b_dec")[5], back.weights().bDec()[5]);

        doubles.get("b_enc")[2] = 1e300; // beyond float32: infinite after rounding
        writeF64(file, t, doubles);
        assertRejected(dir, "tensor 'b_enc'", "Infinity", "[2]", "F64");
    }

    private static void writeF64(Path file, Map<String, Tensor> shapes, Map<String, double[]> values) throws IOException {
        StringBuilder h = new StringBuilder("{");
        List<byte[]> parts = new ArrayList<>();
        long off = 0;
        for (String name : new TreeSet<>(values.keySet())) {
            double[] v = values.get(name);
            ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (double x : v) {
                b.putDouble(x);
            }
            parts.add(b.array());
            if (h.length() > 1) {
                h.append(',');
            }
            h.append('"').append(name).append("\":{\"dtype\":\"F64\",\"shape\":")
                    .append(Arrays.toString(shapes.get(name).shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(off).append(',').append(off + 8L * v.length).append("]}");
            off += 8L * v.length;
        }
        h.append('}');
        java.nio.file.Files.deleteIfExists(file);
        SafetensorsTest.raw(file, h.toString(), SafetensorsTest.concat(parts.toArray(new byte[0][])));
    }
}
