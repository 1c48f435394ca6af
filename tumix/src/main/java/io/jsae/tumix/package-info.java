/** TUMIX termination: decides after each round whether an iterative process should stop. */
package io.jsae.tumix;
