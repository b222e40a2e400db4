package dev.toploc.calibration;

import dev.toploc.vectors.RandomModel;
import java.nio.file.Path;
import java.util.List;

/**
 * One table of the report: a model the verifier holds, another model of the same kind (for substitution),
 * how many prompts and tokens, and the scenarios run on it.
 *
 * @param name      the table's title and the policy's family
 * @param model     the model calibrated (the verifier's)
 * @param other     another model of the same kind
 * @param prompts   prompts per scenario (even indices calibrate, odd ones evaluate)
 * @param maxTokens completion length of the scenarios that do not set their own
 * @param scenarios the rows
 */
public record Family(String name, ModelSource model, ModelSource other, int prompts, int maxTokens, List<Scenario> scenarios) {
    public Family {
        scenarios = List.copyOf(scenarios);
        if (name == null || name.isBlank() || model == null || other == null) {
            throw new IllegalArgumentException("a family needs a name and two models");
        }
        if (prompts < 2 || maxTokens < 1 || scenarios.isEmpty()) {
            throw new IllegalArgumentException("a family needs >= 2 prompts (one per split), >= 1 token and a scenario; got " + prompts
                    + " prompts, " + maxTokens + " tokens, " + scenarios.size() + " scenarios");
        }
        if (scenarios.stream().noneMatch(Scenario::honest)) {
            throw new IllegalArgumentException("family " + name + ": thresholds need at least one honest scenario");
        }
    }

    /** Where a model comes from: a folder, or a random model of a real architecture's shape written for the run. */
    public sealed interface ModelSource {
        /** A HuggingFace folder. */
        record Folder(Path dir) implements ModelSource {
        }

        /** {@link RandomModel#write} of {@code shape} in {@code dtype} with {@code seed}, into {@code dirName} under the run's work folder. */
        record Random(String dirName, RandomModel.Shape shape, String dtype, long seed) implements ModelSource {
        }
    }
}
