package io.jsae.core.io;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Reads the folder layout of EleutherAI's sparsify ({@code SparseCoder.save_to_disk}): {@value #CONFIG_FILE}
 * and {@value #WEIGHTS_FILE}.
 *
 * <p>Weights: {@code encoder.weight [num_latents, d_in]} (the encoder as a linear layer, one row per latent:
 * this project's internal layout, so it is taken unchanged), {@code encoder.bias [num_latents]},
 * {@code W_dec [num_latents, d_in]}, {@code b_dec [d_in]}; F32, F16, BF16 or F64. The math is this project's
 * top-k: {@code pre = (x − b_dec)·encoder.weightᵀ + encoder.bias}, keep the k largest of {@code relu(pre)},
 * {@code x̂ = z·W_dec + b_dec}.
 *
 * <p>cfg.json fields read: {@code k} (required), {@code activation} ({@code "topk"}, the default;
 * {@code "groupmax"} is rejected), {@code d_in} (written by sparsify; when absent, taken from {@code b_dec}),
 * {@code num_latents}, or when it is 0 or absent {@code d_in × expansion_factor}, or when both are absent the
 * rows of {@code encoder.weight}. Sparse coders this project cannot run are rejected naming the field:
 * {@code transcode}, {@code skip_connection} (a {@code W_skip} tensor), {@code embed_skip} and
 * {@code gram_lookup} set to true. Training-only fields ({@code normalize_decoder}, {@code multi_topk}) and
 * unknown fields are ignored, as sparsify itself does. sparsify's cfg.json names no model or hook (the
 * folder name is the hook point), so the loaded model has {@link SaeMetadata#NONE}; add it with
 * {@link SparseAutoencoder#withMetadata}.
 */
public final class SparsifyFormat {

    /** Name of the configuration file. */
    public static final String CONFIG_FILE = "cfg.json";
    /** Name of the weights file. */
    public static final String WEIGHTS_FILE = "sae.safetensors";

    private static final List<String> TENSORS = List.of("encoder.weight", "encoder.bias", "W_dec", "b_dec");

    private SparsifyFormat() {
    }

    /**
     * Reads a sparsify folder.
     *
     * @param dir the folder holding {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}
     * @return the top-k model, with input scale 1
     * @throws ModelFormatException naming the file and the field or tensor at fault
     * @throws IOException          when reading fails
     */
    public static SparseAutoencoder read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        JsonNode cfg = ModelFiles.readConfig(cfgFile);

        String activation = ModelFiles.optString(cfgFile, cfg, "activation");
        if (activation != null && !activation.equals("topk")) {
            throw new ModelFormatException(cfgFile, ModelFiles.field("activation"), "is '" + activation
                    + "'; only sparsify's \"topk\" activation is supported");
        }
        rejectFlag(cfgFile, cfg, "transcode", "a transcoder predicts another activation than its input, which this"
                + " project's autoencoder cannot represent");
        rejectFlag(cfgFile, cfg, "skip_connection", "the W_skip connection is not part of this project's model");
        rejectFlag(cfgFile, cfg, "embed_skip", "the embedding skip connection is not part of this project's model");
        rejectFlag(cfgFile, cfg, "gram_lookup", "the n-gram lookup input is not part of this project's model");
        int k = ModelFiles.requireInt(cfgFile, cfg, "k", 1);
        Integer cfgDIn = ModelFiles.optInt(cfgFile, cfg, "d_in", 1);
        Integer numLatents = ModelFiles.optInt(cfgFile, cfg, "num_latents", 0);
        Integer expansion = ModelFiles.optInt(cfgFile, cfg, "expansion_factor", 1);

        ParameterTensors weights;
        int dIn;
        int dSae;
        try (SafetensorsFile f = ModelFiles.openWeights(weightsFile)) {
            ModelFiles.rejectUnexpected(f, TENSORS, "a sparsify autoencoder");
            String dInFrom;
            if (cfgDIn != null) {
                dIn = cfgDIn;
                dInFrom = "d_in=" + dIn + " from " + CONFIG_FILE;
            } else {
                TensorInfo bDec = f.find("b_dec").orElseThrow(() -> new ModelFormatException(weightsFile,
                        ModelFiles.tensor("b_dec"), "missing, and " + CONFIG_FILE + " has no field 'd_in'; the file"
                        + " holds " + ModelFiles.names(f)));
                if (bDec.rank() != 1 || bDec.dim(0) < 1 || bDec.dim(0) > Integer.MAX_VALUE) {
                    throw new ModelFormatException(weightsFile, ModelFiles.tensor("b_dec"), "has shape "
                            + Arrays.toString(bDec.shape()) + ", expected [d_in]");
                }
                dIn = (int) bDec.dim(0);
                dInFrom = "d_in=" + dIn + " from tensor 'b_dec'";
            }
            String latentsFrom;
            if (numLatents != null && numLatents > 0) {
                dSae = numLatents;
                latentsFrom = "num_latents=" + dSae + " from " + CONFIG_FILE;
            } else if (expansion != null) {
                long n = (long) dIn * expansion;
                if (n > Integer.MAX_VALUE) {
                    throw new ModelFormatException(cfgFile, ModelFiles.field("expansion_factor"), "is " + expansion
                            + ", giving d_in × expansion_factor = " + n + " latents, more than this library holds");
                }
                dSae = (int) n;
                latentsFrom = "num_latents=" + dSae + " = d_in × expansion_factor from " + CONFIG_FILE;
            } else {
                TensorInfo enc = f.find("encoder.weight").orElseThrow(() -> new ModelFormatException(weightsFile,
                        ModelFiles.tensor("encoder.weight"), "missing; the file holds " + ModelFiles.names(f)));
                if (enc.rank() != 2 || enc.dim(0) < 1 || enc.dim(0) > Integer.MAX_VALUE) {
                    throw new ModelFormatException(weightsFile, ModelFiles.tensor("encoder.weight"), "has shape "
                            + Arrays.toString(enc.shape()) + ", expected [num_latents, d_in]");
                }
                dSae = (int) enc.dim(0);
                latentsFrom = "num_latents=" + dSae + " from tensor 'encoder.weight'";
            }
            if (k > dSae) {
                throw new ModelFormatException(cfgFile, ModelFiles.field("k"), "is " + k + ", more than the "
                        + dSae + " latents (" + latentsFrom + ")");
            }
            if ((long) dIn * dSae > Integer.MAX_VALUE - 16) {
                throw new ModelFormatException(weightsFile, null, "d_in × num_latents = " + (long) dIn * dSae
                        + " is more than one Java array holds");
            }
            String dims = " (" + dInFrom + ", " + latentsFrom + ")";
            float[] wEnc = ModelFiles.readTensor(f, "encoder.weight", "[num_latents, d_in] = [" + dSae + ", " + dIn
                    + "]" + dims, dSae, dIn);
            float[] bEnc = ModelFiles.readTensor(f, "encoder.bias", "[num_latents] = [" + dSae + "]" + dims, dSae);
            float[] wDec = ModelFiles.readTensor(f, "W_dec", "[num_latents, d_in] = [" + dSae + ", " + dIn + "]"
                    + dims, dSae, dIn);
            float[] bDec = ModelFiles.readTensor(f, "b_dec", "[d_in] = [" + dIn + "]" + dims, dIn);
            weights = new ParameterTensors(dIn, dSae, wEnc, bEnc, wDec, bDec);
        }
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(Activation.topK(k)).build();
        return new SparseAutoencoder(config, weights, null, Double.NaN, 1.0, SaeMetadata.NONE);
    }

    private static void rejectFlag(Path cfgFile, JsonNode cfg, String name, String why) {
        Boolean v = ModelFiles.optBool(cfgFile, cfg, name);
        if (v != null && v) {
            throw new ModelFormatException(cfgFile, ModelFiles.field(name), "is true; " + why
                    + ", so this sparse coder cannot be loaded");
        }
    }
}
