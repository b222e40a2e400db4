package dev.toploc.calibration;

import dev.toploc.policy.PolicyFile;
import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelFormatException;
import dev.toploc.runtime.ModelIdentity;
import java.io.IOException;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A finished calibration: every measurement, each family's derived thresholds, the day and how long it took.
 *
 * @param plan         what was run
 * @param measurements every recompute, in run order
 * @param thresholds   derived thresholds by family name, in plan order (a family without honest runs has none)
 * @param date         the day (UTC) the run started
 * @param minutes      wall time of the runs, in minutes
 */
public record CalibrationResult(Plan plan, List<Measurement> measurements, Map<String, Thresholds> thresholds, LocalDate date, double minutes) {
    public CalibrationResult {
        measurements = List.copyOf(measurements);
        thresholds = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(thresholds));
    }

    /** The policy file for {@code family}'s model (a folder model), bound to its weights as they are on disk now. */
    public PolicyFile policyFile(String family) throws IOException, ModelFormatException {
        Family f = plan.families().stream().filter(x -> x.name().equals(family)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no family '" + family + "' in this calibration"));
        if (!(f.model() instanceof Family.ModelSource.Folder(java.nio.file.Path dir))) {
            throw new IllegalArgumentException("family '" + family + "' is a random model written for the run; only a folder model gets a policy file");
        }
        Thresholds t = thresholds.get(family);
        if (t == null) {
            throw new IllegalStateException("family '" + family + "' has no honest run to derive thresholds from");
        }
        ModelIdentity id;
        try (Model m = Model.load(dir)) {
            id = m.identity();
        }
        return new PolicyFile(t.policy(), t.logitMargin(), plan.spec().dtype(), plan.spec().topK(), id.configDigest(), id.weightsDigest());
    }
}
