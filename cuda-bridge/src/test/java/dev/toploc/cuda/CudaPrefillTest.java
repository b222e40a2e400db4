package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.runtime.Model;
import dev.toploc.vectors.TestVectors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The GPU fp32 prefill against PyTorch's golden states (on a GPU; skipped with the probe's reason elsewhere). */
class CudaPrefillTest {
    static final Path DIR = TestVectors.model("tiny-fortunes-llama");

    @Test
    void withoutADevice_uploadSaysWhy() throws Exception {
        CudaBackend.Probe p = CudaBackend.probe();
        Assumptions.assumeFalse(p.available(), "a GPU is present: the device test below covers it");
        try (Model m = Model.load(DIR)) {
            CudaException e = assertThrows(CudaException.class, () -> CudaPrefill.upload(m));
            assertTrue(e.getMessage().equals(p.reason()), e.getMessage());
        }
    }

    @Test
    void gpuPrefill_matchesPyTorchFp32_within1e4() throws Exception {
        CudaBackend.Probe p = CudaBackend.probe();
        Assumptions.assumeTrue(p.available(), "no GPU here: " + p.reason());
        try (Model m = Model.load(DIR); CudaPrefill gpu = CudaPrefill.upload(m)) {
            for (String seq : new String[] {"seq1", "seq2", "seq3"}) {
                JsonNode n = new ObjectMapper().readTree(DIR.resolve("golden/" + seq + ".json").toFile());
                List<Integer> ids = new ArrayList<>();
                n.get("prompt_ids").forEach(x -> ids.add(x.asInt()));
                n.get("completion_ids").forEach(x -> ids.add(x.asInt()));
                byte[] b = Files.readAllBytes(DIR.resolve("golden/" + seq + ".fp32.bin"));
                float[] ref = new float[b.length / 4];
                ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(ref);
                float[] got = gpu.prefill(ids.stream().mapToInt(Integer::intValue).toArray());
                int d = m.config().hiddenSize();
                for (int t = 0; t < ids.size(); t++) {
                    double sq = 0;
                    double err = 0;
                    for (int i = 0; i < d; i++) {
                        sq += (double) ref[t * d + i] * ref[t * d + i];
                        err = Math.max(err, Math.abs(got[t * d + i] - ref[t * d + i]));
                    }
                    assertTrue(err / Math.sqrt(sq / d) <= 1e-4, seq + " position " + t + ": " + err / Math.sqrt(sq / d));
                }
            }
        }
    }
}
