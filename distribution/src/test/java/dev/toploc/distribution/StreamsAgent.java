package dev.toploc.distribution;

/**
 * A Java agent that writes, before the CLI's {@code main} runs, alternating lines to stdout and stderr, one of them
 * holding a NUL byte. Loaded into the real launcher's JVM with {@code JDK_JAVA_OPTIONS=-javaagent:...}: when both
 * streams go to one pipe, the bytes read back are exactly these lines in this order if and only if nothing sits
 * between the JVM and its streams.
 */
public final class StreamsAgent {
    /** What the agent writes, in order: even lines to stdout, odd lines to stderr. */
    static final String[] LINES = {"agent out 1\n", "agent err \0 2\n", "agent out 3\n", "agent err 4\n"};

    private StreamsAgent() {
    }

    public static void premain(String args) {
        for (int i = 0; i < LINES.length; i++) {
            var stream = i % 2 == 0 ? System.out : System.err;
            stream.print(LINES[i]);
            stream.flush();
        }
    }
}
