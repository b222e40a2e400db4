package dev.toploc.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A calibrated policy file (written by {@code toploc calibrate}): thresholds for one model, commit dtype
 * and k, plus the token-replay margin.
 *
 * <pre>{@code
 * {"model": {"configSha256": "...", "weightsSha256": "..."}, "dtype": "bf16", "topK": 128,
 *  "maxExpMismatches": 8, "maxMantErrMean": 2.3, "maxMantErrMedian": 2, "maxSignMismatches": 8, "maxAvgMantErrMean": 1.9,
 *  "logitMargin": 0.3, "source": "calibrated ..."}
 * }</pre>
 */
record PolicyFile(AcceptancePolicy policy, double logitMargin, String dtype, int topK, String configSha256, String weightsSha256) {

    static PolicyFile read(Path file) throws IOException {
        JsonNode n = new ObjectMapper().readTree(Inputs.read(file, Inputs.MAX_POLICY, "policy file"));
        if (n == null || !n.isObject()) {
            throw new IOException("policy file " + file + ": not a JSON object");
        }
        try {
            AcceptancePolicy p = new AcceptancePolicy(req(n, "maxExpMismatches", file).asInt(), req(n, "maxMantErrMean", file).asDouble(),
                    req(n, "maxMantErrMedian", file).asDouble(), n.path("maxSignMismatches").asInt(-1),
                    n.has("maxAvgMantErrMean") ? n.get("maxAvgMantErrMean").asDouble() : Double.POSITIVE_INFINITY,
                    "policy file " + file.getFileName() + ": " + n.path("source").asText("(no source given)"));
            return new PolicyFile(p, n.path("logitMargin").asDouble(0.5), req(n, "dtype", file).asText(), req(n, "topK", file).asInt(),
                    n.path("model").path("configSha256").asText(""), n.path("model").path("weightsSha256").asText(""));
        } catch (IllegalArgumentException e) {
            throw new IOException("policy file " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode req(JsonNode n, String f, Path file) throws IOException {
        JsonNode v = n.get(f);
        if (v == null || v.isNull()) {
            throw new IOException("policy file " + file + ": " + f + " is missing");
        }
        return v;
    }

    /** Whether this policy was made for {@code spec}. */
    void requireFits(CommitSpec spec) throws IOException {
        if (!dtype.equals(spec.dtype().wireName()) || topK != spec.topK()) {
            throw new IOException("the policy is for " + dtype + " k=" + topK + " commits, these are " + spec.dtype().wireName()
                    + " k=" + spec.topK());
        }
    }

    /** A policy calibrated for other weights is refused: its thresholds describe another model's noise. */
    void requireModel(dev.toploc.runtime.ModelIdentity id) throws IOException {
        if (!weightsSha256.isEmpty() && !weightsSha256.equals(id.weightsDigest())) {
            throw new IOException("the policy was calibrated for weights sha256 " + weightsSha256 + ", the model folder has "
                    + id.weightsDigest() + " (calibrate this model: toploc calibrate --model DIR)");
        }
    }

    ObjectNode toJson(ObjectMapper m) {
        ObjectNode n = m.createObjectNode();
        n.putObject("model").put("configSha256", configSha256).put("weightsSha256", weightsSha256);
        n.put("dtype", dtype);
        n.put("topK", topK);
        n.put("maxExpMismatches", policy.maxExpMismatches());
        n.put("maxMantErrMean", policy.maxMantErrMean());
        n.put("maxMantErrMedian", policy.maxMantErrMedian());
        n.put("maxSignMismatches", policy.maxSignMismatches());
        if (!Double.isInfinite(policy.maxAvgMantErrMean())) {
            n.put("maxAvgMantErrMean", policy.maxAvgMantErrMean());
        }
        n.put("logitMargin", logitMargin);
        n.put("source", policy.source());
        return n;
    }
}
