package dev.toploc.calibration;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.toploc.runtime.ModelFormatException;
import dev.toploc.runtime.internal.Safetensors;
import dev.toploc.runtime.internal.Weight;
import dev.toploc.vectors.SafetensorsWriter;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Modified copies of a single-file model, for calibration's attack scenarios: the same architecture with
 * its linear layers' weights quantized (symmetric, round to nearest, dequantized back to the stored
 * dtype) or perturbed, or its first layers only ({@link #truncate}). Embeddings, norms and the LM head
 * are copied unchanged, as weight-only quantization leaves them.
 *
 * <p>Reads the source through the runtime's safetensors reader ({@code dev.toploc.runtime.internal}: this
 * module needs that package exported to it) and writes with the test-model writer of {@code test-vectors}.
 */
public final class WeightEdits {
    private WeightEdits() {
    }

    /** What to do to one weight matrix, row-major {@code rows x cols}, in place. */
    @FunctionalInterface
    public interface Edit {
        void apply(float[] w, int rows, int cols);
    }

    /** Symmetric integer quantization with one scale per group of {@code group} values along a row (group = cols: per row). */
    public static Edit quantize(int bits, int group) {
        int qmax = (1 << (bits - 1)) - 1;
        return (w, rows, cols) -> {
            int g = Math.min(group, cols);
            for (int r = 0; r < rows; r++) {
                for (int c0 = 0; c0 < cols; c0 += g) {
                    int end = Math.min(cols, c0 + g);
                    float max = 0;
                    for (int c = c0; c < end; c++) {
                        max = Math.max(max, Math.abs(w[r * cols + c]));
                    }
                    float scale = max / qmax;
                    for (int c = c0; c < end; c++) {
                        int i = r * cols + c;
                        w[i] = scale == 0 ? 0 : Math.round(w[i] / scale) * scale;
                    }
                }
            }
        };
    }

    /** Multiplies each weight by {@code 1 + fraction * N(0, 1)} (a fixed seed). */
    public static Edit noise(double fraction, long seed) {
        return (w, rows, cols) -> {
            Random r = new Random(seed ^ ((long) rows << 32 | cols));
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) (w[i] * (1 + fraction * r.nextGaussian()));
            }
        };
    }

    /** Writes {@code src} with {@code edit} applied to every linear layer's weight into {@code dst} (created). */
    public static void write(Path src, Path dst, Edit edit) throws IOException {
        copy(src, dst, edit, Integer.MAX_VALUE);
        Files.copy(src.resolve("config.json"), dst.resolve("config.json"));
    }

    /**
     * Writes the first {@code layers} decoder layers of {@code src} with its embeddings, final norm and head into
     * {@code dst} (created), its config's {@code num_hidden_layers} set to {@code layers}: the model that exits early.
     */
    public static void truncate(Path src, Path dst, int layers) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        int had = config.path("num_hidden_layers").asInt(-1);
        if (layers < 1 || layers > had) {
            throw new IllegalArgumentException("cannot keep " + layers + " of the model's " + had + " layers (expected 1.." + had + ")");
        }
        copy(src, dst, null, layers);
        config.put("num_hidden_layers", layers);
        json.writerWithDefaultPrettyPrinter().writeValue(dst.resolve("config.json").toFile(), config);
    }

    /** Copies the tensors of layers below {@code layers} and every non-layer tensor, {@code edit} (null: none) applied to the linear layers. */
    private static void copy(Path src, Path dst, Edit edit, int layers) throws IOException {
        Files.createDirectories(dst);
        try (Arena arena = Arena.ofConfined()) {
            Safetensors st = Safetensors.open(src.resolve("model.safetensors"), arena);
            SafetensorsWriter w = new SafetensorsWriter();
            for (Safetensors.Entry e : st.entries().values()) {
                if (e.name().startsWith("model.layers.") && layer(e.name()) >= layers) {
                    continue;
                }
                float[] v = new float[(int) e.elements()];
                Weight view = new Weight(e.data(), Weight.Kind.valueOf(e.dtype()), 1, v.length);
                for (int i = 0; i < v.length; i++) {
                    v[i] = view.get(i);
                }
                boolean linear = e.shape().length == 2 && e.name().startsWith("model.layers.");
                if (linear && edit != null) {
                    edit.apply(v, (int) e.shape()[0], (int) e.shape()[1]);
                }
                w.add(e.name(), e.dtype(), e.shape(), v);
            }
            w.write(dst.resolve("model.safetensors"));
        } catch (ModelFormatException e) {
            throw new IOException(e.getMessage(), e);
        }
        // the edited copy tokenizes and stops as the original does (not its policy: that describes the original weights)
        for (String f : new String[] {"generation_config.json", "tokenizer.json", "tokenizer_config.json", "chat_template.jinja"}) {
            if (Files.isRegularFile(src.resolve(f))) {
                Files.copy(src.resolve(f), dst.resolve(f));
            }
        }
    }

    /** The layer index of a {@code model.layers.N.*} tensor name. */
    private static int layer(String name) {
        int start = "model.layers.".length();
        int end = name.indexOf('.', start);
        return Integer.parseInt(name.substring(start, end < 0 ? name.length() : end));
    }
}
