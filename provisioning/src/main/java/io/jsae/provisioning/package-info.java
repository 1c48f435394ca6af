/**
 * Price catalog, cost and spot planning, and preflight checks for a paid GPU run. Pure Java: it sees hours
 * and prices, never the SAE code.
 *
 * <ul>
 *   <li>{@link io.jsae.provisioning.PriceCatalog} holds dated {@link io.jsae.provisioning.Offer}s (a bundled
 *   CSV with the guide's figures and newer dated rows, or a file of your own); the newest row of an offer
 *   wins and the history is kept; newer, more precise rows supersede plain ones and are reported; stale rows
 *   are flagged.</li>
 *   <li>{@link io.jsae.provisioning.CostEstimator} computes run costs and "percent cheaper" from the prices
 *   and renders comparison tables with footnotes; {@link io.jsae.provisioning.TrainingCostPlanner} renders
 *   the TUMIX savings table; {@link io.jsae.provisioning.CostMeter} follows a running job against its
 *   estimate.</li>
 *   <li>{@link io.jsae.provisioning.SpotAdvisor} answers spot or on-demand, by the guide's decision tree
 *   and by an expected-cost model (Young 1974, Daly 2006).</li>
 *   <li>{@link io.jsae.provisioning.Preflight} runs {@link io.jsae.provisioning.PreflightCheck}s: Hugging
 *   Face access, required files, GPU environment.</li>
 *   <li>{@link io.jsae.provisioning.LambdaCloudPriceSource} and {@link io.jsae.provisioning.RunPodPriceSource}
 *   read current offers from provider APIs ({@link io.jsae.provisioning.LiveFetch}: offers and the problems
 *   that cost some of them).</li>
 * </ul>
 *
 * <p>Money is {@link java.math.BigDecimal}, exact until shown, then rounded HALF_UP to cents; percentages
 * are computed from the amounts and shown to one decimal.
 */
package io.jsae.provisioning;
