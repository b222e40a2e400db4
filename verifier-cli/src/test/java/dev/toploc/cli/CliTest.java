package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The toploc command through its real entry point: output and exit codes. */
class CliTest {

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Toploc.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void benchCore_printsMediansOnItsLastLine() {
        Run r = run("bench", "core", "--rows", "40", "--hidden", "512", "--iterations", "3", "--warmup", "1");
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertTrue(lines[lines.length - 1].matches("build_ms=\\d+\\.\\d{3} verify_ms=\\d+\\.\\d{3}"), r.out());
    }

    @Test
    void unknownBenchmark_isBadInput() {
        Run r = run("bench", "gpu");
        assertEquals(Toploc.BAD_INPUT, r.code());
        assertTrue(r.err().contains("unknown benchmark 'gpu' (expected: core)"), r.err());
    }

    @Test
    void unknownOption_isUsageError() {
        Run r = run("bench", "core", "--frobnicate");
        assertEquals(Toploc.BAD_INPUT, r.code());
        assertTrue(r.err().contains("Unknown option"), r.err());
    }
}
