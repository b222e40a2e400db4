package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.PositionConvention;
import dev.toploc.attest.InferenceAttestation;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every architecture of {@code test-vectors/oracle/} end to end: a provider generates in bf16 with
 * sampling, the verifier accepts in fp32 and bf16, and a completion with one token changed is rejected.
 * Also: a decoding session's states equal a full prefill's in each compute mode (the KV cache path of the
 * new layers: windows, q/k norms, experts, soft-caps).
 */
class ArchitectureRoundTripTest {
    static Stream<LlamaCppOracleTest.Case> cases() throws Exception {
        return LlamaCppOracleTest.cases();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void generatesInBf16_verifiesInFp32AndBf16_andRejectsAChangedToken(LlamaCppOracleTest.Case c) throws Exception {
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = c.meta().get("ids").get(i).asInt();
        }
        try (Model m = Model.load(c.dir())) {
            InferenceAttestation att = Provider.generate(m, c.name(), new Provider.Request(prompt, 40, new Sampling(0.8, 5), -1,
                    ComputeMode.BF16, CommitSpec.DEFAULT, PositionConvention.PRODUCED, true, "nonce-" + c.name()));
            AcceptancePolicy policy = AcceptancePolicy.defaults(CommitSpec.DEFAULT);
            for (ComputeMode mode : new ComputeMode[] {ComputeMode.FP32, ComputeMode.BF16}) {
                InferenceVerifier.Report r = Verify.report(att, m, mode, policy);
                assertTrue(r.accepted(), c + " " + mode + ": " + r);
            }
            int[] changed = att.completion();
            changed[20] = (changed[20] + 1) % m.config().vocabSize();
            InferenceAttestation forged = new InferenceAttestation(att.model(), att.prompt(), changed, att.commitSpec(), att.positions(),
                    att.prefillChunk(), att.commits(), att.sampling(), att.providerMode(), att.nonce(), att.timestamp());
            assertFalse(Verify.report(forged, m, ComputeMode.FP32, policy).accepted());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void sessionStates_equalPrefill_inEveryMode(LlamaCppOracleTest.Case c) throws Exception {
        int n = 80;
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = c.meta().get("ids").get(i).asInt();
        }
        try (Model m = Model.load(c.dir())) {
            for (ComputeMode mode : ComputeMode.values()) {
                float[] full = m.prefill(ids, mode);
                Model.Session s = m.session(mode, n);
                float[] a = s.append(Arrays.copyOfRange(ids, 0, 50));
                float[] b = s.append(Arrays.copyOfRange(ids, 50, n));
                float[] inc = new float[full.length];
                System.arraycopy(a, 0, inc, 0, a.length);
                System.arraycopy(b, 0, inc, a.length, b.length);
                assertEquals(Arrays.toString(full), Arrays.toString(inc), c + " " + mode);
            }
        }
    }
}
