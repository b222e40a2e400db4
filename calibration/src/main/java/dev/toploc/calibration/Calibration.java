package dev.toploc.calibration;

import dev.toploc.AcceptancePolicy;
import dev.toploc.ChunkStats;
import dev.toploc.TieRule;
import dev.toploc.TopLocException;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.InferenceVerifier;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.Sampling;
import dev.toploc.vectors.RandomModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs a {@link Plan}: for each family, each scenario and each prompt, the provider's claim is made once and
 * recomputed by the verifier in each compute mode; then the plan's {@link ThresholdRule} derives each
 * family's thresholds from its honest runs on the calibration split (even prompts). Models a plan asks to
 * be written (random ones, edited copies) live in a temporary folder deleted afterwards.
 */
public final class Calibration {
    private Calibration() {
    }

    /**
     * The tie rule of the alternative statistic every run is also measured by (the policy judges the strict,
     * reference-compatible statistics; the report compares the two as calibration statistics).
     */
    public static final TieRule TIES = TieRule.TOLERANT;

    /** Progress, for a user watching: every method is called on the calibrating thread, in order. */
    public interface Progress {
        default void familyStarted(Family family) {
        }

        /** Scenario {@code index} (1-based) of the family's {@code count} begins. */
        default void scenarioStarted(Family family, Scenario scenario, int index, int count) {
        }

        /** Run {@code run} (1-based) of the scenario's {@code runs} (one per prompt, verified in every mode) took {@code seconds}. */
        default void runDone(Family family, Scenario scenario, int run, int runs, double seconds) {
        }

        default void scenarioDone(Family family, Scenario scenario, double seconds) {
        }
    }

    /** Runs {@code plan}; the date in the thresholds' source is today's (UTC). */
    public static CalibrationResult run(Plan plan, Progress progress) throws Exception {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        long t0 = System.nanoTime();
        Path work = Files.createTempDirectory("toploc-calibrate-");
        List<Measurement> all = new ArrayList<>();
        try {
            for (Family f : plan.families()) {
                all.addAll(family(plan, f, work, progress));
            }
        } finally {
            deleteTree(work);
        }
        double minutes = (System.nanoTime() - t0) / 60e9;
        Map<String, Thresholds> thresholds = new LinkedHashMap<>();
        for (Family f : plan.families()) {
            List<Measurement> honest = all.stream()
                    .filter(m -> m.family().equals(f.name()) && m.honest() && m.calibrationSplit() && m.formatError() == null).toList();
            if (!honest.isEmpty()) {
                thresholds.put(f.name(), plan.rule().derive(honest, "calibrated on " + f.name() + ": " + plan.rule().shortName() + " (" + today + ")"));
            }
        }
        return new CalibrationResult(plan, all, thresholds, today, minutes);
    }

    private static List<Measurement> family(Plan plan, Family f, Path work, Progress progress) throws Exception {
        progress.familyStarted(f);
        Path a = materialize(f.model(), work);
        Path b = materialize(f.other(), work);
        Map<Scenario.Weights, Path> dirs = new EnumMap<>(Scenario.Weights.class);
        dirs.put(Scenario.Weights.CLAIMED, a);
        dirs.put(Scenario.Weights.OTHER_MODEL, b);
        for (Scenario.Weights w : new Scenario.Weights[] {Scenario.Weights.INT8_PER_ROW, Scenario.Weights.INT4_GROUP32, Scenario.Weights.NOISE_1PCT}) {
            boolean used = f.scenarios().stream().anyMatch(s -> s.provider() instanceof Scenario.Provider.Generates g && g.weights() == w);
            if (used) {
                Path dst = work.resolve(a.getFileName() + w.suffix());
                WeightEdits.write(a, dst, w.edit());
                dirs.put(w, dst);
            }
        }
        if (f.scenarios().stream().anyMatch(s -> TokenAttacks.usesDraft(s.provider()))) {
            Path dst = work.resolve(a.getFileName() + Scenario.Weights.DRAFT.suffix());
            TokenAttacks.writeDraft(a, dst);
            dirs.put(Scenario.Weights.DRAFT, dst);
        }
        Map<Scenario.Weights, Model> models = new EnumMap<>(Scenario.Weights.class);
        List<Measurement> out = new ArrayList<>();
        try {
            for (var e : dirs.entrySet()) {
                models.put(e.getKey(), Model.load(e.getValue()));
            }
            int index = 0;
            for (Scenario s : f.scenarios()) {
                progress.scenarioStarted(f, s, ++index, f.scenarios().size());
                long t = System.nanoTime();
                for (int i = 0; i < f.prompts(); i++) {
                    long r = System.nanoTime();
                    Submission c = submit(s.provider(), models, i, f.maxTokens());
                    for (ComputeMode mode : plan.verifierModes()) {
                        out.add(measure(f, s, c, models.get(Scenario.Weights.CLAIMED), mode, i));
                    }
                    progress.runDone(f, s, i + 1, f.prompts(), (System.nanoTime() - r) / 1e9);
                }
                progress.scenarioDone(f, s, (System.nanoTime() - t) / 1e9);
            }
        } finally {
            for (Model m : models.values()) {
                m.close();
            }
        }
        return out;
    }

