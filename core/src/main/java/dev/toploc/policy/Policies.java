package dev.toploc.policy;

import dev.toploc.AcceptancePolicy;
import dev.toploc.CommitSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Which policy a verification uses, and a sentence saying so. A model folder's own calibrated
 * {@value #FILE_NAME} is used automatically when it is there; otherwise the reference thresholds, announced
 * as such. A policy file that is there but malformed, for other commits or for other weights is an error,
 * never a silent fall-back to the defaults.
 */
public final class Policies {
    private Policies() {
    }

    /** The policy file's name in a model folder (written there by {@code toploc calibrate}). */
    public static final String FILE_NAME = "toploc-policy.json";

    /**
     * The reference token-replay margin in logits, used with the reference thresholds (the same value as
     * the runtime's {@code InferenceVerifier.SamplingCheck.DEFAULT}).
     */
    public static final double REFERENCE_LOGIT_MARGIN = 0.5;

    /**
     * The policy chosen for a verification.
     *
     * @param policy      the thresholds
     * @param logitMargin the token replay's margin
     * @param file        the policy file they come from; null: the reference defaults
     * @param description which policy this is and where it comes from, for the user
     */
    public record Choice(AcceptancePolicy policy, double logitMargin, Path file, String description) {
        /** Whether the thresholds come from a policy file (rather than the reference defaults). */
        public boolean fromFile() {
            return file != null;
        }
    }

    /**
     * The model folder's {@value #FILE_NAME} when present, checked against the commits and against the
     * folder's model digests (other weights: an error); the reference defaults for {@code spec}, announced, when
     * there is none or it was calibrated for other commits (bf16 where these are fp16, another k).
     */
    public static Choice forModel(Path modelDir, CommitSpec spec, String configSha256, String weightsSha256)
            throws IOException, PolicyFileException {
        Path f = modelDir.resolve(FILE_NAME);
        if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
            AcceptancePolicy d = AcceptancePolicy.defaults(spec);
            return new Choice(d, REFERENCE_LOGIT_MARGIN, null, d.source() + ": no " + FILE_NAME + " in " + modelDir
                    + " (toploc calibrate --model DIR writes one)");
        }
        PolicyFile pf = PolicyFile.read(f);
        pf.requireModel(configSha256, weightsSha256);      // the folder's policy for other weights is an error, never skipped
        if (pf.dtype() != spec.dtype() || pf.topK() != spec.topK()) {
            // calibrated for other commits of these weights (bf16 proofs, fp16 ones here): it says nothing about these
            AcceptancePolicy d = AcceptancePolicy.defaults(spec);
            return new Choice(d, REFERENCE_LOGIT_MARGIN, null, d.source() + ": " + f + " is calibrated for " + pf.dtype().wireName()
                    + " k=" + pf.topK() + " commits, these are " + spec.dtype().wireName() + " k=" + spec.topK());
        }
        return choice(pf, f, "policy file " + f + " (calibrated for these weights): " + pf.policy().source());
    }

    /** An explicitly given policy file, checked against the commits and the model's digests. */
    public static Choice fromFile(Path file, CommitSpec spec, String configSha256, String weightsSha256) throws IOException, PolicyFileException {
        PolicyFile pf = PolicyFile.read(file);
        pf.requireFits(spec);
        pf.requireModel(configSha256, weightsSha256);
        return choice(pf, file, "policy file " + file + " (calibrated for these weights): " + pf.policy().source());
    }

    /**
     * An explicitly given policy file where no model is at hand (checking commits against given states):
     * checked against the commits; the description says the model binding was not checked.
     */
    public static Choice fromFileWithoutModel(Path file, CommitSpec spec) throws IOException, PolicyFileException {
        PolicyFile pf = PolicyFile.read(file);
        pf.requireFits(spec);
        return choice(pf, file, "policy file " + file + ": " + pf.policy().source() + " (calibrated for weights sha256 "
                + pf.weightsSha256() + "; not checked: no model given)");
    }

    /** The explicit file when given, else {@link #forModel}. */
    public static Choice select(Path explicitFile, Path modelDir, CommitSpec spec, String configSha256, String weightsSha256)
            throws IOException, PolicyFileException {
        return explicitFile != null ? fromFile(explicitFile, spec, configSha256, weightsSha256) : forModel(modelDir, spec, configSha256, weightsSha256);
    }

    /** The reference defaults, announced as such. */
    public static Choice defaults(CommitSpec spec) {
        AcceptancePolicy d = AcceptancePolicy.defaults(spec);
        return new Choice(d, REFERENCE_LOGIT_MARGIN, null, d.source());
    }

    private static Choice choice(PolicyFile pf, Path file, String description) {
        AcceptancePolicy p = pf.policy();
        AcceptancePolicy shown = p.withSource("policy file " + file.getFileName() + ": " + p.source());
        return new Choice(shown, pf.logitMargin(), file, description);
    }
}
