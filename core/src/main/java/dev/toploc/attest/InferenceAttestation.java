package dev.toploc.attest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.Commit;
import dev.toploc.CommitEncoding;
import dev.toploc.CommitFormatException;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.PositionConvention;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The predicate of an inference attestation: everything a verifier needs to recompute and check one
 * completion, and nothing it must trust blindly. It travels as an in-toto Statement v1
 * ({@value #STATEMENT_TYPE}) with predicate type {@value #PREDICATE_TYPE}, whose single subject is the
 * completion (sha256 over its token ids as u32 big-endian, see {@link #completionDigest}); the JSON Schema
 * is {@code docs/attestation.schema.json}.
 *
 * @param model      which weights: name and digests, compared with the verifier's folder before any work
 * @param prompt     prompt token ids
 * @param completion completion token ids (ending with EOS when generation stopped there)
 * @param commitSpec commit dtype, k and chunk size (the encoding follows from the dtype)
 * @param positions  position convention of the decode chunks
 * @param prefillChunk whether the first commit covers the whole prompt
 * @param commits    the commits, prefill chunk first when present
 * @param sampling   how tokens were chosen and why generation stopped
 * @param providerMode the compute mode the provider ran (informational)
 * @param nonce      the client's request nonce (binds the answer to one request)
 * @param timestamp  RFC 3339 time of signing
 */
public record InferenceAttestation(ModelRef model, int[] prompt, int[] completion, CommitSpec commitSpec,
                                   PositionConvention positions, boolean prefillChunk, List<Commit> commits,
                                   SamplingRef sampling, String providerMode, String nonce, String timestamp) {

    public static final String STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
    public static final String PREDICATE_TYPE = "https://toploc.dev/attestation/inference/v1";
    /** Token lists longer than this are refused (untrusted input). */
    public static final int MAX_TOKENS = 1 << 20;
    /** Commit lists longer than this are refused. */
    public static final int MAX_COMMITS = 1 << 16;
    /** The largest k of the v1 commit formats (one below their modulus bound). */
    public static final int MAX_TOP_K = 65497;

    /**
     * The model's identity.
     *
     * @param weightFiles   weight file names in canonical (sorted) order
     * @param weightDigests hex sha256 of each, same order
     * @param weightsDigest hex sha256 over the files' digests in order
     * @param configDigest  hex sha256 of config.json
     */
    public record ModelRef(String name, List<String> weightFiles, List<String> weightDigests, String weightsDigest, String configDigest) {
        public ModelRef {
            weightFiles = List.copyOf(weightFiles);
            weightDigests = List.copyOf(weightDigests);
        }

        /**
         * A checked model reference (the runtime's {@code ModelIdentity.toModelRef(name)} calls this): a name,
         * at least one weight file, as many digests as files, every digest a lowercase hex sha256.
         */
        public static ModelRef of(String name, List<String> weightFiles, List<String> weightDigests, String weightsDigest, String configDigest) {
            Objects.requireNonNull(name, "name");
            if (weightFiles.isEmpty() || weightFiles.size() != weightDigests.size()) {
                throw new IllegalArgumentException("model: " + weightFiles.size() + " weight files and " + weightDigests.size()
                        + " digests (expected as many, at least one)");
            }
            for (String d : weightDigests) {
                requireHex64(d, "model.weightDigests[]");
            }
            requireHex64(weightsDigest, "model.weightsDigest");
            requireHex64(configDigest, "model.configDigest");
            return new ModelRef(name, weightFiles, weightDigests, weightsDigest, configDigest);
        }

        private static void requireHex64(String s, String what) {
            if (s == null || !s.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException(what + " '" + s + "' is not a lowercase hex sha256");
            }
        }
    }

    /** A builder that checks the whole attestation before it is built: see {@link Builder#build}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds an {@link InferenceAttestation} from named fields, with defaults for the commit settings
     * ({@link CommitSpec#DEFAULT}, {@link PositionConvention#PRODUCED}, a prefill chunk) and the mode
     * ({@code ""}). {@link #build} refuses, naming the field, what a verifier would refuse: a missing
     * field, an empty or negative token list, a blank nonce, a timestamp that is not RFC 3339, commits of
     * another encoding or k than the spec, or a commit count other than the chunk plan's for this prompt,
     * completion, convention and chunk size. Not thread-safe; {@link #build} may be called again.
     */
    public static final class Builder {
        private ModelRef model;
        private int[] prompt;
        private int[] completion;
        private CommitSpec commitSpec = CommitSpec.DEFAULT;
        private PositionConvention positions = PositionConvention.PRODUCED;
        private boolean prefillChunk = true;
        private List<Commit> commits;
        private SamplingRef sampling;
        private String providerMode = "";
        private String nonce;
        private String timestamp;

        private Builder() {
        }

        public Builder model(ModelRef v) {
            model = v;
            return this;
        }

        public Builder prompt(int[] v) {
            prompt = v.clone();
            return this;
        }

        public Builder completion(int[] v) {
            completion = v.clone();
            return this;
        }

        public Builder commitSpec(CommitSpec v) {
            commitSpec = v;
            return this;
        }

        public Builder positions(PositionConvention v) {
            positions = v;
            return this;
        }

        public Builder prefillChunk(boolean v) {
            prefillChunk = v;
            return this;
        }

        public Builder commits(List<Commit> v) {
            commits = List.copyOf(v);
            return this;
        }

        public Builder sampling(SamplingRef v) {
            sampling = v;
            return this;
        }

        public Builder providerMode(String v) {
            providerMode = v;
            return this;
        }

        public Builder nonce(String v) {
            nonce = v;
            return this;
        }

        /** RFC 3339, e.g. {@code Instant.now().toString()}. */
        public Builder timestamp(String v) {
            timestamp = v;
            return this;
        }

        /** The attestation; {@link IllegalArgumentException} naming the first field that is missing or inconsistent. */
        public InferenceAttestation build() {
            require(model, "model");
            require(prompt, "prompt");
            require(completion, "completion");
            require(commitSpec, "commitSpec");
            require(positions, "positions");
            require(commits, "commits");
            require(sampling, "sampling");
            require(providerMode, "providerMode");
            require(nonce, "nonce");
            require(timestamp, "timestamp");
            tokens(prompt, "prompt");
            tokens(completion, "completion");
            if (nonce.isBlank()) {
                throw new IllegalArgumentException("nonce is blank (expected the client's request nonce)");
            }
            try {
                java.time.OffsetDateTime.parse(timestamp);
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException("timestamp '" + timestamp + "' is not an RFC 3339 date-time (e.g. Instant.now().toString())", e);
            }
            if (commits.size() > MAX_COMMITS) {
                throw new IllegalArgumentException("commits: " + commits.size() + " over the limit of " + MAX_COMMITS);
            }
            for (int i = 0; i < commits.size(); i++) {
                Commit c = commits.get(i);
                if (c.encoding() != commitSpec.encoding() || c.k() != commitSpec.topK()) {
                    throw new IllegalArgumentException("commits[" + i + "] is " + c.encoding().wireName() + " with k = " + c.k() + " (expected "
                            + commitSpec.encoding().wireName() + " with k = " + commitSpec.topK() + ", the commitSpec's)");
                }
            }
            int planned = dev.toploc.ChunkPlan.forSequence(prompt.length, completion.length, positions, prefillChunk, commitSpec.chunkSize()).size();
            if (commits.size() != planned) {
                throw new IllegalArgumentException("commits: " + commits.size() + " commits, but a prompt of " + prompt.length + " and a completion of "
                        + completion.length + " tokens (" + positions.wireName() + (prefillChunk ? ", prefill chunk" : ", no prefill chunk")
                        + ", chunks of " + commitSpec.chunkSize() + ") have " + planned + " chunks");
            }
            return new InferenceAttestation(model, prompt, completion, commitSpec, positions, prefillChunk, commits, sampling, providerMode,
                    nonce, timestamp);
        }

        private static void require(Object v, String field) {
            if (v == null) {
                throw new IllegalArgumentException(field + " is not set");
            }
        }

        private static void tokens(int[] ids, String field) {
            if (ids.length == 0 || ids.length > MAX_TOKENS) {
                throw new IllegalArgumentException(field + " has " + ids.length + " tokens (expected 1.." + MAX_TOKENS + ")");
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0) {
                    throw new IllegalArgumentException(field + "[" + i + "] = " + ids[i] + " is not a token id (expected >= 0)");
                }
            }
        }
    }

    /**
     * Sampling parameters and the stop reason, each in a stated range (checked here, so no replay ever
     * runs on parameters it cannot compute with).
     *
     * @param temperature 0: greedy; else {@value #MIN_TEMPERATURE} .. {@value #MAX_TEMPERATURE}
     * @param maxTokens   1 .. {@value InferenceAttestation#MAX_TOKENS}
     * @param eosToken    -1 when none, else a token id (&ge; 0)
     * @param stop        {@code eos} or {@code length}
     */
    public record SamplingRef(double temperature, long seed, int maxTokens, int eosToken, String stop) {
        /**
         * The smallest non-zero temperature. Below it {@code logit / T} amplifies every logit by more than
         * 100, and a subnormal T makes it overflow to infinity, where the replay's gaps become NaN; vLLM
         * clamps to the same value for the same reason.
         */
        public static final double MIN_TEMPERATURE = 0.01;
        /** The largest temperature: far above any useful one, and keeps {@code gap x T} finite. */
        public static final double MAX_TEMPERATURE = 100;

        public SamplingRef {
            requireTemperature(temperature);
            if (maxTokens < 1 || maxTokens > MAX_TOKENS) {
                throw new IllegalArgumentException("maxTokens " + maxTokens + " is out of range (expected 1.." + MAX_TOKENS + ")");
            }
            if (eosToken < -1) {
                throw new IllegalArgumentException("eosTokenId " + eosToken + " is out of range (expected -1 for none, or a token id >= 0)");
            }
            if (!"eos".equals(stop) && !"length".equals(stop)) {
                throw new IllegalArgumentException("stop '" + stop + "' (expected eos or length)");
            }
            if (stop.equals("eos") && eosToken < 0) {
                throw new IllegalArgumentException("stop is 'eos' but eosTokenId is " + eosToken + " (expected a token id >= 0)");
            }
        }

        /** Throws unless {@code t} is 0 (greedy) or within {@link #MIN_TEMPERATURE} .. {@link #MAX_TEMPERATURE}. */
        public static void requireTemperature(double t) {
            if (!(t == 0 || (t >= MIN_TEMPERATURE && t <= MAX_TEMPERATURE))) {
                throw new IllegalArgumentException("temperature " + t + " is out of range (expected 0 for greedy, or " + MIN_TEMPERATURE + ".."
                        + MAX_TEMPERATURE + ")");
            }
        }
    }

    public InferenceAttestation {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sampling, "sampling");
        prompt = prompt.clone();
        completion = completion.clone();
        commits = List.copyOf(commits);
        if (completion.length > sampling.maxTokens()) {
            throw new IllegalArgumentException("the completion has " + completion.length + " tokens, more than its own maxTokens "
                    + sampling.maxTokens());
        }
    }

    /** sha256 over the token ids, each as a u32 big-endian: the statement's subject digest. */
    public static String completionDigest(int[] ids) {
        ByteBuffer b = ByteBuffer.allocate(ids.length * 4);
        for (int id : ids) {
            b.putInt(id);
        }
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The in-toto Statement's bytes (UTF-8 JSON). */
    public byte[] toStatementJson() {
        ObjectNode st = Dsse.JSON.createObjectNode();
        st.put("_type", STATEMENT_TYPE);
        ObjectNode subject = st.putArray("subject").addObject();
        subject.put("name", "completion");
        subject.putObject("digest").put("sha256", completionDigest(completion));
        st.put("predicateType", PREDICATE_TYPE);
        ObjectNode p = st.putObject("predicate");
        ObjectNode m = p.putObject("model");
        m.put("name", model.name());
        ArrayNode files = m.putArray("weightFiles");
        for (int i = 0; i < model.weightFiles().size(); i++) {
            files.addObject().put("name", model.weightFiles().get(i)).put("sha256", model.weightDigests().get(i));
        }
        m.put("weightsSha256", model.weightsDigest());
        m.put("configSha256", model.configDigest());
        ints(p.putArray("promptTokenIds"), prompt);
        ints(p.putArray("completionTokenIds"), completion);
        ObjectNode c = p.putObject("commit");
        c.put("dtype", commitSpec.dtype().wireName());
        c.put("encoding", commitSpec.encoding().wireName());
        c.put("topK", commitSpec.topK());
        c.put("chunkSize", commitSpec.chunkSize());
        c.put("positions", positions.wireName());
        c.put("prefillChunk", prefillChunk);
        ArrayNode cs = p.putArray("commits");
        commits.forEach(x -> cs.add(x.toBase64()));
        ObjectNode s = p.putObject("sampling");
        s.put("temperature", sampling.temperature());
        s.put("seed", sampling.seed());
        s.put("maxTokens", sampling.maxTokens());
        s.put("eosTokenId", sampling.eosToken());
        s.put("stop", sampling.stop());
        p.put("providerComputeMode", providerMode);
        p.put("nonce", nonce);
        p.put("timestamp", timestamp);
        try {
            return Dsse.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(st);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void ints(ArrayNode a, int[] v) {
        for (int x : v) {
            a.add(x);
        }
    }

    /** Parses a Statement from the exact bytes a signature verified; unknown fields are ignored. */
    public static InferenceAttestation parseStatement(byte[] json) throws AttestationException {
        JsonNode st;
        try {
            st = Dsse.JSON.readTree(json);
        } catch (IOException e) {
            throw new AttestationException("schema", "statement is not valid JSON (" + Dsse.firstLine(e.getMessage()) + ")", e);
        }
        if (st == null || !st.isObject()) {
            throw new AttestationException("schema", "statement is not a JSON object");
        }
        String type = str(st, "_type", "statement");
        if (!type.equals(STATEMENT_TYPE)) {
            throw new AttestationException("statement-type", "_type '" + type + "' (expected '" + STATEMENT_TYPE + "')");
        }
        String pt = str(st, "predicateType", "statement");
        if (!pt.equals(PREDICATE_TYPE)) {
            throw new AttestationException("predicate-type", "predicateType '" + pt + "' is not one this verifier knows (expected '"
                    + PREDICATE_TYPE + "')");
        }
        JsonNode p = obj(st, "predicate", "statement");
        JsonNode m = obj(p, "model", "predicate");
        JsonNode files = arr(m, "weightFiles", "predicate.model");
        List<String> names = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        for (JsonNode f : files) {
            if (!f.isObject()) {
                throw new AttestationException("schema", "predicate.model.weightFiles[] is not an object");
            }
            names.add(str(f, "name", "predicate.model.weightFiles[]"));
            digests.add(hex64(str(f, "sha256", "predicate.model.weightFiles[]"), "predicate.model.weightFiles[].sha256"));
        }
        ModelRef model = new ModelRef(str(m, "name", "predicate.model"), names, digests,
                hex64(str(m, "weightsSha256", "predicate.model"), "predicate.model.weightsSha256"),
                hex64(str(m, "configSha256", "predicate.model"), "predicate.model.configSha256"));
        int[] prompt = tokenIds(arr(p, "promptTokenIds", "predicate"), "predicate.promptTokenIds");
        int[] completion = tokenIds(arr(p, "completionTokenIds", "predicate"), "predicate.completionTokenIds");
        JsonNode c = obj(p, "commit", "predicate");
        CommitSpec spec;
        PositionConvention positions;
        Dtype dtype;
        try {
            dtype = Dtype.fromWireName(str(c, "dtype", "predicate.commit"));
        } catch (IllegalArgumentException e) {
            throw new AttestationException("schema", "predicate.commit.dtype: " + e.getMessage(), e);
        }
        try {
            positions = PositionConvention.fromWireName(str(c, "positions", "predicate.commit"));
        } catch (IllegalArgumentException e) {
            throw new AttestationException("schema", "predicate.commit.positions: " + e.getMessage(), e);
        }
        int topK = integer(c, "topK", "predicate.commit");
        if (topK < 1 || topK > MAX_TOP_K) {
            throw new AttestationException("schema", "predicate.commit.topK " + topK + " is out of range (expected 1.." + MAX_TOP_K + ")");
        }
        int chunkSize = integer(c, "chunkSize", "predicate.commit");
        if (chunkSize < 1 || chunkSize > CommitSpec.MAX_CHUNK_SIZE) {
            throw new AttestationException("schema", "predicate.commit.chunkSize " + chunkSize + " is out of range (expected 1.."
                    + CommitSpec.MAX_CHUNK_SIZE + ")");
        }
        spec = new CommitSpec(dtype, topK, chunkSize);
        String enc = str(c, "encoding", "predicate.commit");
        if (!enc.equals(spec.encoding().wireName())) {
            throw new AttestationException("schema", "predicate.commit.encoding '" + enc + "' does not carry " + spec.dtype().wireName()
                    + " commits (expected '" + spec.encoding().wireName() + "')");
        }
        JsonNode pre = c.get("prefillChunk");
        if (pre == null || !pre.isBoolean()) {
            throw new AttestationException("schema", "predicate.commit.prefillChunk is missing or not a boolean");
        }
        JsonNode cs = arr(p, "commits", "predicate");
        if (cs.size() > MAX_COMMITS) {
            throw new AttestationException("size", "predicate.commits has " + cs.size() + " commits, over the limit of " + MAX_COMMITS);
        }
        List<Commit> commits = new ArrayList<>();
        for (int i = 0; i < cs.size(); i++) {
            if (!cs.get(i).isTextual()) {
                throw new AttestationException("schema", "predicate.commits[" + i + "] is not a string");
            }
            try {
                commits.add(Commit.fromBase64(cs.get(i).asText(), CommitEncoding.forDtype(spec.dtype()), spec.topK(), "commit " + i));
            } catch (CommitFormatException e) {
                // the null proof is the provider's own error marker: a claim that does not hold, not malformed input
                throw new AttestationException(e.nullProof() ? "null-proof" : "commit", e.getMessage(), e);
            }
        }
        JsonNode s = obj(p, "sampling", "predicate");
        JsonNode temp = s.get("temperature");
        if (temp == null || !temp.isNumber()) {
            throw new AttestationException("schema", "predicate.sampling.temperature is missing or not a number");
        }
        JsonNode seed = s.get("seed");
        if (seed == null || !seed.isIntegralNumber() || !seed.canConvertToLong()) {
            throw new AttestationException("schema", "predicate.sampling.seed is missing or not a 64-bit integer");
        }
        String stop = str(s, "stop", "predicate.sampling");
        int maxTokens = integer(s, "maxTokens", "predicate.sampling");
        JsonNode eos = s.get("eosTokenId");
        if (eos == null || !eos.isIntegralNumber() || !eos.canConvertToInt()) {
            throw new AttestationException("schema", "predicate.sampling.eosTokenId is missing or not a 32-bit integer");
        }
        SamplingRef sampling;
        try {
            sampling = new SamplingRef(temp.asDouble(), seed.asLong(), maxTokens, eos.asInt(), stop);
        } catch (IllegalArgumentException e) {
            throw new AttestationException("schema", "predicate.sampling." + e.getMessage(), e);    // the message starts with the field
        }
        JsonNode mode = p.get("providerComputeMode");
        if (mode != null && !mode.isTextual()) {
            throw new AttestationException("schema", "predicate.providerComputeMode is not a string");
        }
        String timestamp = str(p, "timestamp", "predicate");
        try {
            java.time.OffsetDateTime.parse(timestamp);
        } catch (java.time.format.DateTimeParseException e) {
            throw new AttestationException("schema", "predicate.timestamp '" + timestamp + "' is not an RFC 3339 date-time", e);
        }
        InferenceAttestation a;
        try {
            a = new InferenceAttestation(model, prompt, completion, spec, positions, pre.asBoolean(), commits,
                    sampling, mode == null ? "" : mode.asText(), str(p, "nonce", "predicate"), timestamp);
        } catch (IllegalArgumentException e) {
            throw new AttestationException("schema", "predicate: " + e.getMessage(), e);
        }
        JsonNode subjects = arr(st, "subject", "statement");
        if (subjects.isEmpty()) {
            throw new AttestationException("schema", "statement.subject is empty (expected at least one subject: the completion)");
        }
        String want = completionDigest(completion);
        boolean found = false;
        for (JsonNode sub : subjects) {
            if (!sub.isObject()) {
                throw new AttestationException("schema", "statement.subject[] is not an object");
            }
            str(sub, "name", "statement.subject[]");
            String d = hex64(str(obj(sub, "digest", "statement.subject[]"), "sha256", "statement.subject[].digest"),
                    "statement.subject[].digest.sha256");
            found |= want.equals(d);
        }
        if (!found) {
            throw new AttestationException("subject", "no subject's sha256 matches the completion's token ids (expected " + want + ")");
        }
        return a;
    }

    private static JsonNode obj(JsonNode n, String f, String where) throws AttestationException {
        JsonNode v = n.get(f);
        if (v == null || !v.isObject()) {
            throw new AttestationException("schema", where + "." + f + " is " + (v == null ? "missing" : "not an object"));
        }
        return v;
    }

    private static JsonNode arr(JsonNode n, String f, String where) throws AttestationException {
        JsonNode v = n.get(f);
        if (v == null || !v.isArray()) {
            throw new AttestationException("schema", where + "." + f + " is " + (v == null ? "missing" : "not an array"));
        }
        return v;
    }

    private static String str(JsonNode n, String f, String where) throws AttestationException {
        JsonNode v = n.get(f);
        if (v == null || !v.isTextual()) {
            throw new AttestationException("schema", where + "." + f + " is " + (v == null ? "missing" : "not a string"));
        }
        return v.asText();
    }

    private static int integer(JsonNode n, String f, String where) throws AttestationException {
        JsonNode v = n.get(f);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new AttestationException("schema", where + "." + f + " is " + (v == null ? "missing" : "not a 32-bit integer"));
        }
        return v.asInt();
    }

    private static String hex64(String s, String where) throws AttestationException {
        if (!s.matches("[0-9a-f]{64}")) {
            throw new AttestationException("schema", where + " '" + s + "' is not a lowercase hex sha256");
        }
        return s;
    }

    private static int[] tokenIds(JsonNode a, String where) throws AttestationException {
        if (a.size() > MAX_TOKENS) {
            throw new AttestationException("size", where + " has " + a.size() + " tokens, over the limit of " + MAX_TOKENS);
        }
        if (a.isEmpty()) {
            throw new AttestationException("schema", where + " is empty (expected 1.." + MAX_TOKENS + " token ids)");
        }
        int[] ids = new int[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
                throw new AttestationException("schema", where + "[" + i + "] = " + v + " is not a token id (expected an integer >= 0)");
            }
            ids[i] = v.asInt();
        }
        return ids;
    }

    /** Equality by content (arrays by value). */
    @Override
    public boolean equals(Object o) {
        return o instanceof InferenceAttestation a && model.equals(a.model) && java.util.Arrays.equals(prompt, a.prompt)
                && java.util.Arrays.equals(completion, a.completion) && commitSpec.equals(a.commitSpec) && positions == a.positions
                && prefillChunk == a.prefillChunk && commits.equals(a.commits) && sampling.equals(a.sampling)
                && providerMode.equals(a.providerMode) && nonce.equals(a.nonce) && timestamp.equals(a.timestamp);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, java.util.Arrays.hashCode(prompt), java.util.Arrays.hashCode(completion), commitSpec, commits, nonce);
    }

    @Override
    public String toString() {
        return "InferenceAttestation[model=" + model.name() + ", prompt=" + prompt.length + " tokens, completion=" + completion.length
                + " tokens, commits=" + commits.size() + ", nonce=" + nonce + "]";
    }

    /** The prompt (a copy). */
    @Override
    public int[] prompt() {
        return prompt.clone();
    }

    /** The completion (a copy). */
    @Override
    public int[] completion() {
        return completion.clone();
    }
}
