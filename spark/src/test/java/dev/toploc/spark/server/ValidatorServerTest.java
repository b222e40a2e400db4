package dev.toploc.spark.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.toploc.rollouts.ResultJson;
import dev.toploc.rollouts.RolloutFixtures;
import dev.toploc.runtime.Model;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve-validator} over real HTTP on loopback (java.net.http): the protocol's four endpoints, a file whose
 * sha differs, groups, traversal attempts, bodies and methods that are wrong, Bearer auth, concurrent identical
 * requests, and a restart in the middle of a job.
 */
class ValidatorServerTest {
    @TempDir
    static Path storage;
    @TempDir
    static Path outside;
    static String goodSha;
    static String badSha;
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void files() throws Exception {
        try (Model tiny = Model.load(RolloutFixtures.TINY); Model tinyB = Model.load(RolloutFixtures.tinyB())) {
            Files.createDirectories(storage.resolve("run1"));
            RolloutFixtures.write(storage.resolve("run1/bad.parquet"), storage.resolve("run1/bad.jsonl"), tiny, tinyB);
            RolloutFixtures.writeHonest(storage.resolve("run1/good.parquet"), tiny, tinyB, 1);
            RolloutFixtures.writeHonest(storage.resolve("big.parquet"), tiny, tinyB, 12);
        }
        goodSha = ValidatorServer.sha256(storage.resolve("run1/good.parquet"));
        badSha = ValidatorServer.sha256(storage.resolve("run1/bad.parquet"));
        Files.writeString(outside.resolve("secret.txt"), "secret");
        Files.createSymbolicLink(storage.resolve("run1/link.parquet"), outside.resolve("secret.txt"));
        Files.createDirectories(storage.resolve("run1/folder"));
    }

    static ValidatorServer start(String token) throws Exception {
        return ValidatorServer.start(storage, Map.of("tiny", RolloutFixtures.TINY), Map.of("tiny", RolloutFixtures.settings()), "127.0.0.1", 0, token, 2);
    }

    record Reply(int code, JsonNode json) {
    }

