package io.jsae.core;

/**
 * Where an SAE's inputs come from: the language model and the hook point whose activations it was trained
 * on. Export writes these as SAELens's {@code model_name}, {@code hook_name} and {@code hook_layer}; every
 * field is optional ({@code null} when unknown).
 *
 * @param modelName the model, e.g. {@code "meta-llama/Llama-3.1-8B"}, or null
 * @param hookName  the hook point, e.g. {@code "blocks.12.hook_resid_post"}, or null
 * @param hookLayer the layer of the hook point, {@code >= 0}, or null
 */
public record SaeMetadata(String modelName, String hookName, Integer hookLayer) {

    /** No metadata. */
    public static final SaeMetadata NONE = new SaeMetadata(null, null, null);

    /** Checks the layer. */
    public SaeMetadata {
        if (hookLayer != null && hookLayer < 0) {
            throw new IllegalArgumentException("hookLayer must be >= 0 (or null when unknown), was " + hookLayer);
        }
    }

    /**
     * @param modelName the model, or null
     * @param hookName  the hook point, or null
     * @return metadata without a layer
     */
    public static SaeMetadata of(String modelName, String hookName) {
        return new SaeMetadata(modelName, hookName, null);
    }
}
