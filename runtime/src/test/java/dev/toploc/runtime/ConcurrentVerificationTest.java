package dev.toploc.runtime;

import dev.toploc.TopKAccelerator;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.CommitSpec;
import dev.toploc.Compute;
import dev.toploc.PositionConvention;
import dev.toploc.attest.InferenceAttestation;
import dev.toploc.internal.TopK;
import dev.toploc.vectors.TestVectors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Verifiers with different compute contexts (thread counts, top-k device, prefill engine) running at the
 * same time in one JVM: each gives exactly what it gives alone, since nothing is switched process-wide.
 */
class ConcurrentVerificationTest {

    /** The scalar top-k twin as the device (a real kernel other than the default vector path), counting calls. */
    static final class ScalarTwin implements TopKAccelerator {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public TopKAccelerator.Result select16(short[] a, int off, int len, int k, int magMask, int nonFinite) {
            calls.incrementAndGet();
            return TopK.select16Scalar(a, off, len, k, magMask, nonFinite);
        }

        @Override
        public String name() {
            return "scalar twin";
        }
    }

    /** What one verification gives: the report when accepted, the rejection's report otherwise. */
    record Outcome(boolean accepted, InferenceVerifier.Report report) {
    }

    static Outcome run(InferenceVerifier v, Model m, InferenceAttestation a) throws Exception {
        try {
            return new Outcome(true, v.verify(m, a));
        } catch (ClaimRejectedException e) {
            return new Outcome(false, e.claimReport());
        }
    }

    @Test
    void differentContexts_concurrently_giveWhatEachGivesAlone() throws Exception {
        try (Model m = Model.load(TestVectors.model("tiny-fortunes-llama"))) {
            int[] prompt = "Q: What is a friend?\nA:".chars().toArray();
            InferenceAttestation honest = Provider.generate(m, "tiny-fortunes-llama", new Provider.Request(prompt, 40, new Sampling(0.8, 3), -1,
                    ComputeMode.BF16, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "n"), Compute.defaults().withThreads(2));
            int[] c = honest.completion();
            c[20] = c[20] == 'x' ? 'y' : 'x';
            InferenceAttestation forged = new InferenceAttestation(honest.model(), honest.prompt(), c, honest.commitSpec(), honest.positions(),
                    honest.prefillChunk(), honest.commits(), honest.sampling(), honest.providerMode(), honest.nonce(), honest.timestamp());

            ScalarTwin twin = new ScalarTwin();
            AtomicInteger engineCalls = new AtomicInteger();
            InferenceVerifier.PrefillEngine streamed = (model, tokens, mode) -> {
                engineCalls.incrementAndGet();
                return model.prefill(tokens, mode, true, null, Compute.defaults().withThreads(2));
            };
            List<InferenceVerifier> verifiers = List.of(
                    InferenceVerifier.builder().mode(ComputeMode.BF16).compute(Compute.defaults().withThreads(1)).build(),
                    InferenceVerifier.builder().mode(ComputeMode.BF16).compute(Compute.defaults().withThreads(3).withTopK(twin))
                            .engine(streamed).build(),
                    InferenceVerifier.builder().mode(ComputeMode.BF16).compute(Compute.defaults().withThreads(2)).streamLayers(true).build());
            List<InferenceAttestation> claims = List.of(honest, forged);

            List<Outcome> alone = new ArrayList<>();
            for (InferenceVerifier v : verifiers) {
                for (InferenceAttestation a : claims) {
                    alone.add(run(v, m, a));
                }
            }
            for (int i = 0; i < alone.size(); i += 2) {
                assertTrue(alone.get(i).accepted(), "honest claim, verifier " + i / 2);
                assertFalse(alone.get(i + 1).accepted(), "forged claim, verifier " + i / 2);
                assertFalse(alone.get(i + 1).report().tokens().isEmpty());
                // and bit-identical across contexts (the reduction order does not depend on them)
                assertEquals(alone.get(i % 2), alone.get(i));
                assertEquals(alone.get(1), alone.get(i + 1));
            }
            assertEquals(2, engineCalls.get(), "the plugged engine ran the second verifier's prefills");
            assertTrue(twin.calls.get() > 0, "the second verifier's top-k ran on its device");

            int twinAlone = twin.calls.get();
            ExecutorService pool = Executors.newFixedThreadPool(6);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Outcome>> got = new ArrayList<>();
                for (int round = 0; round < 2; round++) {
                    for (InferenceVerifier v : verifiers) {
                        for (InferenceAttestation a : claims) {
                            got.add(pool.submit(() -> {
                                start.await();
                                return run(v, m, a);
                            }));
                        }
                    }
                }
                start.countDown();
                for (int i = 0; i < got.size(); i++) {
                    assertEquals(alone.get(i % alone.size()), got.get(i).get(), "run " + i);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(2 + 4, engineCalls.get());
            assertEquals(3 * twinAlone, twin.calls.get(), "only the second verifier's top-k ran on the device");
        }
    }

    @Test
    void theEntryPoint_checksTheNamedModel_andDefaultsToTheReferencePolicy() throws Exception {
        try (Model a = Model.load(TestVectors.model("tiny-fortunes-llama"));
             Model b = Model.load(TestVectors.model("tiny-fortunes-llama-b"))) {
            int[] prompt = "Q: Why?\nA:".chars().toArray();
            InferenceAttestation att = Provider.generate(a, "tiny", new Provider.Request(prompt, 20, Sampling.GREEDY, -1, ComputeMode.FP32,
                    CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "n"));
            InferenceVerifier v = InferenceVerifier.builder().build();
            InferenceVerifier.Report r = v.verify(a, att);
            assertTrue(r.modelChecked());
            assertEquals(dev.toploc.AcceptancePolicy.defaults(CommitSpec.DEFAULT), r.commits().policy());
            assertEquals("model", assertThrows(dev.toploc.attest.AttestationException.class, () -> v.verify(b, att)).check());
            // a bare claim names no model: checked against the folder's weights, said so in the report
            InferenceVerifier.Report bare = v.verify(a, dev.toploc.attest.Claim.bare(att.prompt(), att.completion(), att.commitSpec(),
                    att.positions(), att.prefillChunk(), att.commits(), att.sampling()));
            assertFalse(bare.modelChecked());
            assertEquals(r.commits(), bare.commits());
        }
    }
}
