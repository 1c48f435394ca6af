package io.jsae.core;

/**
 * Where an SAE's inputs come from: the language model, the hook point whose activations it was trained on,
 * and how those activations were made. Export writes these as SAELens's {@code model_name},
 * {@code hook_name}, {@code hook_layer}, {@code context_size} and {@code dataset_path}; every field is
 * optional ({@code null} when unknown).
 *
 * <p>{@code hook_layer} is a SAELens 5.x field: 6.x no longer reads or writes it (the layer is part of the
 * hook name), so a folder written by 6.x has none and the reader takes the layer from a hook name of the
 * form {@code blocks.N.…} instead.
 *
 * @param modelName   the model, e.g. {@code "meta-llama/Llama-3.1-8B"}, or null
 * @param hookName    the hook point, e.g. {@code "blocks.12.hook_resid_post"}, or null
 * @param hookLayer   the layer of the hook point, {@code >= 0}, or null
 * @param contextSize the tokens per sequence the activations were taken from, {@code >= 1}, or null
 * @param datasetPath the text data set the activations were taken from (e.g. a Hugging Face name), or null
 */
public record SaeMetadata(String modelName, String hookName, Integer hookLayer, Integer contextSize,
                          String datasetPath) {

    /** No metadata. */
    public static final SaeMetadata NONE = new SaeMetadata(null, null, null, null, null);

    /** Checks the layer and the context size. */
    public SaeMetadata {
        if (hookLayer != null && hookLayer < 0) {
            throw new IllegalArgumentException("hookLayer must be >= 0 (or null when unknown), was " + hookLayer);
        }
        if (contextSize != null && contextSize < 1) {
            throw new IllegalArgumentException("contextSize must be >= 1 (or null when unknown), was " + contextSize);
        }
    }

    /**
     * Metadata without a context size or data set.
     *
     * @param modelName the model, or null
     * @param hookName  the hook point, or null
     * @param hookLayer the layer of the hook point, {@code >= 0}, or null
     */
    public SaeMetadata(String modelName, String hookName, Integer hookLayer) {
        this(modelName, hookName, hookLayer, null, null);
    }

    /**
     * @param modelName the model, or null
     * @param hookName  the hook point, or null
     * @return metadata without a layer
     */
    public static SaeMetadata of(String modelName, String hookName) {
        return new SaeMetadata(modelName, hookName, null);
    }

    /**
     * The layer of a TransformerLens hook name such as {@code "blocks.12.hook_resid_post"}.
     *
     * @param hookName a hook name, or null
     * @return the number after {@code "blocks."}, or null when the name has no such part
     */
    public static Integer layerOf(String hookName) {
        if (hookName == null || !hookName.startsWith("blocks.")) {
            return null;
        }
        int start = "blocks.".length();
        int end = start;
        while (end < hookName.length() && Character.isDigit(hookName.charAt(end))) {
            end++;
        }
        if (end == start || end - start > 9 || (end < hookName.length() && hookName.charAt(end) != '.')) {
            return null;
        }
        return Integer.parseInt(hookName.substring(start, end));
    }
}
