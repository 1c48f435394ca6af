/**
 * The training run's report: {@code report.html}, one self-contained file that opens offline (inline CSS and SVG
 * charts drawn here, no scripts), and {@code metrics.csv}, the sampled steps as numbers. The {@code train} command
 * builds a {@link io.jsae.examples.report.RunReport} and hands it to {@link io.jsae.examples.report.ReportWriter} and
 * {@link io.jsae.examples.report.MetricsCsv}.
 */
package io.jsae.examples.report;
