/**
 * TUMIX termination: decides after each round (a training epoch, an evaluation, an LLM refinement round) whether
 * an iterative process should stop. Pure Java; logs through slf4j-api only.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * TumixTermination tumix = TumixTermination.builder()
 *         .minRounds(2).maxRounds(5).improvementThreshold(0.05)       // the defaults
 *         .requireAtLeast("explained_variance", 0.8)                 // no early stop below this
 *         .build();
 * List<RefinementResult> history = new ArrayList<>();
 * for (int epoch = 1; ; epoch++) {
 *     double loss = trainOneEpoch();
 *     history.add(new RefinementResult(epoch, loss, Double.NaN, Map.of("explained_variance", ev)));
 *     StopDecision d = tumix.shouldStop(history);
 *     if (d.shouldStop()) {
 *         log.info(d.reasoning());   // "stop at round 3: loss improved 2.1% over round 2, below the 5.0% threshold ..."
 *         break;
 *     }
 * }
 * }</pre>
 * The decision is a pure function of the history: keep the history with the checkpoint and a resumed run decides
 * exactly as the interrupted one would have. For LLM refinement rounds, record the agents' answers in each
 * {@link io.jsae.tumix.RefinementResult} and a finite number to monitor, for instance
 * {@link io.jsae.tumix.TumixTermination#agreement(java.util.List)} as the validation score with
 * {@link io.jsae.tumix.Monitor#validationScore()}; then turn on
 * {@link io.jsae.tumix.TumixTermination.Builder#stopOnConsensus(boolean)} or give a
 * {@link io.jsae.tumix.TerminationJudge}.
 *
 * <h2>The 5% default and the paper</h2>
 * The 5% relative improvement threshold is a practical default for SAE training epochs; it does not come from the
 * paper. The TUMIX paper (arXiv:2510.01279, "TUMIX: Multi-Agent Test-Time Scaling with Tool-Use Mixture") stops
 * its refinement rounds with an LLM judge, consulted only after at least two rounds, and reports keeping its
 * accuracy at about 49% of the inference cost of refining for a fixed number of rounds. Here that judge is a
 * {@link io.jsae.tumix.TerminationJudge} (with {@code minRounds(2)}, the default); the rule-based variant, stop
 * when the majority answer is unchanged for two consecutive rounds, is
 * {@link io.jsae.tumix.TumixTermination.Builder#stopOnConsensus(boolean)}.
 *
 * <h2>Compared with Keras and Lightning EarlyStopping</h2>
 * The parameter names follow Keras {@code keras.callbacks.EarlyStopping} and Lightning
 * {@code lightning.pytorch.callbacks.EarlyStopping}; the semantics differ where the table says so.
 * <table class="striped">
 *   <caption>Early-stopping semantics side by side</caption>
 *   <thead>
 *     <tr><th scope="col">aspect</th><th scope="col">jsae TumixTermination</th>
 *         <th scope="col">Keras EarlyStopping</th><th scope="col">Lightning EarlyStopping</th></tr>
 *   </thead>
 *   <tbody>
 *     <tr><th scope="row">threshold</th>
 *         <td>{@code improvementThreshold}, <b>relative</b> by default ({@code gain / |best|}, the absolute gain
 *             when best is 0); {@link io.jsae.tumix.ImprovementMode#ABSOLUTE ABSOLUTE} on request</td>
 *         <td>{@code min_delta}, absolute in the monitored unit (default 0)</td>
 *         <td>{@code min_delta}, absolute in the monitored unit (default 0.0)</td></tr>
 *     <tr><th scope="row">what counts as improvement</th>
 *         <td>gain over the best earlier value {@code > 0} and improvement {@code >=} threshold (a change of
 *             exactly the threshold counts)</td>
 *         <td>strict: {@code monitor_op(current - min_delta, best)}, i.e. {@code current < best - min_delta}
 *             when minimizing; a change of exactly {@code min_delta} does not count</td>
 *         <td>strict, same form: {@code monitor_op(current - min_delta, best_score)} with {@code torch.lt} or
 *             {@code torch.gt}</td></tr>
 *     <tr><th scope="row">reference ("best")</th>
 *         <td>the best value seen so far, updated by every strictly better value, even one below the
 *             threshold</td>
 *         <td>updated only by an improvement beyond {@code min_delta}, so small gains accumulate</td>
 *         <td>updated only by an improvement beyond {@code min_delta}</td></tr>
 *     <tr><th scope="row">patience</th>
 *         <td>default 1; stop when the last {@code patience} results all failed to improve</td>
 *         <td>default 0; stop once the wait count reaches patience (never at epoch 0)</td>
 *         <td>default 3 checks (validation runs, not epochs)</td></tr>
 *     <tr><th scope="row">NaN / infinite value</th>
 *         <td>always stops at once ({@code NON_FINITE}), before or after minRounds</td>
 *         <td>not special: a NaN compares false, so it counts as no improvement and training goes on until
 *             patience runs out; the separate {@code TerminateOnNaN} callback stops on a NaN loss</td>
 *         <td>{@code check_finite=True} (default) stops at once on NaN or infinity</td></tr>
 *     <tr><th scope="row">warm-up / minimum</th>
 *         <td>{@code minRounds} (default 2): no early stop before it, but NaN, divergence and budget still
 *             stop</td>
 *         <td>{@code start_from_epoch} (default 0): epochs before it are not monitored at all</td>
 *         <td>none in the callback (the Trainer's {@code min_epochs} holds the run)</td></tr>
 *     <tr><th scope="row">maximum</th>
 *         <td>{@code maxRounds} (default 5) always stops, reported as {@code MAX_ROUNDS} (capped)</td>
 *         <td>{@code epochs} of {@code fit}, outside the callback</td>
 *         <td>the Trainer's {@code max_epochs}, outside the callback</td></tr>
 *     <tr><th scope="row">divergence</th>
 *         <td>{@code divergenceThreshold}: stop when worse than the bound</td>
 *         <td>none</td>
 *         <td>{@code divergence_threshold}: stop when worse than the bound</td></tr>
 *     <tr><th scope="row">target value</th>
 *         <td>quality gates ({@code explained_variance >= 0.8}, {@code l0 <= 64}) are preconditions: an early
 *             stop waits until they hold</td>
 *         <td>{@code baseline}: the wait count is reset only by beating it too</td>
 *         <td>{@code stopping_threshold}: stop at once when reached</td></tr>
 *     <tr><th scope="row">missing monitored value</th>
 *         <td>{@code IllegalArgumentException} naming the round and metric</td>
 *         <td>warning, the epoch is skipped</td>
 *         <td>{@code strict=True} (default) raises; otherwise a warning and the check is skipped</td></tr>
 *     <tr><th scope="row">state</th>
 *         <td>none: a pure function of the history, with the best round and value in each decision</td>
 *         <td>callback state (wait, best, best weights)</td>
 *         <td>callback state ({@code wait_count}, {@code best_score}) saved in the checkpoint</td></tr>
 *     <tr><th scope="row">other stops</th>
 *         <td>cumulative cost budget; LLM judge; unchanged majority answer</td>
 *         <td>none</td>
 *         <td>none</td></tr>
 *   </tbody>
 * </table>
 * To reproduce Keras or Lightning behaviour as closely as the pure-function design allows, use
 * {@code improvementMode(ABSOLUTE)} with the same {@code min_delta} as threshold (plus the smallest step above
 * it, since ours accepts equality) and the same patience, and {@code minRounds(1)}.
 */
package io.jsae.tumix;
