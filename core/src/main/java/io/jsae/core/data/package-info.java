/** Activation sources: file-backed shards (npy, safetensors) and a synthetic generator with known features. */
package io.jsae.core.data;
