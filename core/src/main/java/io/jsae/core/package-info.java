/** Sparse autoencoder model, configuration and the float64 reference of the project's math. */
package io.jsae.core;
