package dev.toploc.spark.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.toploc.io.UntrustedFiles;
import dev.toploc.rollouts.Columns;
import dev.toploc.rollouts.FileResult;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.Settings;
import dev.toploc.rollouts.ValidatorService;
import dev.toploc.spark.LocalSpark;
import dev.toploc.spark.ModelRef;
import dev.toploc.spark.SparkValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.SparkSession;

/**
 * The protocol's TOPLOC validator API (the remote server Prime Intellect's protocol validator calls, see
 * {@code ../shared/ECOSYSTEM.md}) over the JDK's HTTP server, its jobs run on Spark ({@code local[N]} in this
 * process), their state in an embedded database ({@link JobStore}).
 *
 * <ul>
 *   <li>{@code POST /validate/{file}} {@code {"file_sha", "address"}}: validates one storage file; its sha256 is
 *       checked against {@code file_sha} first (a mismatch is a reject with the reason).</li>
 *   <li>{@code POST /validategroup/{file}} {@code {"file_shas", "group_id", "file_number", "group_size"}}: the group's
 *       members are the files beside {@code {file}} (same folder) whose sha256 are {@code file_shas}.</li>
 *   <li>{@code GET /status/{file}}: {@code {"status": "accept"|"reject"|"crashed"|"pending", "input_flops", "output_flops",
 *       "failing_indices" (sample rows), "samples", ...}}.</li>
 *   <li>{@code GET /statusgroup/{file}}: {@code {"status", "input_flops", "output_flops", "failing_indices"}}, the
 *       indices being positions in {@code file_shas} of the members that failed (or were not found).</li>
 * </ul>
 * Errors are JSON {@code {"error": "..."}}: 400 for a malformed request or name, 401 without the Bearer token,
 * 404 for a file or job that does not exist, 405, 409 for a second, different request for the same file, 413 for a
 * body over {@link #MAX_BODY} bytes; 500 only for the server's own faults, never with a stack trace.
 */
public final class ValidatorServer implements ValidatorService.Running {
    /** Request bodies are at most this long (a group of {@link #MAX_GROUP} shas fits). */
    public static final int MAX_BODY = 256 << 10;
    /** Files in one group. */
    public static final int MAX_GROUP = 1024;
    /** Files looked at in a group's folder to find its members. */
    public static final int MAX_SCAN = 100_000;

