package dev.toploc.rollouts;

import static dev.toploc.rollouts.Fixtures.TEXTS;
import static dev.toploc.rollouts.Fixtures.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Compute;
import dev.toploc.PositionConvention;
import dev.toploc.internal.TopK;
import dev.toploc.TopKAccelerator;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One sample's bare proofs: auto positions, counts before the prefill, empty proofs, attacks. */
class SampleVerifierTest {
    static Model tiny;
    static Model tinyB;

    @BeforeAll
    static void load() throws Exception {
        tiny = Model.load(Fixtures.TINY);
        tinyB = Model.load(Fixtures.TINY_B);
    }

    @AfterAll
    static void close() {
        tiny.close();
        tinyB.close();
    }

    static Sample sample(int[] p, int[] c, byte[] proofs) {
        return new Sample(0, p, c, proofs, 7L, 0.6);
    }

    @Test
    void auto_acceptsEachConvention_andSaysWhich_whileTheWrongFixedOneRejects() throws Exception {
        for (String[] t : TEXTS) {
            int[] p = bytes(t[0]);
            int[] c = bytes(t[1]);
            for (PositionConvention conv : PositionConvention.values()) {
                Sample s = sample(p, c, Fixtures.proofs(tiny, p, c, conv, 0));
                SampleResult auto = SampleVerifier.verify(s, Fixtures.settings(Settings.AUTO), tiny);
                assertEquals(Verdict.ACCEPT, auto.verdict(), conv + ": " + auto.reason());
                assertEquals(conv, auto.positions(), auto.reason());
                assertTrue(auto.checked());
                assertEquals("binary", auto.layout());
                PositionConvention other = conv == PositionConvention.PRODUCED ? PositionConvention.DECODE_STEPS : PositionConvention.PRODUCED;
                SampleResult wrong = SampleVerifier.verify(s, Fixtures.settings(List.of(other)), tiny);
                if (wrong.verdict() != Verdict.BAD_INPUT) {       // same count: a shift by one row, which must reject
                    assertEquals(Verdict.REJECT, wrong.verdict(), conv + " checked as " + other + ": " + wrong.reason());
                }
            }
        }
    }

    @Test
    void attacks_areRejected_underEveryConvention() throws Exception {
        int[] p = bytes(TEXTS[0][0]);
        int[] c = bytes(TEXTS[0][1]);
        Settings auto = Fixtures.settings(Settings.AUTO);
        // another model made the proofs
        SampleResult other = SampleVerifier.verify(sample(p, c, Fixtures.proofs(tinyB, p, c, PositionConvention.PRODUCED, 0)), auto, tiny);
        assertEquals(Verdict.REJECT, other.verdict(), other.reason());
        assertTrue(other.reason().contains("produced: ") && other.reason().contains("decode-steps: "), other.reason());
        // a completion token changed after the proofs were made
        byte[] honest = Fixtures.proofs(tiny, p, c, PositionConvention.PRODUCED, 0);
        // On the tiny model one changed byte moves the evidence but stays inside its calibrated policy
        // (docs/calibration.md: caught by the token replay, which stored Python samples cannot give).
        SampleResult honestR = SampleVerifier.verify(sample(p, c, honest), auto, tiny);
        SampleResult changed = SampleVerifier.verify(sample(p, Fixtures.changed(c, 1, 256), honest), auto, tiny);
        assertTrue(changed.worst().expMismatches() > 2 * honestR.worst().expMismatches(), changed.worst() + " vs honest " + honestR.worst());
        // ... and a token changed in every chunk's window (a rewritten span) is rejected
        int[] rewritten = c.clone();
        for (int i = 0; i < c.length; i += 8) {
            rewritten[i] = 256;
        }
        SampleResult span = SampleVerifier.verify(sample(p, rewritten, honest), auto, tiny);
        assertEquals(Verdict.REJECT, span.verdict(), span.reason());
        // every chunk shifted by a row beyond both conventions (a preempted, recomputed sequence)
        SampleResult shifted = SampleVerifier.verify(sample(p, c, Fixtures.proofs(tiny, p, c, PositionConvention.DECODE_STEPS, 1)), auto, tiny);
        assertEquals(Verdict.REJECT, shifted.verdict(), shifted.reason());
        // negative control: the same calls with the honest proofs accept
        assertEquals(Verdict.ACCEPT, SampleVerifier.verify(sample(p, c, honest), auto, tiny).verdict());
    }

