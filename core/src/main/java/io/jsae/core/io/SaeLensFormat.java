package io.jsae.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jsae.core.Activation;
import io.jsae.core.ParameterTensors;
import io.jsae.core.SaeConfig;
import io.jsae.core.SaeMetadata;
import io.jsae.core.SparseAutoencoder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The SAELens folder layout: {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}, loadable with SAELens's
 * {@code SAE.load_from_disk(folder)}.
 *
 * <h2>Weights</h2>
 * {@code W_enc [d_in, d_sae]}, {@code W_dec [d_sae, d_in]}, {@code b_enc [d_sae]}, {@code b_dec [d_in]}, all
 * F32, plus {@code threshold [d_sae]} for the JumpReLU architecture. {@code W_enc} is the transpose of
 * {@link ParameterTensors#wEnc()}. Input normalization is folded in, so the files take raw activations: with
 * the model's {@link SparseAutoencoder#inputScale() scale} s, {@code W_enc' = s·W_enc}, {@code W_dec' = W_dec/s},
 * {@code b_dec' = b_dec/s}, {@code b_enc} and thresholds unchanged (the pre-activations are the same:
 * {@code (s·x − b_dec)·W_enc = (x − b_dec/s)·(s·W_enc)}, and {@code x̂/s = z·W_dec/s + b_dec/s}). A model with
 * scale 1 is written bit for bit.
 *
 * <h2>cfg.json</h2>
 * Flat fields, the layout SAELens writes before version 6 and version 6 still reads (a config without
 * {@code sae_lens_version} is converted by 6.x's pre-6.0 path). Both versions must build the activation that
 * was trained:
 * <ul>
 *   <li>SAELens 5.x constructs its config from {@code architecture}, {@code d_in}, {@code d_sae},
 *       {@code dtype} ({@code "float32"}), {@code device} ({@code "cpu"}), {@code apply_b_dec_to_input} (true),
 *       {@code normalize_activations} ({@code "none"}: folded), {@code finetuning_scaling_factor} (false), and
 *       requires {@code model_name}, {@code hook_name}, {@code hook_layer}, {@code hook_head_index},
 *       {@code context_size} and {@code dataset_path}; it builds the activation from
 *       {@code activation_fn_str} (its default is relu, so a topk folder without it runs as plain ReLU) and
 *       {@code activation_fn_kwargs}. Written: {@code activation_fn_str} {@code "topk"} with
 *       {@code activation_fn_kwargs.k} for topk, {@code "relu"} otherwise.</li>
 *   <li>SAELens 6.x picks the class by {@code architecture} and takes a topk SAE's {@code k} (also from
 *       {@code activation_fn_kwargs}); its topk config reads {@code rescale_acts_by_decoder_norm}, written
 *       as false. It moves {@code model_name}, {@code hook_name}, {@code context_size},
 *       {@code dataset_path} and {@code hook_head_index} into its metadata and drops {@code hook_layer}.</li>
 * </ul>
 * Metadata comes from {@link SaeMetadata}; what it does not know is written as {@code ""} (model, hook and
 * data set names, which 5.x expects as strings) or null ({@code hook_layer} unless the hook name is of the
 * form {@code blocks.N.…}, {@code context_size}, {@code hook_head_index}), never guessed. {@code l1_coefficient}
 * is written for ReLU. A {@code "jsae"} object, which SAELens ignores, records the project's own architecture
 * name, k, the batch top-k threshold and the folded input scale.
 *
 * <h2>Architectures</h2>
 * topk → {@code "topk"}, relu → {@code "standard"}, jumprelu → {@code "jumprelu"}. SAELens has no inference
 * architecture for batch top-k (it saves trained batch top-k SAEs as JumpReLU), so batch top-k is written as
 * {@code "jumprelu"} with every threshold equal to the model's inference threshold, or, for a model without
 * one (which then keeps the k largest per row), as {@code "topk"}. Either way SAELens computes what
 * {@link SparseAutoencoder#encode} computes, and {@link #read} restores the batch top-k activation from the
 * {@code "jsae"} object, with the threshold as an exact double.
 *
 * <h2>Reading</h2>
 * Reads folders written here and by SAELens: architectures standard, topk and jumprelu, and pre-6.0
 * {@code standard} folders whose {@code activation_fn_str} (or {@code activation_fn}) is {@code "topk"}
 * with {@code activation_fn_kwargs.k}, which are topk; metadata flat or in a {@code meta}/{@code metadata}
 * object; weights F32, F16, BF16 or F64 (rounded to float32); {@code apply_b_dec_to_input: false} (Gemma
 * Scope) is folded into {@code b_enc} ({@code b_enc + b_dec·W_enc}, exact up to float rounding);
 * {@code rescale_acts_by_decoder_norm: true} (topk only) is folded into the weights (encoder column and
 * {@code b_enc} times the decoder row norm, decoder row divided by it: the same selection and
 * reconstruction); a {@code scaling_factor} tensor of ones is accepted. Everything else that cannot be
 * represented (other architectures and activation functions, run-time input normalization, unexpected
 * tensors, non-finite weights, shapes that disagree with the config) is a {@link ModelFormatException}
 * naming the file and the field or tensor. The loaded configuration keeps d_in, d_sae and the activation;
 * training settings take their defaults.
 */
public final class SaeLensFormat {

    /** Name of the configuration file. */
    public static final String CONFIG_FILE = "cfg.json";
    /** Name of the weights file. */
    public static final String WEIGHTS_FILE = "sae_weights.safetensors";

    /** Version of the {@code "jsae"} object in cfg.json. */
    static final int JSAE_FORMAT_VERSION = 1;

    private static final Set<String> SCALING_TENSORS = Set.of("scaling_factor", "finetuning_scaling_factor");
    private static final Set<String> DTYPES = Set.of("float32", "float16", "bfloat16", "float64",
            "torch.float32", "torch.float16", "torch.bfloat16", "torch.float64");

    private SaeLensFormat() {
    }

    /**
     * Writes a model as a SAELens folder, atomically: into a temporary sibling folder, forced to storage,
     * then renamed to {@code dir}.
     *
     * @param model the model
     * @param dir   the folder to create; it must not exist or be empty
     * @throws IllegalArgumentException             when a weight (after folding) or threshold is not finite,
     *                                              naming the tensor; nothing is written then
     * @throws java.nio.file.FileAlreadyExistsException when {@code dir} is a file or a non-empty folder
     * @throws IOException                          when writing fails; {@code dir} is then unchanged
     */
    public static void write(SparseAutoencoder model, Path dir) throws IOException {
        int dIn = model.dIn();
        int dSae = model.dSae();
        double s = model.inputScale();
        Activation act = model.config().activation();
        ParameterTensors w = model.weights(); // a copy: folded in place below
        float[] wEnc = ModelFiles.transpose(w.wEnc(), dSae, dIn, s);
        if (s != 1.0) {
            divide(w.wDec(), s);
            divide(w.bDec(), s);
        }
        double batchThreshold = act instanceof Activation.BatchTopK ? model.batchTopKThreshold() : Double.NaN;
        float[] threshold = null;
        if (act instanceof Activation.JumpRelu) {
            threshold = model.jumpThresholds();
        } else if (!Double.isNaN(batchThreshold)) {
            threshold = new float[dSae];
            Arrays.fill(threshold, (float) batchThreshold);
        }
        checkFinite("W_enc", wEnc, s);
        checkFinite("W_dec", w.wDec(), s);
        checkFinite("b_enc", w.bEnc(), s);
        checkFinite("b_dec", w.bDec(), s);
        if (threshold != null) {
            checkFinite("threshold", threshold, s);
        }

        SafetensorsWriter weights = new SafetensorsWriter()
                .metadata("format", "pt") // what torch's save_file writes; some readers look for it
                .add("W_enc", new long[] {dIn, dSae}, wEnc)
                .add("W_dec", new long[] {dSae, dIn}, w.wDec())
                .add("b_enc", new long[] {dSae}, w.bEnc())
                .add("b_dec", new long[] {dIn}, w.bDec());
        if (threshold != null) {
            weights.add("threshold", new long[] {dSae}, threshold);
        }
        byte[] cfg = configJson(model, batchThreshold);
        ModelFiles.writeFolderAtomically(dir, tmp -> {
            weights.write(tmp.resolve(WEIGHTS_FILE));
            ModelFiles.writeBytes(tmp.resolve(CONFIG_FILE), cfg);
        });
    }

    private static void divide(float[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (a[i] / s);
        }
    }

    private static void checkFinite(String tensor, float[] a, double s) {
        for (int i = 0; i < a.length; i++) {
            if (!Float.isFinite(a[i])) {
                throw new IllegalArgumentException("cannot save the model: tensor '" + tensor + "' holds " + a[i]
                        + " at flat index " + i + (s != 1.0 ? " after folding the input scale " + s : "")
                        + "; save a checkpoint from before training diverged");
            }
        }
    }

    private static byte[] configJson(SparseAutoencoder model, double batchThreshold) {
        Activation act = model.config().activation();
        ObjectNode cfg = ModelFiles.JSON.createObjectNode();
        String architecture;
        if (act instanceof Activation.BatchTopK) {
            architecture = Double.isNaN(batchThreshold) ? "topk" : "jumprelu";
        } else {
            architecture = act.architecture();
        }
        cfg.put("architecture", architecture);
        cfg.put("d_in", model.dIn());
        cfg.put("d_sae", model.dSae());
        cfg.put("dtype", "float32");
        cfg.put("device", "cpu");
        cfg.put("apply_b_dec_to_input", true);
        cfg.put("normalize_activations", "none");
        // SAELens 5.x builds its activation from activation_fn_str (default "relu", which would run a topk
        // folder as plain ReLU) with activation_fn_kwargs; 6.x takes architecture and k
        cfg.put("activation_fn_str", architecture.equals("topk") ? "topk" : "relu");
        ObjectNode kwargs = cfg.putObject("activation_fn_kwargs");
        if (architecture.equals("topk")) {
            cfg.put("k", act.k());
            kwargs.put("k", act.k());
            cfg.put("rescale_acts_by_decoder_norm", false);
        }
        if (act instanceof Activation.Relu relu) {
            cfg.put("l1_coefficient", relu.l1Coefficient());
        }
        cfg.put("finetuning_scaling_factor", false);
        // 5.x's config requires these keys; unknown values are "" (strings) or null, never invented
        SaeMetadata meta = model.metadata();
        cfg.put("model_name", meta.modelName() != null ? meta.modelName() : "");
        cfg.put("hook_name", meta.hookName() != null ? meta.hookName() : "");
        Integer layer = meta.hookLayer() != null ? meta.hookLayer() : SaeMetadata.layerOf(meta.hookName());
        if (layer != null) {
            cfg.put("hook_layer", layer);
        } else {
            cfg.putNull("hook_layer");
        }
        cfg.putNull("hook_head_index");
        if (meta.contextSize() != null) {
            cfg.put("context_size", meta.contextSize());
        } else {
            cfg.putNull("context_size");
        }
        cfg.put("dataset_path", meta.datasetPath() != null ? meta.datasetPath() : "");
        ObjectNode jsae = cfg.putObject("jsae");
        jsae.put("format_version", JSAE_FORMAT_VERSION);
        jsae.put("architecture", act.architecture());
        if (act.k() > 0) {
            jsae.put("k", act.k());
        }
        if (!Double.isNaN(batchThreshold)) {
            jsae.put("batchtopk_threshold", batchThreshold);
        }
        jsae.put("folded_input_scale", model.inputScale());
        try {
            return ModelFiles.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize cfg.json", e); // an in-memory tree: not expected
        }
    }

    /**
     * Reads a SAELens folder.
     *
     * @param dir the folder holding {@value #CONFIG_FILE} and {@value #WEIGHTS_FILE}
     * @return the model, with input scale 1
     * @throws ModelFormatException naming the file and the field or tensor at fault (see the class comment)
     * @throws IOException          when reading fails
     */
    public static SparseAutoencoder read(Path dir) throws IOException {
        Path cfgFile = dir.resolve(CONFIG_FILE);
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        JsonNode cfg = ModelFiles.readConfig(cfgFile);

        // SAELens treats a config without an architecture as "standard" (its pre-6.0 default)
        String architecture = ModelFiles.optString(cfgFile, cfg, "architecture");
        if (architecture == null) {
            architecture = "standard";
        }
        int dIn = ModelFiles.requireInt(cfgFile, cfg, "d_in", 1);
        int dSae = ModelFiles.requireInt(cfgFile, cfg, "d_sae", 1);
        String dtype = ModelFiles.optString(cfgFile, cfg, "dtype");
        if (dtype != null && !DTYPES.contains(dtype)) {
            throw new ModelFormatException(cfgFile, ModelFiles.field("dtype"), "is '" + dtype
                    + "'; supported are float32, float16, bfloat16 and float64 (weights are used as float32)");
        }
        checkNormalization(cfgFile, cfg);
        Boolean applyBDec = ModelFiles.optBool(cfgFile, cfg, "apply_b_dec_to_input");
        Jsae jsae = Jsae.read(cfgFile, cfg);

        Activation act;
        double batchThreshold = Double.NaN;
        boolean hasThreshold;
        switch (architecture) {
            case "standard": {
                // before 6.0 SAELens ran topk SAEs as architecture "standard" with a topk activation function
                String fn = activationFunction(cfgFile, cfg);
                if (fn.equals("topk")) {
                    int k = topK(cfgFile, cfg, dSae);
                    act = jsae.batchTopK ? Activation.batchTopK(k) : Activation.topK(k);
                    architecture = "topk";
                    hasThreshold = false;
                    break;
                }
                Double l1 = ModelFiles.optDouble(cfgFile, cfg, "l1_coefficient");
                if (l1 != null && l1 < 0) {
                    throw new ModelFormatException(cfgFile, ModelFiles.field("l1_coefficient"), "is " + l1
                            + "; it must be >= 0");
                }
                act = Activation.relu(l1 == null ? 0.0 : l1);
                hasThreshold = false;
                break;
            }
            case "topk": {
                int k = topK(cfgFile, cfg, dSae);
                act = jsae.batchTopK ? Activation.batchTopK(k) : Activation.topK(k);
                hasThreshold = false;
                break;
            }
            case "jumprelu":
                if (jsae.batchTopK) {
                    act = Activation.batchTopK(jsae.requireK(cfgFile, dSae));
                    batchThreshold = jsae.requireThreshold(cfgFile);
                } else {
                    act = Activation.jumpRelu();
                }
                hasThreshold = true;
                break;
            default:
                throw new ModelFormatException(cfgFile, ModelFiles.field("architecture"), "is '" + architecture
                        + "', which this project cannot run; supported are standard, topk and jumprelu (batch top-k"
                        + " models are saved as jumprelu)");
        }
        if (jsae.architecture != null && !(jsae.batchTopK ? act instanceof Activation.BatchTopK
                : jsae.architecture.equals(architecture))) {
            throw new ModelFormatException(cfgFile, ModelFiles.field("jsae.architecture"), "is '"
                    + jsae.architecture + "' but field 'architecture' is '" + architecture
                    + "'; the file was edited inconsistently: export the model again");
        }
        boolean rescale = Boolean.TRUE.equals(ModelFiles.optBool(cfgFile, cfg, "rescale_acts_by_decoder_norm"));
        if (rescale && !architecture.equals("topk")) {
            throw new ModelFormatException(cfgFile, ModelFiles.field("rescale_acts_by_decoder_norm"), "is true for"
                    + " architecture '" + architecture + "'; SAELens rescales by decoder norms only for topk, so"
                    + " what this folder computes is unclear: fold the decoder norms into the weights"
                    + " (SAELens's fold_W_dec_norm) and save it again");
        }
        if (jsae.k != null && act.k() > 0 && jsae.k != act.k()) {
            throw new ModelFormatException(cfgFile, ModelFiles.field("jsae.k"), "is " + jsae.k + " but the SAELens"
                    + " fields say k=" + act.k() + "; the file was edited inconsistently: export the model again");
        }

        String dims = " (d_in=" + dIn + ", d_sae=" + dSae + " from " + CONFIG_FILE + ")";
        ParameterTensors weights;
        float[] thresholds = null;
        try (SafetensorsFile f = ModelFiles.openWeights(weightsFile)) {
            List<String> allowed = new ArrayList<>(List.of("W_enc", "W_dec", "b_enc", "b_dec"));
            if (hasThreshold) {
                allowed.add("threshold");
            }
            allowed.addAll(SCALING_TENSORS);
            ModelFiles.rejectUnexpected(f, allowed, "architecture '" + architecture + "'");
            for (String name : SCALING_TENSORS) {
                if (f.contains(name)) {
                    checkOnes(f, name, dSae, dims);
                }
            }
            float[] wEnc = ModelFiles.readTensor(f, "W_enc", "[d_in, d_sae] = [" + dIn + ", " + dSae + "]" + dims, dIn, dSae);
            float[] wDec = ModelFiles.readTensor(f, "W_dec", "[d_sae, d_in] = [" + dSae + ", " + dIn + "]" + dims, dSae, dIn);
            float[] bEnc = ModelFiles.readTensor(f, "b_enc", "[d_sae] = [" + dSae + "]" + dims, dSae);
            float[] bDec = ModelFiles.readTensor(f, "b_dec", "[d_in] = [" + dIn + "]" + dims, dIn);
            if (hasThreshold) {
                thresholds = ModelFiles.readTensor(f, "threshold", "[d_sae] = [" + dSae + "]" + dims, dSae);
            }
            if (applyBDec != null && !applyBDec) {
                foldBDecIntoBEnc(wEnc, bEnc, bDec, dIn, dSae);
            }
            if (rescale) {
                foldDecoderNorms(weightsFile, wEnc, bEnc, wDec, dIn, dSae);
            }
            weights = new ParameterTensors(dIn, dSae, ModelFiles.transpose(wEnc, dIn, dSae, 1.0), bEnc, wDec, bDec);
            if (act instanceof Activation.BatchTopK && hasThreshold) {
                float expected = (float) batchThreshold;
                for (int j = 0; j < dSae; j++) {
                    if (Float.compare(thresholds[j], expected) != 0) {
                        throw new ModelFormatException(weightsFile, ModelFiles.tensor("threshold"), "holds "
                                + thresholds[j] + " at [" + j + "], but a batch top-k model has one threshold, "
                                + batchThreshold + " (field 'jsae.batchtopk_threshold' of " + CONFIG_FILE
                                + "), in every entry; export the model again");
                    }
                }
                thresholds = null;
            }
        }
        SaeConfig config = SaeConfig.builder(dIn, dSae).activation(act).build();
        return new SparseAutoencoder(config, weights, thresholds, batchThreshold, 1.0, metadata(cfgFile, cfg));
    }

    private static void checkNormalization(Path cfgFile, JsonNode cfg) {
        JsonNode v = cfg.get("normalize_activations");
        if (v == null || v.isNull() || (v.isBoolean() && !v.asBoolean()) || (v.isTextual() && v.asText().equals("none"))) {
            return;
        }
        throw new ModelFormatException(cfgFile, ModelFiles.field("normalize_activations"), "is " + v
                + "; only \"none\" is supported: fold the normalization into the weights first (in SAELens,"
                + " fold_activation_norm_scaling_factor) and save again");
    }

    private static int topK(Path cfgFile, JsonNode cfg, int dSae) {
        Integer k = ModelFiles.optInt(cfgFile, cfg, "k", 1);
        String field = "k";
        if (k == null) {
            JsonNode kwargs = ModelFiles.optObject(cfgFile, cfg, "activation_fn_kwargs");
            if (kwargs != null) {
                k = ModelFiles.optInt(cfgFile, kwargs, "k", 1);
                field = "activation_fn_kwargs.k";
            }
        }
        if (k == null) {
            throw new ModelFormatException(cfgFile, ModelFiles.field("k"), "missing; a topk SAE needs k (as 'k' or"
                    + " 'activation_fn_kwargs.k')");
        }
        if (k > dSae) {
            throw new ModelFormatException(cfgFile, ModelFiles.field(field), "is " + k + ", more than d_sae=" + dSae);
        }
        return k;
    }

    private static void checkOnes(SafetensorsFile f, String name, int dSae, String dims) {
        float[] v = ModelFiles.readTensor(f, name, "[d_sae] = [" + dSae + "]" + dims, dSae);
        for (int j = 0; j < v.length; j++) {
            if (v[j] != 1.0f) {
                throw new ModelFormatException(f.path(), ModelFiles.tensor(name), "holds " + v[j] + " at [" + j
                        + "]; a fine-tuning scaling factor other than 1 is not supported: fold it into the"
                        + " weights with the tool that trained the SAE and save it again");
            }
        }
    }

    /**
     * The activation function of a pre-6.0 config: {@code activation_fn_str}, or {@code activation_fn} (an
     * older name of it, and the name 6.x gives it), {@code "relu"} when neither is present.
     */
    private static String activationFunction(Path cfgFile, JsonNode cfg) {
        String fn = ModelFiles.optString(cfgFile, cfg, "activation_fn_str");
        String field = "activation_fn_str";
        if (fn == null) {
            fn = ModelFiles.optString(cfgFile, cfg, "activation_fn");
            field = "activation_fn";
        }
        if (fn == null || fn.equals("relu") || fn.equals("topk")) {
            return fn == null ? "relu" : fn;
        }
        throw new ModelFormatException(cfgFile, ModelFiles.field(field), "is '" + fn + "', which this project cannot"
                + " run; supported with architecture 'standard' are relu and topk");
    }

    /**
     * SAELens's {@code rescale_acts_by_decoder_norm}: with decoder row norms {@code n_j} it computes
     * {@code pre_j = n_j·((x − b_dec)·W_enc[:, j] + b_enc_j)}, selects on that, and decodes
     * {@code Σ_j (z_j / n_j)·W_dec[j] + b_dec}. Scaling encoder column j and {@code b_enc_j} by {@code n_j} and
     * dividing decoder row j by it gives the same pre-activations, the same selection and the same
     * reconstruction with a plain encoder and decoder. A zero decoder row is refused: SAELens divides by its
     * norm, so that folder does not compute a finite reconstruction.
     */
    private static void foldDecoderNorms(Path weightsFile, float[] wEnc, float[] bEnc, float[] wDec, int dIn, int dSae) {
        double[] norms = new double[dSae];
        for (int j = 0; j < dSae; j++) {
            double sq = 0;
            for (int d = 0; d < dIn; d++) {
                double v = wDec[j * dIn + d];
                sq += v * v;
            }
            norms[j] = Math.sqrt(sq);
            if (!(norms[j] > 0)) {
                throw new ModelFormatException(weightsFile, ModelFiles.tensor("W_dec"), "row " + j + " is zero, but"
                        + " field 'rescale_acts_by_decoder_norm' of " + CONFIG_FILE + " divides by its norm; remove"
                        + " the latent or give it a decoder direction, then save again");
            }
            bEnc[j] = (float) (bEnc[j] * norms[j]);
            for (int d = 0; d < dIn; d++) {
                wDec[j * dIn + d] = (float) (wDec[j * dIn + d] / norms[j]);
            }
        }
        for (int d = 0; d < dIn; d++) {
            int base = d * dSae;
            for (int j = 0; j < dSae; j++) {
                wEnc[base + j] = (float) (wEnc[base + j] * norms[j]);
            }
        }
    }

    /** {@code pre = x·W_enc + b_enc = (x − b_dec)·W_enc + (b_enc + b_dec·W_enc)}; W_enc is [d_in, d_sae]. */
    private static void foldBDecIntoBEnc(float[] wEnc, float[] bEnc, float[] bDec, int dIn, int dSae) {
        double[] acc = new double[dSae];
        for (int d = 0; d < dIn; d++) {
            double b = bDec[d];
            int base = d * dSae;
            for (int j = 0; j < dSae; j++) {
                acc[j] += b * wEnc[base + j];
            }
        }
        for (int j = 0; j < dSae; j++) {
            bEnc[j] = (float) (bEnc[j] + acc[j]);
        }
    }

    /**
     * Flat fields first (what this project and SAELens before 6.0 write), then a meta/metadata object (6.x).
     * Empty strings (what this project writes for unknown values, since SAELens 5.x requires the keys) are
     * unknown; a missing layer (6.x writes none) is taken from a {@code blocks.N.} hook name.
     */
    private static SaeMetadata metadata(Path cfgFile, JsonNode cfg) {
        String model = nonEmpty(ModelFiles.optString(cfgFile, cfg, "model_name"));
        String hook = nonEmpty(ModelFiles.optString(cfgFile, cfg, "hook_name"));
        Integer layer = ModelFiles.optInt(cfgFile, cfg, "hook_layer", 0);
        Integer context = ModelFiles.optInt(cfgFile, cfg, "context_size", 1);
        String dataset = nonEmpty(ModelFiles.optString(cfgFile, cfg, "dataset_path"));
        for (String key : new String[] {"meta", "metadata"}) {
            JsonNode meta = ModelFiles.optObject(cfgFile, cfg, key);
            if (meta != null) {
                model = model != null ? model : nonEmpty(ModelFiles.optString(cfgFile, meta, "model_name"));
                hook = hook != null ? hook : nonEmpty(ModelFiles.optString(cfgFile, meta, "hook_name"));
                layer = layer != null ? layer : ModelFiles.optInt(cfgFile, meta, "hook_layer", 0);
                context = context != null ? context : ModelFiles.optInt(cfgFile, meta, "context_size", 1);
                dataset = dataset != null ? dataset : nonEmpty(ModelFiles.optString(cfgFile, meta, "dataset_path"));
            }
        }
        if (layer == null) {
            layer = SaeMetadata.layerOf(hook);
        }
        return new SaeMetadata(model, hook, layer, context, dataset);
    }

    private static String nonEmpty(String s) {
        return s == null || s.isEmpty() ? null : s;
    }

    /** The {@code "jsae"} object of a cfg.json written by this project; all fields null when absent. */
    private static final class Jsae {
        String architecture;
        boolean batchTopK;
        Integer k;
        Double threshold;

        static Jsae read(Path cfgFile, JsonNode cfg) {
            Jsae j = new Jsae();
            JsonNode node = ModelFiles.optObject(cfgFile, cfg, "jsae");
            if (node == null) {
                return j;
            }
            Integer version = ModelFiles.optInt(cfgFile, node, "format_version", 1);
            if (version != null && version > JSAE_FORMAT_VERSION) {
                throw new ModelFormatException(cfgFile, ModelFiles.field("jsae.format_version"), "is " + version
                        + ", newer than this library reads (" + JSAE_FORMAT_VERSION + "); use a newer version");
            }
            j.architecture = ModelFiles.optString(cfgFile, node, "architecture");
            j.batchTopK = "batchtopk".equals(j.architecture);
            j.k = ModelFiles.optInt(cfgFile, node, "k", 1);
            j.threshold = ModelFiles.optDouble(cfgFile, node, "batchtopk_threshold");
            return j;
        }

        int requireK(Path cfgFile, int dSae) {
            if (k == null) {
                throw new ModelFormatException(cfgFile, ModelFiles.field("jsae.k"), "missing; a batch top-k model"
                        + " needs its k");
            }
            if (k > dSae) {
                throw new ModelFormatException(cfgFile, ModelFiles.field("jsae.k"), "is " + k + ", more than d_sae="
                        + dSae);
            }
            return k;
        }

        double requireThreshold(Path cfgFile) {
            if (threshold == null) {
                throw new ModelFormatException(cfgFile, ModelFiles.field("jsae.batchtopk_threshold"), "missing; a"
                        + " batch top-k model saved as jumprelu needs its inference threshold");
            }
            return threshold;
        }
    }
}