    static Reply call(ValidatorServer s, String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(""), r.body());
        return new Reply(r.statusCode(), ResultJson.JSON.readTree(r.body()));
    }

    static Reply post(ValidatorServer s, String path, String body) throws Exception {
        return call(s, "POST", path, body, null);
    }

    static JsonNode await(ValidatorServer s, String path) throws Exception {
        long end = System.nanoTime() + 240_000_000_000L;
        while (System.nanoTime() < end) {
            Reply r = call(s, "GET", path, null, null);
            assertEquals(200, r.code(), r.json().toString());
            if (!r.json().get("status").asText().equals("pending")) {
                return r.json();
            }
            Thread.sleep(200);
        }
        throw new AssertionError(path + " still pending");
    }

    static String validateBody(String sha) {
        return "{\"file_sha\": \"" + sha + "\", \"address\": \"0xabc\"}";
    }

    @Test
    void validate_status_andAFileWhoseShaDiffers() throws Exception {
        try (ValidatorServer s = start(null)) {
            assertEquals(202, post(s, "/validate/run1/good.parquet", validateBody(goodSha)).code());
            assertEquals(202, post(s, "/validate//run1/bad.parquet", validateBody(badSha)).code());    // leading slashes are trimmed
            assertEquals(202, post(s, "/validate/run1/bad.jsonl", validateBody(goodSha)).code());      // not its sha
            JsonNode good = await(s, "/status/run1/good.parquet");
            assertEquals("accept", good.get("status").asText(), good.toString());
            assertTrue(good.get("input_flops").asDouble() > 0 && good.get("output_flops").asDouble() > 0, good.toString());
            JsonNode bad = await(s, "/status/run1/bad.parquet");
            assertEquals("reject", bad.get("status").asText());
            List<Integer> failing = new ArrayList<>();
            bad.get("failing_indices").forEach(n -> failing.add(n.asInt()));
            assertEquals(RolloutFixtures.FAILING, failing);
            JsonNode sha = await(s, "/status/run1/bad.jsonl");
            assertEquals("reject", sha.get("status").asText());
            assertTrue(sha.get("reason").asText().startsWith("sha256 of the file is "), sha.toString());
            assertEquals(409, post(s, "/validate/run1/good.parquet", validateBody(badSha)).code());       // another request, same name
            assertEquals(200, post(s, "/validate/run1/good.parquet", validateBody(goodSha)).code());      // the same: its status
        }
    }

    /** Two names for the same weights, one with thresholds no recomputation meets: each file is judged with its own model's settings. */
    @Test
    void eachModelIsJudgedWithItsOwnSettings() throws Exception {
        for (String m : List.of("lenient", "strict")) {
            Files.createDirectories(storage.resolve(m));
            Files.copy(storage.resolve("run1/good.parquet"), storage.resolve(m + "/good.parquet"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        dev.toploc.rollouts.Settings lenient = RolloutFixtures.settings();
        dev.toploc.rollouts.Settings strict = new dev.toploc.rollouts.Settings(lenient.spec(), lenient.layout(), lenient.positions(),
                lenient.prefillChunk(), lenient.mode(), new dev.toploc.AcceptancePolicy(0, 0, 0, 0, "test: nothing inexact passes"), lenient.ties());
        try (ValidatorServer s = ValidatorServer.start(storage, Map.of("lenient", RolloutFixtures.TINY, "strict", RolloutFixtures.TINY),
                Map.of("lenient", lenient, "strict", strict), "127.0.0.1", 0, null, 2)) {
            assertEquals(202, post(s, "/validate/lenient/good.parquet", validateBody(goodSha)).code());
            assertEquals(202, post(s, "/validate/strict/good.parquet", validateBody(goodSha)).code());
            assertEquals("accept", await(s, "/status/lenient/good.parquet").get("status").asText());
            assertEquals("reject", await(s, "/status/strict/good.parquet").get("status").asText());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ValidatorServer.start(storage,
                Map.of("tiny", RolloutFixtures.TINY), Map.of("other", RolloutFixtures.settings()), "127.0.0.1", 0, null, 1));
        assertTrue(e.getMessage().contains("expected the same names"), e.getMessage());
    }

    @Test
    void group_failingIndicesArePositionsInFileShas() throws Exception {
        try (ValidatorServer s = start(null)) {
            String missing = "ab".repeat(32);
            String body = "{\"file_shas\": [\"" + goodSha + "\", \"" + badSha + "\", \"" + missing + "\"], \"group_id\": \"g1\", \"file_number\": 0, "
                    + "\"group_size\": 3}";
            assertEquals(202, post(s, "/validategroup/run1/good.parquet", body).code());
            JsonNode g = await(s, "/statusgroup/run1/good.parquet");
            assertEquals("reject", g.get("status").asText(), g.toString());
            assertEquals("[1,2]", g.get("failing_indices").toString());
            assertTrue(g.get("input_flops").asDouble() > 0);
            assertEquals(400, post(s, "/validategroup/run1/good.parquet", body.replace("\"group_size\": 3", "\"group_size\": 2")).code());
        }
    }

    @Test
    void untrustedNames_bodiesAndMethods_areClientErrors() throws Exception {
        try (ValidatorServer s = start(null)) {
            String ok = validateBody(goodSha);
            for (String p : List.of("/validate/../etc/passwd", "/validate/run1/%2e%2e/%2e%2e/etc/passwd", "/validate/.toploc-validator/jobs.mv.db",
                    "/validate/run1/link.parquet", "/validate/run1//good.parquet", "/validate/run1/a%00b", "/validate/")) {
                Reply r = post(s, p, ok);
                assertEquals(400, r.code(), p + " " + r.json());
                assertTrue(r.json().has("error"));
            }
            assertEquals(404, post(s, "/validate/run1/none.parquet", ok).code());
            assertEquals(404, post(s, "/validate/run1/folder", ok).code());
            assertEquals(404, call(s, "GET", "/status/run1/none.parquet", null, null).code());
            assertEquals(404, call(s, "GET", "/other", null, null).code());
            assertEquals(405, call(s, "GET", "/validate/run1/good.parquet", null, null).code());
            assertEquals(400, post(s, "/validate/run1/good.parquet", "{not json").code());
            assertEquals(400, post(s, "/validate/run1/good.parquet", "{\"file_sha\": \"12\", \"address\": \"a\"}").code());
            assertEquals(400, post(s, "/validate/run1/good.parquet", "[1]").code());
            assertEquals(413, post(s, "/validate/run1/good.parquet", "{\"a\": \"" + "x".repeat(ValidatorServer.MAX_BODY) + "\"}").code());
            assertEquals(404, call(s, "GET", "/status/run1/folder", null, null).code());      // nothing was accepted
        }
    }

    @Test
    void bearerToken_isRequiredWhenSet() throws Exception {
        try (ValidatorServer s = start("s3cret")) {
            assertEquals(401, call(s, "GET", "/status/run1/nothing.parquet", null, null).code());
            assertEquals(401, call(s, "GET", "/status/run1/nothing.parquet", null, "s3cre").code());
            assertEquals(401, call(s, "GET", "/status/run1/nothing.parquet", null, "s3cret0").code());
            assertEquals(404, call(s, "GET", "/status/run1/nothing.parquet", null, "s3cret").code());   // through: no such job
        }
    }

    @Test
    void concurrentIdenticalRequests_runOnce_andARestartMidJobLosesNothing() throws Exception {
        String body = validateBody(ValidatorServer.sha256(storage.resolve("big.parquet")));
        ValidatorServer a = start(null);
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<Future<Integer>> codes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            codes.add(pool.submit(() -> post(a, "/validate/big.parquet", body).code()));
        }
        int created = 0;
        for (Future<Integer> c : codes) {
            int code = c.get();
            assertTrue(code == 202 || code == 200, "code " + code);
            created += code == 202 ? 1 : 0;
        }
        pool.shutdown();
        assertEquals(1, created, "one request created the job, the others found it");
        a.close();                                              // mid-job: 48 samples take longer than this
        try (JobStore st = new JobStore(storage.resolve(".toploc-validator"))) {
            JobStore.Job j = st.get("file", "big.parquet").orElseThrow();
            assertEquals("pending", j.status(), "the stopped server had finished already; the test needs a longer job");
            assertEquals(0, j.verdicts());
        }
        try (ValidatorServer b = start(null)) {
            JsonNode r = await(b, "/status/big.parquet");
            assertEquals("accept", r.get("status").asText(), r.toString());
            assertEquals(48, r.get("samples").asInt());
            assertEquals(200, post(b, "/validate/big.parquet", body).code());
        }
        try (JobStore st = new JobStore(storage.resolve(".toploc-validator"))) {
            JobStore.Job j = st.get("file", "big.parquet").orElseThrow();
            assertEquals(1, j.verdicts(), "one verdict, written once");
            assertTrue(j.attempts() >= 1);
        }
    }
}
