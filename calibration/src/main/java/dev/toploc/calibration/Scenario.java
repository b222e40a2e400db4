package dev.toploc.calibration;

import dev.toploc.Compute;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Sampling;
import dev.toploc.runtime.ServingNumerics;
import java.util.List;

/**
 * One row of the calibration table, as a value: what the provider does for prompt {@code i}, whether the
 * verifier must accept it, and how the verifier recomputes.
 *
 * @param name                  the row's label
 * @param honest                whether the verifier must accept (honest noise) or reject (an attack)
 * @param verifierStreamsLayers whether the verifier recomputes streaming one layer at a time
 * @param provider              how the claim is made
 * @param note                  for an attack that physics may let through: why (no numbers: the report adds the measured ones); may be empty
 */
public record Scenario(String name, boolean honest, boolean verifierStreamsLayers, Provider provider, String note) {
    public Scenario {
        if (name == null || name.isBlank() || provider == null || note == null) {
            throw new IllegalArgumentException("a scenario needs a name, a provider and a note (may be empty)");
        }
    }

    /** The weights a provider generates with. */
    public enum Weights {
        /** The model the verifier holds. */
        CLAIMED,
        /** Another model of the same kind (substitution). */
        OTHER_MODEL,
        /** The claimed model with its linear layers quantized to int8, one scale per row. */
        INT8_PER_ROW,
        /** The claimed model with its linear layers quantized to int4, one scale per group of 32. */
        INT4_GROUP32,
        /** The claimed model's linear layers multiplied by 1 + 1% N(0, 1) noise (seed 5). */
        NOISE_1PCT,
        /** The claimed model's first half of its layers (at least one), final norm and head: the cheaper model of {@link TokenAttacks}. */
        DRAFT;

        /** The edit that makes these weights from the claimed ones; null for the claimed model, the other model and the draft. */
        public WeightEdits.Edit edit() {
            return switch (this) {
                case INT8_PER_ROW -> WeightEdits.quantize(8, Integer.MAX_VALUE);
                case INT4_GROUP32 -> WeightEdits.quantize(4, 32);
                case NOISE_1PCT -> WeightEdits.noise(0.01, 5);
                case CLAIMED, OTHER_MODEL, DRAFT -> null;
            };
        }

        /** The folder-name suffix of the edited copy. */
        String suffix() {
            return switch (this) {
                case INT8_PER_ROW -> "-int8";
                case INT4_GROUP32 -> "-int4-g32";
                case NOISE_1PCT -> "-noise1pct";
                case DRAFT -> "-draft";
                case CLAIMED, OTHER_MODEL -> "";
            };
        }
    }

    /** Which prompt the provider is given for index {@code i}. */
    public enum Prompts {
        /** {@link #QUESTIONS}[i], its byte ids reduced modulo the vocabulary. */
        QUESTION,
        /** Questions from i on, each followed by a fixed sentence, until at least 256 bytes (not reduced). */
        LONG,
        /** {@code "Q:"}. */
        SHORT;

        /** The prompt ids for index {@code i} on a model of vocabulary {@code vocab}. */
        public int[] ids(int i, int vocab) {
            return switch (this) {
                case QUESTION -> question(i, vocab);
                case LONG -> {
                    StringBuilder sb = new StringBuilder();
                    for (int k = 0; sb.length() < 256; k++) {
                        sb.append(QUESTIONS.get((i + k) % QUESTIONS.size())).append(" Because it is there.\n");
                    }
                    yield Claims.bytes(sb.toString());
                }
                case SHORT -> Claims.bytes("Q:");
            };
        }
    }

