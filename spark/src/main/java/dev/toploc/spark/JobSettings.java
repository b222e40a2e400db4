package dev.toploc.spark;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.Proofs;
import dev.toploc.TieRule;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.Settings;
import dev.toploc.runtime.ComputeMode;
import java.io.Serializable;
import java.util.List;

/**
 * A job's settings as a serializable value shipped to the executors with the tasks: the rollouts
 * library's {@link Settings} and {@link Columns} taken apart into enums, numbers and strings, rebuilt
 * (and so validated again) on the executor. {@code trustedKeys}: the providers' public keys (PEM) that signed
 * attestation files may be signed with; none, and an attestation file is bad input. No global state: every task gets its settings from here.
 */
public record JobSettings(Dtype dtype, int topK, int chunkSize, Proofs.Layout layout, List<PositionConvention> positions, boolean prefillChunk,
                          ComputeMode mode, int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian, int maxSignMismatches,
                          double maxAvgMantErrMean, List<KindBounds> byKind, String policySource, boolean tiesTolerant, int tiesWindow,
                          String promptColumn, String completionColumn, String proofsColumn, String seedColumn, String temperatureColumn,
                          List<String> trustedKeys)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    /** One kind of chunk's own bounds (a policy of format 2's {@code chunkKinds}), as serializable values. */
    public record KindBounds(AcceptancePolicy.ChunkKind kind, int maxExpMismatches, double maxMantErrMean, double maxMantErrMedian, int maxSignMismatches)
            implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    public JobSettings {
        positions = List.copyOf(positions);
        byKind = List.copyOf(byKind);
        trustedKeys = List.copyOf(trustedKeys);
    }

    /** The value of {@code settings} and {@code columns}. */
    public static JobSettings of(Settings settings, Columns columns) {
        AcceptancePolicy p = settings.policy();
        List<KindBounds> kinds = new java.util.ArrayList<>();
        p.byKind().forEach((k, b) -> kinds.add(new KindBounds(k, b.maxExpMismatches(), b.maxMantErrMean(), b.maxMantErrMedian(), b.maxSignMismatches())));
        kinds.sort(java.util.Comparator.comparing(KindBounds::kind));
        return new JobSettings(settings.spec().dtype(), settings.spec().topK(), settings.spec().chunkSize(), settings.layout(), settings.positions(),
                settings.prefillChunk(), settings.mode(), p.maxExpMismatches(), p.maxMantErrMean(), p.maxMantErrMedian(), p.maxSignMismatches(),
                p.maxAvgMantErrMean(), kinds, p.source(), settings.ties().tolerant(), settings.ties().window(), columns.prompt(), columns.completion(),
                columns.proofs(), columns.seed(), columns.temperature(), List.of());
    }

    /** The same settings, attestations checked against these public keys (PEM text, as {@code --trust} files hold them). */
    public JobSettings withTrustedKeys(List<String> pems) {
        return new JobSettings(dtype, topK, chunkSize, layout, positions, prefillChunk, mode, maxExpMismatches, maxMantErrMean, maxMantErrMedian,
                maxSignMismatches, maxAvgMantErrMean, byKind, policySource, tiesTolerant, tiesWindow, promptColumn, completionColumn, proofsColumn, seedColumn,
                temperatureColumn, pems);
    }

    /** The rollouts library's settings. */
    public Settings settings() {
        return new Settings(new CommitSpec(dtype, topK, chunkSize), layout, positions, prefillChunk, mode, policy(), new TieRule(tiesTolerant, tiesWindow));
    }

    /** The thresholds. */
    public AcceptancePolicy policy() {
        java.util.Map<AcceptancePolicy.ChunkKind, AcceptancePolicy.ChunkBounds> kinds = new java.util.EnumMap<>(AcceptancePolicy.ChunkKind.class);
        for (KindBounds b : byKind) {
            kinds.put(b.kind(), new AcceptancePolicy.ChunkBounds(b.maxExpMismatches(), b.maxMantErrMean(), b.maxMantErrMedian(), b.maxSignMismatches()));
        }
        return new AcceptancePolicy(maxExpMismatches, maxMantErrMean, maxMantErrMedian, maxSignMismatches, maxAvgMantErrMean, policySource, kinds);
    }

    /** Which columns hold what. */
    public Columns columns() {
        return new Columns(promptColumn, completionColumn, proofsColumn, seedColumn, temperatureColumn);
    }
}
