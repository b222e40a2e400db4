/**
 * Validation at scale on Apache Spark: {@link dev.toploc.spark.SparkValidator} checks rollout datasets
 * (prime-rl Parquet read by Spark, JSON lines as Spark text) with the rollouts library on every executor,
 * each JVM holding its model once ({@link dev.toploc.spark.ModelCache}, the one JVM-level cache, bounded);
 * and
 * {@link dev.toploc.spark.LocalSpark} the embedded {@code local[N]} session.
 *
 * <p>What must not live here: verification logic (it is the rollouts library's and core's), settings held
 * outside the values passed to a job ({@link dev.toploc.spark.JobSettings}).
 */
package dev.toploc.spark;
