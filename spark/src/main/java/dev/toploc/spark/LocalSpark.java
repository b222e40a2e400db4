package dev.toploc.spark;

import org.apache.spark.sql.SparkSession;

/**
 * Spark in {@code local[N]} inside this JVM, for the CLI's {@code --engine spark}, the validator server and
 * the tests: no UI, no event log, the driver on loopback, shuffle partitions as many as threads.
 */
public final class LocalSpark {
    private LocalSpark() {
    }

    /** A session with {@code threads} task threads (a new one, or the running one of this JVM). */
    public static SparkSession start(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads " + threads + " (expected at least 1)");
        }
        return SparkSession.builder()
                .appName("toploc validate")
                .master("local[" + threads + "]")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", Integer.toString(threads))
                .config("spark.default.parallelism", Integer.toString(threads))
                .getOrCreate();
    }
}