    @Test
    void commitCountsAndLayouts_areCheckedBeforeAnyPrefill() throws Exception {
        int[] p = bytes(TEXTS[1][0]);
        int[] c = bytes(TEXTS[1][1]);
        byte[] honest = Fixtures.proofs(tiny, p, c, PositionConvention.PRODUCED, 0);
        Settings auto = Fixtures.settings(Settings.AUTO);
        byte[] plusOne = Arrays.copyOf(honest, honest.length + 258);
        System.arraycopy(honest, 0, plusOne, honest.length, 258);
        SampleResult extra = SampleVerifier.verify(sample(p, c, plusOne), auto, tiny);
        assertEquals(Verdict.BAD_INPUT, extra.verdict());
        assertNull(extra.positions());   // no prefill was run
        assertTrue(extra.reason().startsWith("5 commits fit no position convention for P = 20, N = 105: produced expects 4, decode-steps expects 4"),
                extra.reason());
        SampleResult ragged = SampleVerifier.verify(sample(p, c, Arrays.copyOf(honest, honest.length - 1)), auto, tiny);
        assertEquals(Verdict.BAD_INPUT, ragged.verdict());
        assertTrue(ragged.reason().contains("is not a whole number of 258-byte commits"), ragged.reason());
        SampleResult vocab = SampleVerifier.verify(sample(p, Fixtures.changed(c, 3, 999), honest), auto, tiny);
        assertEquals(Verdict.BAD_INPUT, vocab.verdict());
        assertEquals("completion token 3 is 999, outside the model's vocabulary 0..257", vocab.reason());
    }

    @Test
    void emptyProofs_areAcceptedUncheckedOnlyForOutputsOfAtMostOneToken() {
        int[] p = bytes(TEXTS[2][0]);
        Settings auto = Fixtures.settings(Settings.AUTO);
        SampleResult one = SampleVerifier.verify(sample(p, new int[] {'x'}, new byte[0]), auto, tiny);
        assertEquals(Verdict.ACCEPT, one.verdict());
        assertFalse(one.checked());
        assertTrue(one.reason().startsWith("nothing committed"), one.reason());
        SampleResult longer = SampleVerifier.verify(sample(p, bytes(" two"), new byte[0]), auto, tiny);
        assertEquals(Verdict.BAD_INPUT, longer.verdict());
        assertEquals("no commits for a completion of 4 tokens", longer.reason());
    }

    /** The CPU kernel's top-k, counted: shows the commit check ran on the compute context it was given. */
    static final class CountingTopK implements TopKAccelerator {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
            calls.incrementAndGet();
            return TopK.select16Scalar(a, off, len, k, magMask, nonFinite);
        }

        @Override
        public String name() {
            return "counting scalar top-k";
        }
    }

    @Test
    void theGivenEngine_computesThePrefill_andTheGivenCompute_runsTheCheck() throws Exception {
        int[] p = bytes(TEXTS[0][0]);
        int[] c = bytes(TEXTS[0][1]);
        Sample s = sample(p, c, Fixtures.proofs(tiny, p, c, PositionConvention.PRODUCED, 0));
        Settings auto = Fixtures.settings(Settings.AUTO);
        CountingTopK topK = new CountingTopK();
        Compute compute = Compute.defaults().withThreads(2).withTopK(topK);
        AtomicInteger engineCalls = new AtomicInteger();
        InferenceVerifier.PrefillEngine engine = (m, tokens, mode) -> {
            engineCalls.incrementAndGet();
            assertSame(tiny, m);
            assertEquals(p.length + c.length - 1, tokens.length);
            return m.prefill(tokens, mode, compute);
        };
        SampleResult r = SampleVerifier.verify(s, auto, tiny, engine, compute);
        assertEquals(Verdict.ACCEPT, r.verdict(), r.reason());
        assertEquals(1, engineCalls.get(), "one prefill serves both conventions");
        assertTrue(topK.calls.get() > 0, "the commit check's top-k ran on the given context");
        // negative control: the commits are checked against what the engine computed, so an engine with other
        // weights (tiny-fortunes-llama-b's states for the same tokens) is rejected though the model given is right
        SampleResult wrong = SampleVerifier.verify(s, auto, tiny, (m, tokens, mode) -> tinyB.prefill(tokens, mode), compute);
        assertEquals(Verdict.REJECT, wrong.verdict(), wrong.reason());
        // an engine that declines leaves the prefill to the CPU runtime; the default context's top-k is the CPU's
        int before = topK.calls.get();
        SampleResult declined = SampleVerifier.verify(s, auto, tiny, (m, tokens, mode) -> null, Compute.defaults());
        assertEquals(Verdict.ACCEPT, declined.verdict(), declined.reason());
        assertEquals(before, topK.calls.get());
    }
}
