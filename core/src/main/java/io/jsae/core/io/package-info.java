/**
 * The project's own readers and writers for the two tensor file formats it meets: safetensors
 * ({@link io.jsae.core.io.SafetensorsFile}, {@link io.jsae.core.io.SafetensorsWriter}) and 2-D NumPy
 * {@code .npy} ({@link io.jsae.core.io.NpyFile}, {@link io.jsae.core.io.NpyWriter}).
 *
 * <p>The readers are strict: every malformed input (wrong magic, bad JSON, an unsupported dtype, offsets
 * outside the file, overlapping or non-contiguous tensors, a truncated file) throws
 * {@link io.jsae.core.io.TensorFileException}, a {@link io.jsae.core.io.DataFormatException}, whose message
 * names the file and the byte offset or header field at fault. Sizes claimed by a header are checked against the file's length before anything
 * is allocated, so a corrupted header cannot make a reader allocate a huge array.
 *
 * <p>Half-precision conversions ({@link io.jsae.core.io.HalfFloats}) are exact for decoding and round to
 * nearest, ties to even, for encoding.
 *
 * <p>Model folders: {@link io.jsae.core.io.SaeFolders#save} and {@link io.jsae.core.io.SaeFolders#load} save
 * and load a {@link io.jsae.core.SparseAutoencoder}. They use {@link io.jsae.core.io.SaeLensFormat}, which
 * writes and reads SAELens's layout ({@code cfg.json}, {@code sae_weights.safetensors}), and
 * {@link io.jsae.core.io.SparsifyFormat}, which reads sparsify's ({@code cfg.json}, {@code sae.safetensors}).
 * A folder that cannot be loaded throws {@link io.jsae.core.io.ModelFormatException} naming the file and the
 * field or tensor at fault.
 */
package io.jsae.core.io;