    private static Path materialize(Family.ModelSource src, Path work) throws IOException {
        return switch (src) {
            case Family.ModelSource.Folder(Path dir) -> dir;
            case Family.ModelSource.Random r -> {
                Path dir = work.resolve(r.dirName());
                RandomModel.write(dir, r.shape(), r.dtype(), r.seed(), 1);
                yield dir;
            }
        };
    }

    /** The provider's claim of {@code p} for prompt {@code i}. */
    static Submission submit(Scenario.Provider p, Map<Scenario.Weights, Model> models, int i, int familyTokens) throws Exception {
        Model m = models.get(Scenario.Weights.CLAIMED);
        int vocab = m.config().vocabSize();
        Sampling seeded = Scenario.Decoding.SEEDED.sampling(i);
        return switch (p) {
            case Scenario.Provider.Generates g -> Claims.honest(models.get(g.weights()), m, g.prompts().ids(i, vocab),
                    g.maxTokens() > 0 ? g.maxTokens() : familyTokens, g.decoding().sampling(i), g.mode(), g.positions(), g.threads(), g.cpuBackend());
            case Scenario.Provider.Serves v -> Claims.served(m, v.prompts().ids(i, vocab), v.maxTokens() > 0 ? v.maxTokens() : familyTokens,
                    Scenario.Decoding.SEEDED.sampling(i), v.mode(), v.numerics());
            case Scenario.Provider.ChangesOnePromptToken c -> Claims.promptChanged(m, Scenario.question(i, vocab), familyTokens, seeded);
            case Scenario.Provider.Prefix x -> Claims.prefixed(m, Scenario.question(i, vocab), familyTokens, seeded, x.added());
            case Scenario.Provider.ReplaysCommitsOfTheNextPrompt r ->
                    Claims.replayed(m, Scenario.question(i, vocab), Scenario.question(i + 1, vocab), familyTokens, seeded);
            case Scenario.Provider.ShiftsCommitsByOne s -> Claims.shifted(m, Scenario.question(i, vocab), familyTokens, seeded);
            case Scenario.Provider.RandomCommits r -> Claims.randomCommits(m, Scenario.question(i, vocab), familyTokens, seeded, i);
            case Scenario.Provider.ZeroCommits z -> Claims.zeroCommits();
            case Scenario.Provider.Relabels r -> Claims.relabeled(m, Scenario.question(i, vocab), familyTokens, seeded, r.actual(), r.claimed());
            case Scenario.Provider.SpeculatesWithDraftStates x ->
                    TokenAttacks.speculative(m, models.get(Scenario.Weights.DRAFT), Scenario.question(i, vocab), familyTokens, seeded, x.seedCoupled(), i);
            case Scenario.Provider.SamplesOtherwise x ->
                    TokenAttacks.samplesOtherwise(m, Scenario.question(i, vocab), familyTokens, seeded, x.temperature(), x.topP());
            case Scenario.Provider.CheapTokensClaimedCommits x ->
                    TokenAttacks.cheapTokens(m, models.get(Scenario.Weights.DRAFT), Scenario.question(i, vocab), familyTokens, seeded);
        };
    }

    /** The verifier's recompute of {@code c}: every chunk's statistics and the worst token gap, or why it could not be checked. */
    public static Measurement measure(Family f, Scenario s, Submission c, Model verifierModel, ComputeMode mode, int prompt) {
        if (c.formatError() != null) {
            return new Measurement(f.name(), s.name(), s.honest(), mode, prompt, List.of(), 0, c.formatError());
        }
        try {
            InferenceVerifier.Report r = Recompute.of(c.attestation(), verifierModel, mode, s.verifierStreamsLayers());
            List<ChunkStats> stats = r.commits().chunks().stream().map(x -> x.strictStats()).toList();
            List<ChunkStats> tolerant = r.commits().chunks().stream().map(x -> x.stats()).toList();
            int size = c.attestation().commitSpec().chunkSize();
            List<AcceptancePolicy.ChunkKind> kinds = r.commits().chunks().stream().map(x -> AcceptancePolicy.ChunkKind.of(x.chunk(), size)).toList();
            return new Measurement(f.name(), s.name(), s.honest(), mode, prompt, stats, r.worstTokenGap(), null, kinds, tolerant, r.tokens().size());
        } catch (TopLocException e) {
            return new Measurement(f.name(), s.name(), s.honest(), mode, prompt, List.of(), 0, e.getMessage());
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
