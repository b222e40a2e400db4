package dev.toploc.calibration;

import dev.toploc.CommitSpec;
import dev.toploc.runtime.ComputeMode;
import dev.toploc.vectors.RandomModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a calibration run does: the families (tables), the verifier compute modes (columns), the commit
 * parameters and the threshold rule.
 */
public record Plan(List<Family> families, List<ComputeMode> verifierModes, CommitSpec spec, ThresholdRule rule) {
    public Plan {
        families = List.copyOf(families);
        verifierModes = List.copyOf(verifierModes);
        if (families.isEmpty() || verifierModes.isEmpty()) {
            throw new IllegalArgumentException("a plan needs a family and a verifier mode");
        }
        if (!spec.equals(Claims.SPEC)) {
            throw new IllegalArgumentException("the scenarios commit with " + Claims.SPEC + " only, not " + spec);
        }
        if (families.stream().map(Family::name).distinct().count() != families.size()) {
            throw new IllegalArgumentException("family names must be distinct");
        }
    }

    /** The verifier columns of the standard table. */
    public static final List<ComputeMode> MODES = List.of(ComputeMode.FP32, ComputeMode.BF16, ComputeMode.FP16);

    /**
     * The standard plan ({@code toploc calibrate}): {@code model} with every scenario (12 prompts, 4 when
     * {@code quick}; 64 tokens), a random model of Qwen2.5-0.5B's widths with the scenarios that need no
     * trained model (at most 4 prompts, 48 tokens), and unless {@code quick} one of Llama-3-8B's widths
     * (2 prompts, 40 tokens) and one of Qwen3-0.6B's (4 prompts, 48 tokens). The family of {@code model} is named after its folder.
     */
    public static Plan standard(Path model, Path other, boolean quick) {
        int prompts = quick ? 4 : Scenario.QUESTIONS.size();
        List<Family> f = new ArrayList<>();
        f.add(new Family(model.getFileName().toString(), new Family.ModelSource.Folder(model), new Family.ModelSource.Folder(other), prompts, 64,
                Scenario.standard(true)));
        f.add(new Family("random Qwen2.5-0.5B widths, 2 layers", new Family.ModelSource.Random("qwen25-2l", RandomModel.Shape.qwen25(2, 1024), "BF16", 11),
                new Family.ModelSource.Random("qwen25-2l-other-seed", RandomModel.Shape.qwen25(2, 1024), "BF16", 12), Math.min(prompts, 4), 48,
                Scenario.standard(false)));
        if (!quick) {
            f.add(new Family("random Llama-3-8B widths, 2 layers",
                    new Family.ModelSource.Random("llama3-8b-2l", RandomModel.Shape.llama3_8b(2, 1024), "BF16", 21),
                    new Family.ModelSource.Random("llama3-8b-2l-other-seed", RandomModel.Shape.llama3_8b(2, 1024), "BF16", 22), 2, 40,
                    Scenario.standard(false)));
            f.add(qwen3(Math.min(prompts, 4), 48));
        }
        return new Plan(f, MODES, Claims.SPEC, ThresholdRule.STANDARD);
    }

    /** This plan with {@code family} as its last table. */
    public Plan with(Family family) {
        List<Family> f = new ArrayList<>(families);
        f.add(family);
        return new Plan(f, verifierModes, spec, rule);
    }

    /** The name of {@link #qwen3}'s table. */
    public static final String QWEN3 = "random Qwen3-0.6B widths (q/k norms, 16 x 128 heads over 1024), 2 layers";

    /**
     * A random model of Qwen3-0.6B's head layout ({@link RandomModel.Shape#qwen3}: per-head q/k RMSNorm, 16 query
     * heads of 128 over 8 KV heads, so heads x head_dim = 2048 != hidden 1024; tied embeddings) with 2 layers and a
     * 1024-token vocabulary, and the scenarios that need no trained model (the standard plan's last table).
     */
    public static Family qwen3(int prompts, int maxTokens) {
        return new Family(QWEN3, new Family.ModelSource.Random("qwen3-2l", RandomModel.Shape.qwen3(2, 1024), "BF16", 31),
                new Family.ModelSource.Random("qwen3-2l-other-seed", RandomModel.Shape.qwen3(2, 1024), "BF16", 32), prompts, maxTokens,
                Scenario.standard(false));
    }
}
