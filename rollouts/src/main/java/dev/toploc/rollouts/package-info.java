/**
 * Validating what the Python TOPLOC stack stored: rollout files (prime-rl Parquet, JSON lines) and bare
 * proofs in every layout, against the verifier's own prefill with the model it trusts.
 *
 * <p>Library code, not CLI code: {@link dev.toploc.rollouts.SampleVerifier} checks one sample and returns
 * its {@link dev.toploc.rollouts.SampleResult}; settings travel in a {@link dev.toploc.rollouts.Settings}
 * value. Nothing here keeps process-wide state. {@link dev.toploc.rollouts.ValidationEngine} and
 * {@link dev.toploc.rollouts.ValidatorService} are the service interfaces through which the CLI finds the
 * Spark module's engine and validator server when their jars are on the class path. What must not live here: the commit math (core) and the
 * model (runtime).
 */
package dev.toploc.rollouts;
