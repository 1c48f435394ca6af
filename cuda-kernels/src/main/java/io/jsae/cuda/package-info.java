/**
 * The CUDA backend of jsae, a plug-in of jsae-core found through {@link java.util.ServiceLoader}: this module
 * depends on core, never the reverse. The kernels and their native build arrive with the CUDA training step;
 * until then {@link io.jsae.cuda.CudaBackendProvider} reports the backend as not built.
 */
package io.jsae.cuda;