    private final StorageNames names;
    private final Map<String, ModelRef> models;
    private final Map<String, Settings> settings;
    private final byte[] token;
    private final int threads;
    private final JobStore store;
    private final SparkSession spark;
    private final HttpServer http;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "toploc-validator-jobs"));
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private volatile boolean closing;

    private ValidatorServer(StorageNames names, Map<String, ModelRef> models, Map<String, Settings> settings, byte[] token, int threads, JobStore store,
                            SparkSession spark, HttpServer http) {
        this.names = names;
        this.models = models;
        this.settings = settings;
        this.token = token;
        this.threads = threads;
        this.store = store;
        this.spark = spark;
        this.http = http;
    }

    /** Starts: models identified (a missing one named), the state opened, unfinished jobs queued again, then HTTP. */
    public static ValidatorServer start(Path storage, Map<String, Path> models, Map<String, Settings> settings, String bind, int port, String token,
                                        int threads) throws Exception {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("no --model NAME=DIR given");
        }
        if (!settings.keySet().equals(models.keySet())) {
            throw new IllegalArgumentException("settings for " + settings.keySet() + ", models " + models.keySet() + " (expected the same names)");
        }
        if (token != null && token.isBlank()) {
            throw new IllegalArgumentException("the token is empty");
        }
        StorageNames names = new StorageNames(storage);
        Map<String, ModelRef> refs = new LinkedHashMap<>();
        for (var e : models.entrySet()) {
            try {
                refs.put(e.getKey(), ModelRef.of(e.getValue()));
            } catch (Exception ex) {
                throw new IOException("model " + e.getKey() + " (" + e.getValue() + "): " + ex.getMessage(), ex);
            }
        }
        Path state = names.root().resolve(".toploc-validator");
        Files.createDirectories(state);
        JobStore store = new JobStore(state);
        SparkSession spark = LocalSpark.start(threads);
        HttpServer http = HttpServer.create(new InetSocketAddress(bind, port), 64);
        ValidatorServer s = new ValidatorServer(names, refs, Map.copyOf(settings), token == null ? null : token.strip().getBytes(StandardCharsets.UTF_8), threads,
                store, spark, http);
        http.createContext("/", s::handle);
        http.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "toploc-validator-http");
            t.setDaemon(true);
            return t;
        }));
        for (JobStore.Job j : store.pending()) {
            s.queue(j.kind(), j.file());
        }
        http.start();
        return s;
    }

    @Override
    public int port() {
        return http.getAddress().getPort();
    }

    /** Stops: no new requests, the running job cancelled and left pending (the next start runs it), state closed. */
    @Override
    public void close() throws Exception {
        closing = true;
        http.stop(0);
        worker.shutdownNow();
        spark.sparkContext().cancelAllJobs();
        worker.awaitTermination(60, TimeUnit.SECONDS);
        ((ExecutorService) http.getExecutor()).shutdownNow();
        spark.stop();
        store.close();
    }

    // ------------------------------------------------------------------------------------------- jobs

    private void queue(String kind, String file) {
        if (queued.add(kind + "\n" + file)) {
            worker.submit(() -> run(kind, file));
        }
    }

    private void run(String kind, String file) {
        queued.remove(kind + "\n" + file);
        try {
            Optional<JobStore.Job> j = store.get(kind, file);
            if (j.isEmpty() || !j.get().status().equals("pending") || closing) {
                return;
            }
            store.started(kind, file);
            JsonNode req = ResultJson.JSON.readTree(j.get().request());
            ObjectNode result;
            try {
                result = kind.equals("file") ? validateFile(file, req) : validateGroup(file, req);
            } catch (Exception e) {
                if (closing || Thread.currentThread().isInterrupted()) {
                    return;                 // stopped mid-job: it stays pending and runs after the next start
                }
                result = ResultJson.JSON.createObjectNode().put("status", "crashed").put("error", String.valueOf(e.getMessage()));
            }
            if (!closing) {
                store.finish(kind, file, result.get("status").asText(), result.toString());
            }
        } catch (Exception e) {
            System.err.println("toploc serve-validator: job " + kind + " " + file + ": " + e);
        }
    }

    /** The name of the model {@code file} is checked against: the only one, or its first folder's. */
    private String modelFor(String file) throws StorageNames.BadName {
        if (models.size() == 1) {
            return models.keySet().iterator().next();
        }
        String first = file.substring(0, Math.max(file.indexOf('/'), 0));
        if (!models.containsKey(first)) {
            throw new StorageNames.BadName("no model for '" + file + "': with several models, the first folder names one of " + models.keySet());
        }
        return first;
    }

    /** Files on Spark against model {@code name}, with that model's settings (its policy). */
    private List<FileResult> onSpark(List<Path> files, String name) throws Exception {
        return SparkValidator.fileResults(SparkValidator.plan(spark, files, Columns.PRIME_RL, settings.get(name), List.of(), models.get(name), threads));
    }

    private ObjectNode validateFile(String file, JsonNode req) throws Exception {
        Path p = names.resolve(file);
        if (p == null) {
            return reject("the file is no longer in storage");
        }
        String sha = sha256(p);
        String claimed = req.get("file_sha").asText();
        if (!sha.equals(claimed)) {
            return reject("sha256 of the file is " + sha + ", the request names " + claimed);
        }
        FileResult r = onSpark(List.of(p), modelFor(file)).getFirst();
        ObjectNode o = ResultJson.file(r);
        o.remove("results");
        o.remove("file");
        return o;
    }

    private ObjectNode validateGroup(String file, JsonNode req) throws Exception {
        Path p = names.resolve(file);
        if (p == null) {
            return reject("the file is no longer in storage");
        }
        List<String> shas = new ArrayList<>();
        req.get("file_shas").forEach(n -> shas.add(n.asText()));
        Map<String, Path> bySha = new LinkedHashMap<>();
        int seen = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(p.getParent())) {
            for (Path f : ds) {
                if (++seen > MAX_SCAN) {
                    break;
                }
                if (!f.getFileName().toString().startsWith(".") && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    String s = sha256(f);
                    if (shas.contains(s)) {
                        bySha.putIfAbsent(s, f);
                    }
                }
            }
        }
        List<Path> found = new ArrayList<>();
        for (String s : shas) {
            if (bySha.containsKey(s) && !found.contains(bySha.get(s))) {
                found.add(bySha.get(s));
            }
        }
        Map<Path, FileResult> results = new LinkedHashMap<>();
        if (!found.isEmpty()) {
            List<FileResult> rs = onSpark(found, modelFor(file));
            for (int i = 0; i < found.size(); i++) {
                results.put(found.get(i), rs.get(i));
            }
        }
        ArrayNode failing = ResultJson.JSON.createArrayNode();
        ArrayNode members = ResultJson.JSON.createArrayNode();
        double in = 0;
        double out = 0;
        for (int i = 0; i < shas.size(); i++) {
            Path f = bySha.get(shas.get(i));
            ObjectNode m = members.addObject().put("file_sha", shas.get(i));
            if (f == null) {
                failing.add(i);
                m.put("status", "reject").put("error", "no file with this sha256 beside " + file);
                continue;
            }
            FileResult r = results.get(f);
            m.put("file", names.root().relativize(f).toString()).put("status", r.status()).put("samples", r.samples());
            if (!r.accepted()) {
                failing.add(i);
            }
            in += r.inputFlops();
            out += r.outputFlops();
        }
        ObjectNode o = ResultJson.JSON.createObjectNode();
        o.put("status", failing.isEmpty() ? "accept" : "reject");
        o.put("input_flops", in);
        o.put("output_flops", out);
        o.set("failing_indices", failing);
        o.set("members", members);
        return o;
    }

    private static ObjectNode reject(String reason) {
        ObjectNode o = ResultJson.JSON.createObjectNode().put("status", "reject").put("input_flops", 0).put("output_flops", 0);
        o.putArray("failing_indices");
        return o.put("reason", reason);
    }

    static String sha256(Path f) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = UntrustedFiles.newInputStream(f, Long.MAX_VALUE, "storage file")) {
            byte[] b = new byte[1 << 16];
            for (int n; (n = in.read(b)) > 0; ) {
                md.update(b, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    // ------------------------------------------------------------------------------------------- HTTP

    /** A client mistake, answered with its status code and message. */
    private static final class ClientError extends Exception {
        private static final long serialVersionUID = 1L;
        final int code;

        ClientError(int code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                authorize(ex);
                String path = ex.getRequestURI().getPath();
                String method = ex.getRequestMethod();
                if (path == null) {
                    throw new ClientError(400, "no path");
                }
                String[] route = {"/validate/", "/validategroup/", "/status/", "/statusgroup/"};
                for (String r : route) {
                    if (path.startsWith(r)) {
                        boolean post = r.startsWith("/validate");
                        if (!method.equals(post ? "POST" : "GET")) {
                            ex.getResponseHeaders().add("Allow", post ? "POST" : "GET");
                            throw new ClientError(405, r + "{file} takes " + (post ? "POST" : "GET"));
                        }
                        String file = canonical(path.substring(r.length()));
                        String kind = r.contains("group") ? "group" : "file";
                        if (post) {
                            submit(ex, kind, file);
                        } else {
                            status(ex, kind, file);
                        }
                        return;
                    }
                }
                throw new ClientError(404, "no such endpoint (POST /validate/{file}, POST /validategroup/{file}, GET /status/{file}, GET /statusgroup/{file})");
            } catch (ClientError e) {
                send(ex, e.code, ResultJson.JSON.createObjectNode().put("error", e.getMessage()));
            } catch (Exception e) {
                System.err.println("toploc serve-validator: " + ex.getRequestMethod() + " " + ex.getRequestURI().getRawPath() + ": " + e);
                send(ex, 500, ResultJson.JSON.createObjectNode().put("error", "internal error"));
            }
        }
    }

    private void authorize(HttpExchange ex) throws ClientError {
        if (token == null) {
            return;
        }
        String h = ex.getRequestHeaders().getFirst("Authorization");
        byte[] given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
        if (!MessageDigest.isEqual(given, token)) {       // constant time in the token's content
            ex.getResponseHeaders().add("WWW-Authenticate", "Bearer");
            throw new ClientError(401, "missing or wrong Bearer token");
        }
    }

    private static String canonical(String name) throws ClientError {
        try {
            return StorageNames.canonical(name);
        } catch (StorageNames.BadName e) {
            throw new ClientError(400, e.getMessage());
        }
    }

    private JsonNode body(HttpExchange ex) throws IOException, ClientError {
        String len = ex.getRequestHeaders().getFirst("Content-Length");
        if (len != null) {
            try {
                if (Long.parseLong(len.strip()) > MAX_BODY) {
                    throw new ClientError(413, "request body of " + len.strip() + " bytes (at most " + MAX_BODY + ")");
                }
            } catch (NumberFormatException e) {
                throw new ClientError(400, "Content-Length is not a number");
            }
        }
        byte[] b = ex.getRequestBody().readNBytes(MAX_BODY + 1);
        if (b.length > MAX_BODY) {
            throw new ClientError(413, "request body over " + MAX_BODY + " bytes");
        }
        try {
            JsonNode n = ResultJson.JSON.readTree(b);
            if (n == null || !n.isObject()) {
                throw new ClientError(400, "the body is not a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ClientError(400, "the body is not valid JSON (" + e.getOriginalMessage() + ")");
        }
    }

    private static String sha(JsonNode n, String field) throws ClientError {
        if (n == null || !n.isTextual() || !n.asText().matches("(?i)(0x)?[0-9a-f]{64}")) {
            throw new ClientError(400, field + " is not a sha256 (expected 64 hex digits)");
        }
        String s = n.asText().toLowerCase(java.util.Locale.ROOT);
        return s.startsWith("0x") ? s.substring(2) : s;
    }

    private void submit(HttpExchange ex, String kind, String file) throws Exception {
        JsonNode b = body(ex);
        ObjectNode req = ResultJson.JSON.createObjectNode();
        if (kind.equals("file")) {
            req.put("file_sha", sha(b.get("file_sha"), "file_sha"));
            JsonNode a = b.get("address");
            if (a == null || !a.isTextual() || a.asText().length() > 256) {
                throw new ClientError(400, "address is not a string of at most 256 characters");
            }
            req.put("address", a.asText());
        } else {
            JsonNode shas = b.get("file_shas");
            if (shas == null || !shas.isArray() || shas.isEmpty() || shas.size() > MAX_GROUP) {
                throw new ClientError(400, "file_shas is not a list of 1.." + MAX_GROUP + " sha256s");
            }
            ArrayNode a = req.putArray("file_shas");
            for (int i = 0; i < shas.size(); i++) {
                a.add(sha(shas.get(i), "file_shas[" + i + "]"));
            }
            JsonNode g = b.get("group_id");
            if (g == null || !(g.isTextual() || g.isIntegralNumber()) || g.asText().length() > 256) {
                throw new ClientError(400, "group_id is not a string of at most 256 characters");
            }
            req.put("group_id", g.asText());
            JsonNode size = b.get("group_size");
            JsonNode number = b.get("file_number");
            if (size == null || !size.canConvertToInt() || !size.isIntegralNumber() || size.asInt() != shas.size()) {
                throw new ClientError(400, "group_size is not the number of file_shas (" + shas.size() + ")");
            }
            if (number == null || !number.isIntegralNumber() || !number.canConvertToInt() || number.asInt() < 0 || number.asInt() >= size.asInt()) {
                throw new ClientError(400, "file_number is not an index 0.." + (size.asInt() - 1));
            }
            req.put("file_number", number.asInt());
            req.put("group_size", size.asInt());
        }
        Path p;
        try {
            p = names.resolve(file);
            modelFor(file);
        } catch (StorageNames.BadName e) {
            throw new ClientError(400, e.getMessage());
        }
        if (p == null) {
            throw new ClientError(404, "no such file in storage: " + file);
        }
        JobStore.Outcome o = store.submit(kind, file, req.toString());
        if (o == JobStore.Outcome.CONFLICT) {
            throw new ClientError(409, file + " was submitted with another request: ask its status, or store the new content under another name");
        }
        if (o == JobStore.Outcome.CREATED || o == JobStore.Outcome.REQUEUED) {
            queue(kind, file);
        }
        send(ex, o == JobStore.Outcome.EXISTING ? 200 : 202, statusOf(kind, store.get(kind, file).orElseThrow()));
    }

    private void status(HttpExchange ex, String kind, String file) throws Exception {
        Optional<JobStore.Job> j = store.get(kind, file);
        if (j.isEmpty()) {
            throw new ClientError(404, "no " + (kind.equals("group") ? "group job" : "job") + " for " + file);
        }
        send(ex, 200, statusOf(kind, j.get()));
    }

    private static ObjectNode statusOf(String kind, JobStore.Job j) throws IOException {
        if (j.result() != null && !j.status().equals("pending")) {
            return (ObjectNode) ResultJson.JSON.readTree(j.result());
        }
        ObjectNode o = ResultJson.JSON.createObjectNode().put("status", "pending");
        if (kind.equals("group")) {
            o.put("input_flops", 0).put("output_flops", 0).putArray("failing_indices");
        }
        return o;
    }

    private static void send(HttpExchange ex, int code, ObjectNode body) throws IOException {
        byte[] b = ResultJson.JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    /** The service the CLI's {@code serve-validator} finds. */
    public static final class Service implements ValidatorService {
        @Override
        public Running start(Path storage, Map<String, Path> models, Map<String, Settings> settings, String bind, int port, String token,
                             int threads) throws Exception {
            return ValidatorServer.start(storage, models, settings, bind, port, token, threads);
        }
    }
}
