package dev.toploc.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Proofs;
import dev.toploc.TopLocException;
import dev.toploc.VerificationException;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.Sample;
import dev.toploc.rollouts.SampleResult;
import dev.toploc.rollouts.SampleVerifier;
import dev.toploc.rollouts.Settings;
import dev.toploc.rollouts.Verdict;
import dev.toploc.runtime.Model;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * {@code verify --proofs} without a replay: one sample's bare proofs through the rollouts library's
 * {@link SampleVerifier} (every layout, {@code --positions auto}, counts checked before the prefill), on the
 * {@code --device} the command selected (its prefill engine and compute context).
 */
final class BareProofs {
    private BareProofs() {
    }

    static int verify(PrintWriter out, PrintWriter err, Path proofs, String layout, CommitSpec spec, int[] prompt, int[] completion,
                      Settings partial, Model model, Device device, JsonOutcome json) throws Exception {
        byte[] data = Inputs.read(proofs, Proofs.MAX_BYTES, "proofs file");
        Proofs.Layout.fromWireName(layout);   // a usage error before anything is read as proofs
        long t0 = System.nanoTime();
        SampleResult r = SampleVerifier.verify(new Sample(0, prompt, completion, data, null, null), partial, model, device.engine(),
                device.compute());
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json != null) {
            ObjectNode n = ResultJson.sample(r);
            if (r.report() != null) {
                n.set("chunks", Report.body(r.report()).get("chunks"));
            }
            int code = r.verdict() == Verdict.ACCEPT ? Toploc.ACCEPTED : r.verdict() == Verdict.REJECT ? Toploc.REJECTED : Toploc.BAD_INPUT;
            n = JsonOutcome.head(json, code, "verification", code == Toploc.REJECTED ? "commits" : null, r.reason(), JsonOutcome.finite(n));
            Report.putNum(n, "seconds", secs);
            out.println(Report.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        } else {
            if (r.report() != null) {
                Report.table(out, r.report());
            }
            out.printf("%s (%s) in %.2f s%n", r.verdict() == Verdict.ACCEPT ? "ACCEPTED" : r.verdict() == Verdict.REJECT ? "REJECTED" : "BAD INPUT",
                    r.reason(), secs);
        }
        return switch (r.verdict()) {
            case ACCEPT -> Toploc.ACCEPTED;
            case REJECT -> throw new VerificationException(r.reason(), r.report());
            case BAD_INPUT -> throw new TopLocException(r.reason());
        };
    }

    static Settings settings(CommitSpec spec, String layout, String positions, boolean prefillChunk, dev.toploc.runtime.ComputeMode mode,
                             AcceptancePolicy policy, String ties) {
        return new Settings(spec, Proofs.Layout.fromWireName(layout), Settings.positions(positions), prefillChunk, mode, policy,
                dev.toploc.TieRule.fromWireName(ties));
    }
}