    /** The prompts of the calibration runs (the first half's even indices calibrate, the odd ones evaluate). */
    public static final List<String> QUESTIONS = List.of(
            "Q: What is the secret of happiness?\nA:", "Q: Why do cats purr?\nA:", "Q: What is a computer?\nA:",
            "Q: How do I become rich?\nA:", "Q: What is love?\nA:", "Q: Why is the sky blue?\nA:",
            "Q: What should I eat today?\nA:", "Q: Who am I?\nA:", "Q: What is a friend?\nA:", "Q: Where do we go from here?\nA:",
            "Q: Is there life after death?\nA:", "Q: What is the meaning of life?\nA:");

    /** Question {@code i} (cyclically), its byte ids reduced modulo {@code vocab}. */
    public static int[] question(int i, int vocab) {
        int[] ids = Claims.bytes(QUESTIONS.get(i % QUESTIONS.size()));
        for (int k = 0; k < ids.length; k++) {
            ids[k] %= vocab;
        }
        return ids;
    }

    /**
     * The provider's token choice: greedy, or sampling at {@code temperature} with {@code seed} (plus the
     * prompt index when {@code seedPerPrompt}).
     */
    public record Decoding(double temperature, long seed, boolean seedPerPrompt) {
        /** Temperature 0.8, seed 7: the provider sampling of most rows. */
        public static final Decoding SEEDED = new Decoding(0.8, 7, false);
        public static final Decoding GREEDY = new Decoding(0, 0, false);

        public Sampling sampling(int prompt) {
            return temperature == 0 ? Sampling.GREEDY : new Sampling(temperature, seedPerPrompt ? seed + prompt : seed);
        }
    }

    /** How the provider makes its claim. */
    public sealed interface Provider {
        /**
         * Generates on {@code weights} and claims the verifier's model: honest when the weights are the claimed
         * ones. {@code maxTokens <= 0}: the family's; {@code threads <= 0}: as configured; {@code cpuBackend}: the
         * provider's CPU matmul kernels (the verifier's are the default, {@code auto}: native where present).
         */
        record Generates(Weights weights, ComputeMode mode, Prompts prompts, int maxTokens, Decoding decoding, PositionConvention positions,
                         int threads, Compute.CpuBackend cpuBackend) implements Provider {
            Generates(Weights weights, ComputeMode mode, Prompts prompts, int maxTokens, Decoding decoding, PositionConvention positions, int threads) {
                this(weights, mode, prompts, maxTokens, decoding, positions, threads, Compute.CpuBackend.AUTO);
            }
        }

        /**
         * An honest provider whose forward pass rounds as a GPU serving stack does ({@link ServingNumerics}), on the
         * claimed weights in {@code mode}, with the standard sampling; {@code maxTokens <= 0}: the family's.
         */
        record Serves(ServingNumerics numerics, ComputeMode mode, Prompts prompts, int maxTokens) implements Provider {
        }

        /** Serves the prompt with one byte changed, claims the original. */
        record ChangesOnePromptToken() implements Provider {
        }

        /** Serves with {@link Claims#PREFIX} added ({@code added}) or without the claimed prefix. */
        record Prefix(boolean added) implements Provider {
        }

        /** Claims the commits of the next prompt's completion. */
        record ReplaysCommitsOfTheNextPrompt() implements Provider {
        }

        /** Commits every row one position late. */
        record ShiftsCommitsByOne() implements Provider {
        }

        /** Well-formed random commits (seeded by the prompt index). */
        record RandomCommits() implements Provider {
        }

        /** The reference's all-zero null proof. */
        record ZeroCommits() implements Provider {
        }

        /** Computes and commits in {@code actual}, labels the commits {@code claimed}. */
        record Relabels(Dtype actual, Dtype claimed) implements Provider {
        }

        /**
         * Speculative decoding with the {@link Weights#DRAFT} proposing tokens; commits the draft's rows for the
         * tokens it proposed and the claimed model accepted ({@link TokenAttacks#speculative}).
         */
        record SpeculatesWithDraftStates(boolean seedCoupled) implements Provider {
        }

        /** Samples on the claimed model at {@code temperature} within nucleus {@code topP}, claims the standard sampling ({@link TokenAttacks#samplesOtherwise}). */
        record SamplesOtherwise(double temperature, double topP) implements Provider {
        }

