/** JMH benchmarks and end-to-end throughput runs, each reported against a baseline measured in the same run. */
package io.jsae.benchmarks;
