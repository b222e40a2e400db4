/**
 * Calibration as a library: measure how much honest reruns differ (other precisions, threads, layer
 * streaming, prompt shapes, GPU serving numerics on the provider side: {@code Scenario.servingVariants()})
 * and what attacks look like, derive a model's thresholds (per kind of chunk where the data differs), and
 * report (with the rule-of-three bound on false rejections and the tie-tolerant statistic beside the strict one).
 *
 * <ul>
 *   <li>{@link dev.toploc.calibration.Scenario}: a table row as a value (a sealed set of provider records,
 *       {@code Scenario.standard(full)} the standard rows); {@link dev.toploc.calibration.Claims}: the
 *       provider-side functions that make each claim; {@link dev.toploc.calibration.TokenAttacks}: the
 *       attacks on the token choice (speculative decoding from a half-depth draft, another temperature or
 *       top-p, the draft's tokens with the claimed model's commits); {@link dev.toploc.calibration.Family} and
 *       {@link dev.toploc.calibration.Plan}: what to run ({@code Plan.standard} is {@code toploc calibrate}'s).</li>
 *   <li>{@link dev.toploc.calibration.Calibration#run}: runs a plan into a
 *       {@link dev.toploc.calibration.CalibrationResult} of {@link dev.toploc.calibration.Measurement}s and
 *       derived {@link dev.toploc.calibration.Thresholds}.</li>
 *   <li>{@link dev.toploc.calibration.ThresholdRule}: the one rule (honest worst x factor, with floors) that
 *       makes an {@link dev.toploc.AcceptancePolicy}; {@link dev.toploc.calibration.Thresholds#accepts}
 *       decides with that policy's own checks (no second copy of them).</li>
 *   <li>{@link dev.toploc.calibration.CalibrationReport}: Markdown and JSON rendered from the result and the
 *       {@link dev.toploc.calibration.Machine} (read from {@code /proc} and the JVM) only, with
 *       {@link dev.toploc.calibration.CalibrationFigures}: per family and statistic an SVG of the honest and
 *       attack runs and the threshold (JFreeChart drawing into Apache Batik's SVGGraphics2D);
 *       {@link dev.toploc.calibration.CalibrationResult#policyFile} the model's
 *       {@link dev.toploc.policy.PolicyFile}.</li>
 * </ul>
 *
 * <p>The runtime's process-wide switches (thread count) and the verifier's entry point are touched in one
 * package-private class ({@code Compute}) only.
 */
package dev.toploc.calibration;