        /** The draft picks the tokens, one prefill of the claimed model makes the commits ({@link TokenAttacks#cheapTokens}). */
        record CheapTokensClaimedCommits() implements Provider {
        }
    }

    /** An honest or weight-swapping provider on the questions with the standard sampling in {@code mode}. */
    static Provider.Generates generates(Weights w, ComputeMode mode) {
        return new Provider.Generates(w, mode, Prompts.QUESTION, 0, Decoding.SEEDED, PositionConvention.PRODUCED, 0);
    }

    /**
     * The honest GPU-serving rows ({@link ServingNumerics}), in every family: flash attention (P in bf16, and
     * in fp16 under fp16 compute), split-K 2, 4 and 8 (pairwise), fused residual+RMSNorm, TF32 matmuls under fp32
     * compute, chunked prefill of a long prompt, and all of them at once. Named {@code GPU: <numerics>, provider <mode>}.
     */
    public static List<Scenario> servingVariants() {
        ServingNumerics flash64 = ServingNumerics.flash(64, ComputeMode.BF16);
        List<Provider.Serves> v = List.of(
                new Provider.Serves(flash64, ComputeMode.BF16, Prompts.QUESTION, 0),
                new Provider.Serves(ServingNumerics.flash(128, ComputeMode.FP16), ComputeMode.FP16, Prompts.QUESTION, 0),
                new Provider.Serves(ServingNumerics.splitK(2, false), ComputeMode.BF16, Prompts.QUESTION, 0),
                new Provider.Serves(ServingNumerics.splitK(4, false), ComputeMode.BF16, Prompts.QUESTION, 0),
                new Provider.Serves(ServingNumerics.splitK(8, true), ComputeMode.BF16, Prompts.QUESTION, 0),
                new Provider.Serves(ServingNumerics.fusedResidualNorm(), ComputeMode.BF16, Prompts.QUESTION, 0),
                new Provider.Serves(ServingNumerics.tf32Matmul(), ComputeMode.FP32, Prompts.QUESTION, 0),
                new Provider.Serves(flash64.withPrefillChunk(16), ComputeMode.BF16, Prompts.LONG, 16),
                new Provider.Serves(flash64.withSplitK(4, true).withFusedAddNorm().withPrefillChunk(16), ComputeMode.BF16, Prompts.QUESTION, 0));
        return v.stream().map(p -> new Scenario("GPU: " + p.numerics().describe() + ", provider " + p.mode().wireName()
                + (p.prompts() == Prompts.LONG ? ", long prompt (>= 256 tokens), " + p.maxTokens() + "-token completion" : ""), true, false, p, "")).toList();
    }

