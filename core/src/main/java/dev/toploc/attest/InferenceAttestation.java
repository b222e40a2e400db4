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
    }

    /**
     * Sampling parameters and the stop reason.
     *
     * @param temperature 0: greedy
     * @param eosToken    -1 when none
     * @param stop        {@code eos} or {@code length}
     */
    public record SamplingRef(double temperature, long seed, int maxTokens, int eosToken, String stop) {
    }

    public InferenceAttestation {
        Objects.requireNonNull(model, "model");
        prompt = prompt.clone();
        completion = completion.clone();
        commits = List.copyOf(commits);
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
            names.add(str(f, "name", "predicate.model.weightFiles[]"));
            digests.add(hex64(str(f, "sha256", "predicate.model.weightFiles[]"), "predicate.model.weightFiles[].sha256"));
        }
        ModelRef model = new ModelRef(str(m, "name", "predicate.model"), names, digests,
                hex64(str(m, "weightsSha256", "predicate.model"), "predicate.model.weightsSha256"),
                hex64(str(m, "configSha256", "predicate.model"), "predicate.model.configSha256"));
        int[] prompt = tokenIds(arr(p, "promptTokenIds", "predicate"), "predicate.promptTokenIds");
        int[] completion = tokenIds(arr(p, "completionTokenIds", "predicate"), "predicate.completionTokenIds");
        if (prompt.length == 0 || completion.length == 0) {
            throw new AttestationException("schema", "predicate: prompt and completion must each have at least one token (got "
                    + prompt.length + " and " + completion.length + ")");
        }
        JsonNode c = obj(p, "commit", "predicate");
        CommitSpec spec;
        PositionConvention positions;
        try {
            spec = new CommitSpec(Dtype.fromWireName(str(c, "dtype", "predicate.commit")), integer(c, "topK", "predicate.commit"),
                    integer(c, "chunkSize", "predicate.commit"));
            positions = PositionConvention.fromWireName(str(c, "positions", "predicate.commit"));
        } catch (IllegalArgumentException e) {
            throw new AttestationException("schema", "predicate.commit: " + e.getMessage(), e);
        }
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
            throw new AttestationException("size", cs.size() + " commits exceed the limit of " + MAX_COMMITS);
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
        if (temp == null || !temp.isNumber() || !(temp.asDouble() >= 0) || Double.isInfinite(temp.asDouble())) {
            throw new AttestationException("schema", "predicate.sampling.temperature is missing or not a number >= 0");
        }
        JsonNode seed = s.get("seed");
        if (seed == null || !seed.isIntegralNumber() || !seed.canConvertToLong()) {
            throw new AttestationException("schema", "predicate.sampling.seed is missing or not a 64-bit integer");
        }
        String stop = str(s, "stop", "predicate.sampling");
        if (!stop.equals("eos") && !stop.equals("length")) {
            throw new AttestationException("schema", "predicate.sampling.stop '" + stop + "' (expected eos or length)");
        }
        int maxTokens = integer(s, "maxTokens", "predicate.sampling");
        JsonNode eos = s.get("eosTokenId");
        if (eos == null || !eos.isIntegralNumber() || !eos.canConvertToInt() || eos.asInt() < -1) {
            throw new AttestationException("schema", "predicate.sampling.eosTokenId is missing or not an integer >= -1");
        }
        SamplingRef sampling = new SamplingRef(temp.asDouble(), seed.asLong(), maxTokens, eos.asInt(), stop);
        InferenceAttestation a = new InferenceAttestation(model, prompt, completion, spec, positions, pre.asBoolean(), commits,
                sampling, p.path("providerComputeMode").asText(""), str(p, "nonce", "predicate"), str(p, "timestamp", "predicate"));
        JsonNode subjects = arr(st, "subject", "statement");
        String want = completionDigest(completion);
        boolean found = false;
        for (JsonNode sub : subjects) {
            if (want.equals(sub.path("digest").path("sha256").asText(null))) {
                found = true;
            }
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
