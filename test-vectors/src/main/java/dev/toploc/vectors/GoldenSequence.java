package dev.toploc.vectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One golden sequence of an embedded model ({@code golden/NAME.json} and {@code golden/NAME.fp32.bin}):
 * the token ids, PyTorch's fp32 final-norm states of every position ({@code ids().length x hidden},
 * row-major), and the JSON for the rest (prompt length {@code P}, reference commits, …).
 */
public record GoldenSequence(String name, int[] promptIds, int[] completionIds, float[] fp32, JsonNode json) {

    /** Reads sequence {@code name} (e.g. {@code seq1}) of the model folder {@code model}. */
    public static GoldenSequence read(Path model, String name) throws IOException {
        JsonNode n = new ObjectMapper().readTree(model.resolve("golden/" + name + ".json").toFile());
        byte[] b = Files.readAllBytes(model.resolve("golden/" + name + ".fp32.bin"));
        float[] f = new float[b.length / 4];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(f);
        return new GoldenSequence(name, ints(n.get("prompt_ids")), ints(n.get("completion_ids")), f, n);
    }

    /** The prompt's ids followed by the completion's: the positions the states cover. */
    public int[] ids() {
        int[] all = new int[promptIds.length + completionIds.length];
        System.arraycopy(promptIds, 0, all, 0, promptIds.length);
        System.arraycopy(completionIds, 0, all, promptIds.length, completionIds.length);
        return all;
    }

    private static int[] ints(JsonNode a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asInt();
        }
        return r;
    }
}
