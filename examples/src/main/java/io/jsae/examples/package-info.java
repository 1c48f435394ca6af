/** Runnable mains that compose core, tumix and provisioning: the only place the three meet. */
package io.jsae.examples;
