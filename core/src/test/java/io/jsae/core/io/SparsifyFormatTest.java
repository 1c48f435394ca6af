package io.jsae.core.io;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;
import io.jsae.core.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static io.jsae.core.io.ModelFolderTestSupport.JSON;
import static io.jsae.core.io.ModelFolderTestSupport.Tensor;
import static io.jsae.core.io.ModelFolderTestSupport.assertRejected;
import static io.jsae.core.io.ModelFolderTestSupport.assertSameOutputs;
import static io.jsae.core.io.ModelFolderTestSupport.editJson;
import static io.jsae.core.io.ModelFolderTestSupport.editTensors;
import static io.jsae.core.io.ModelFolderTestSupport.inputs;
import static io.jsae.core.io.ModelFolderTestSupport.writeTensors;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SparsifyFormatTest {
    static final int D_IN = ModelFolderTestSupport.D_IN;
    static final int LATENTS = ModelFolderTestSupport.D_SAE;
    static final int K = 4;

    @TempDir
    Path tmp;

    final ParameterTensors weights = TestData.randomWeights(D_IN, LATENTS, new SplittableRandom(40));

    /** A folder as sparsify's SparseCoder.save_to_disk writes it. */
    private Path sparsifyFolder(DType dtype) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("layers.6"));
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("encoder.weight", new Tensor(dtype, new long[] {LATENTS, D_IN}, weights.wEnc()));
        t.put("encoder.bias", new Tensor(dtype, new long[] {LATENTS}, weights.bEnc()));
        t.put("W_dec", new Tensor(dtype, new long[] {LATENTS, D_IN}, weights.wDec()));
        t.put("b_dec", new Tensor(dtype, new long[] {D_IN}, weights.bDec()));
        writeTensors(dir.resolve("sae.safetensors"), t);
        ObjectNode cfg = JSON.createObjectNode()
                .put("activation", "topk").put("expansion_factor", 32).put("normalize_decoder", true)
                .put("num_latents", LATENTS).put("k", K).put("multi_topk", false).put("skip_connection", false)
                .put("transcode", false).put("d_in", D_IN);
        Files.write(dir.resolve("cfg.json"), JSON.writeValueAsBytes(cfg));
        return dir;
    }

    private SparseAutoencoder expected() {
        return new SparseAutoencoder(SaeConfig.builder(D_IN, LATENTS).activation(Activation.topK(K)).build(),
                weights.copy(), null, Double.NaN, 1.0);
    }

    @Test
    void loadsASparsifyFolderExactly() throws IOException {
        SparseAutoencoder m = SaeFolders.load(sparsifyFolder(DType.F32));
        assertEquals(Activation.topK(K), m.config().activation());
        assertEquals(D_IN, m.dIn());
        assertEquals(LATENTS, m.dSae());
        assertTrue(m.weights().bitwiseEquals(weights), "encoder.weight is taken as the internal [d_sae, d_in] rows");
        assertEquals(1.0, m.inputScale());
        assertEquals(SaeMetadata.NONE, m.metadata());
        assertSameOutputs(expected(), m, inputs(41));
    }

    @Test
    void aLoadedSparsifyModelSavesAsSaeLensAndLoadsBackBitwise() throws IOException {
        SparseAutoencoder m = SaeFolders.load(sparsifyFolder(DType.F32));
        Path out = tmp.resolve("saelens");
        SaeFolders.save(m.withMetadata(SaeMetadata.of("EleutherAI/pythia-70m", "layers.6")), out);
        SparseAutoencoder back = SaeFolders.load(out);
        assertTrue(back.weights().bitwiseEquals(weights));
        assertEquals("layers.6", back.metadata().hookName());
    }

    @Test
    void readsBf16Weights() throws IOException {
        SparseAutoencoder m = SaeFolders.load(sparsifyFolder(DType.BF16));
        for (int i = 0; i < weights.wDec().length; i++) {
            assertEquals(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(weights.wDec()[i])), m.weights().wDec()[i]);
        }
    }

    @Test
    void widthsComeFromExpansionFactorOrTheTensorsWhenTheConfigOmitsThem() throws IOException {
        Path dir = sparsifyFolder(DType.F32);
        editJson(dir.resolve("cfg.json"), c -> {
            c.remove("d_in");
            c.put("num_latents", 0);
            c.put("expansion_factor", 1);
        });
        // d_in 12 from b_dec, 12 × 1 latents: the tensors hold 20
        assertRejected(dir, "sae.safetensors", "tensor 'encoder.weight'", "[20, 12]",
                "num_latents=12 = d_in × expansion_factor from cfg.json", "d_in=12 from tensor 'b_dec'");
        editJson(dir.resolve("cfg.json"), c -> c.remove("expansion_factor"));
        SparseAutoencoder m = SaeFolders.load(dir);
        assertEquals(LATENTS, m.dSae());
        assertTrue(m.weights().bitwiseEquals(weights));
    }

    @Test
    void configDisagreeingWithTensors() throws IOException {
        Path dir = sparsifyFolder(DType.F32);
        editJson(dir.resolve("cfg.json"), c -> c.put("num_latents", 24));
        assertRejected(dir, "sae.safetensors", "tensor 'encoder.weight'", "[20, 12]", "num_latents=24 from cfg.json");
        editJson(dir.resolve("cfg.json"), c -> c.put("num_latents", LATENTS).put("d_in", 16));
        assertRejected(dir, "sae.safetensors", "tensor 'encoder.weight'", "d_in=16 from cfg.json");
        editJson(dir.resolve("cfg.json"), c -> c.put("d_in", D_IN).put("k", LATENTS + 1));
        assertRejected(dir, "cfg.json", "field 'k'", "21");
    }

    @Test
    void sparseCodersThisProjectCannotRunAreRejected() throws IOException {
        Path dir = sparsifyFolder(DType.F32);
        editJson(dir.resolve("cfg.json"), c -> c.put("transcode", true));
        assertRejected(dir, "cfg.json", "field 'transcode'", "transcoder");
        editJson(dir.resolve("cfg.json"), c -> c.put("transcode", false).put("skip_connection", true));
        assertRejected(dir, "cfg.json", "field 'skip_connection'");
        editJson(dir.resolve("cfg.json"), c -> c.put("skip_connection", false).put("activation", "groupmax"));
        assertRejected(dir, "cfg.json", "field 'activation'", "groupmax");
        editJson(dir.resolve("cfg.json"), c -> c.put("activation", "topk"));
        editTensors(dir.resolve("sae.safetensors"),
                t -> t.put("W_skip", new Tensor(DType.F32, new long[] {D_IN, D_IN}, new float[D_IN * D_IN])));
        assertRejected(dir, "sae.safetensors", "tensor 'W_skip'", "not part of this format");
    }

    @Test
    void malformedTensorsNameTheTensor() throws IOException {
        Path dir = sparsifyFolder(DType.F32);
        editTensors(dir.resolve("sae.safetensors"), t -> t.remove("encoder.bias"));
        assertRejected(dir, "sae.safetensors", "tensor 'encoder.bias'", "missing");
        sparsifyFolder(DType.F32); // whole again
        editTensors(dir.resolve("sae.safetensors"), t -> t.get("encoder.weight").data()[3 * D_IN + 1] = Float.NaN);
        assertRejected(dir, "sae.safetensors", "tensor 'encoder.weight'", "NaN", "[3, 1]");
    }

    @Test
    void missingConfigOrK() throws IOException {
        Path dir = sparsifyFolder(DType.F32);
        editJson(dir.resolve("cfg.json"), c -> c.remove("k"));
        assertRejected(dir, "cfg.json", "field 'k'", "missing");
        Files.delete(dir.resolve("cfg.json"));
        assertRejected(dir, "cfg.json", "missing", "sae.safetensors");
    }

    @Test
    void aFolderWithBothLayoutsIsAmbiguous() throws IOException {
        Path dir = sparsifyFolder(DType.F32);
        Files.write(dir.resolve("sae_weights.safetensors"), Files.readAllBytes(dir.resolve("sae.safetensors")));
        assertRejected(dir, "sae_weights.safetensors", "sae.safetensors", "ambiguous");
    }
}