    /**
     * The standard table: honest rows first, then attacks. {@code full}: also the rows that need a trained
     * model to mean something (other precisions and prompt shapes, prefix and commit forgeries, relabelled dtypes).
     */
    public static List<Scenario> standard(boolean full) {
        PositionConvention produced = PositionConvention.PRODUCED;
        List<Scenario> s = new java.util.ArrayList<>();
        s.add(new Scenario("provider bf16", true, false, generates(Weights.CLAIMED, ComputeMode.BF16), ""));
        s.add(new Scenario("provider fp32", true, false, generates(Weights.CLAIMED, ComputeMode.FP32), ""));
        s.add(new Scenario("provider bf16, greedy", true, false,
                new Provider.Generates(Weights.CLAIMED, ComputeMode.BF16, Prompts.QUESTION, 0, Decoding.GREEDY, produced, 0), ""));
        if (full) {
            s.add(new Scenario("provider fp16", true, false, generates(Weights.CLAIMED, ComputeMode.FP16), ""));
            s.add(new Scenario("provider bf16 on 1 thread (verifier on 2)", true, false,
                    new Provider.Generates(Weights.CLAIMED, ComputeMode.BF16, Prompts.QUESTION, 0, Decoding.SEEDED, produced, 1), ""));
            s.add(new Scenario("provider bf16 on the Java kernels (verifier: native CPU backend where present)", true, false,
                    new Provider.Generates(Weights.CLAIMED, ComputeMode.BF16, Prompts.QUESTION, 0, Decoding.SEEDED, produced, 0, Compute.CpuBackend.JAVA), ""));
            s.add(new Scenario("provider bf16, verifier streams layers", true, true, generates(Weights.CLAIMED, ComputeMode.BF16), ""));
            s.add(new Scenario("long prompt (>= 256 tokens), 16-token completion", true, false,
                    new Provider.Generates(Weights.CLAIMED, ComputeMode.BF16, Prompts.LONG, 16, Decoding.SEEDED, produced, 0), ""));
            s.add(new Scenario("short prompt, 200-token completion", true, false,
                    new Provider.Generates(Weights.CLAIMED, ComputeMode.BF16, Prompts.SHORT, 200, new Decoding(0.8, 100, true), produced, 0), ""));
            s.add(new Scenario("decode-steps positions", true, false,
                    new Provider.Generates(Weights.CLAIMED, ComputeMode.BF16, Prompts.QUESTION, 0, Decoding.SEEDED, PositionConvention.DECODE_STEPS, 0),
                    ""));
        }
        s.addAll(servingVariants());
        s.add(new Scenario("another model (substitution)", false, false, generates(Weights.OTHER_MODEL, ComputeMode.BF16), ""));
        s.add(new Scenario("8-bit weights (per row)", false, false, generates(Weights.INT8_PER_ROW, ComputeMode.BF16),
                "Per-row int8 moves each weight by at most half a quantization step; where that changes the final hidden states no more "
                        + "than computing in another precision does, no threshold that accepts honest reruns can reject it."));
        s.add(new Scenario("4-bit weights (group 32)", false, false, generates(Weights.INT4_GROUP32, ComputeMode.BF16),
                "4-bit weights shift every chunk a little while the per-chunk bounds must admit the honest outliers of long generations; "
                        + "the sequence-average bound catches the steady shift unless it stays under the bound the longest honest runs set."));
        s.add(new Scenario("weights x (1 + 1% noise)", false, false, generates(Weights.NOISE_1PCT, ComputeMode.BF16),
                "Multiplicative noise this small can stay within the honest precision noise of a small model; wider models reveal it."));
        s.add(new Scenario("one prompt token changed", false, false, new Provider.ChangesOnePromptToken(),
                "One byte changed in the middle of a short prompt: with sampling the completion that follows is often the one the claimed "
                        + "prompt would give, and the states differ mainly in the prefill chunk, where honest noise is largest. Caught when the "
                        + "change moves the continuation."));
        s.addAll(TokenAttacks.scenarios());
        if (full) {
            s.add(new Scenario("system prompt prefix added", false, false, new Provider.Prefix(true), ""));
            s.add(new Scenario("system prompt prefix removed", false, false, new Provider.Prefix(false), ""));
            s.add(new Scenario("commits from another completion (replay)", false, false, new Provider.ReplaysCommitsOfTheNextPrompt(), ""));
            s.add(new Scenario("commits shifted by one position", false, false, new Provider.ShiftsCommitsByOne(), ""));
            s.add(new Scenario("random commits", false, false, new Provider.RandomCommits(), ""));
            s.add(new Scenario("all-zero commits", false, false, new Provider.ZeroCommits(), ""));
            s.add(new Scenario("fp16 provider claimed as bf16", false, false, new Provider.Relabels(Dtype.FP16, Dtype.BF16), ""));
            s.add(new Scenario("bf16 provider claimed as fp16", false, false, new Provider.Relabels(Dtype.BF16, Dtype.FP16), ""));
        }
        return List.copyOf(s);
    }
}
