/**
 * JavaCPP binding of the project's CUDA kernels. The kernels and their native build arrive with the CUDA
 * backend; until then this module holds no native library and the CUDA backend reports that it was not built.
 */
package io.jsae.cuda;
