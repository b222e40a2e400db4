package dev.toploc.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.toploc.Compute;
import dev.toploc.Dtype;
import dev.toploc.HiddenStates;
import dev.toploc.Sizes;
import dev.toploc.io.UntrustedFiles;
import dev.toploc.runtime.internal.Attention;
import dev.toploc.runtime.internal.Elementwise;
import dev.toploc.runtime.internal.Gemma;
import dev.toploc.runtime.internal.KvCache;
import dev.toploc.runtime.internal.Matmul;
import dev.toploc.runtime.internal.MoeBlock;
import dev.toploc.runtime.internal.Pages;
import dev.toploc.runtime.internal.Rope;
import dev.toploc.runtime.internal.Safetensors;
import dev.toploc.runtime.internal.ServingKernels;
import dev.toploc.runtime.internal.Weight;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A Llama-family model (Llama 2/3, Mistral, Qwen2, Qwen3, Qwen3-MoE, Mixtral, Phi-3, Gemma 2/3) loaded from a HuggingFace folder, and its forward pass.
 *
 * <p>Weights stay memory-mapped in their stored format (bf16, fp16, fp32, or FP8 e4m3 with block, channel or
 * tensor scales: {@link Quantization}) and are widened (fp8: dequantized) as the kernels read them; only a
 * compute mode that needs them rounded to another dtype (fp16 compute on bf16 weights, bf16 compute on fp8
 * weights, say) materializes a rounded copy, cached per mode unless layers are streamed.
 *
 * <p>Usage:
 * <pre>{@code
 * try (Model m = Model.load(Path.of("test-vectors/models/tiny-fortunes-llama"))) {
 *     HiddenStates states = m.prefillStates(tokenIds, ComputeMode.FP32);   // final-norm output per position
 * }
 * }</pre>
 *
 * <p>Thread-safe for concurrent forward passes; {@link #close()} unmaps the files (no pass may be running).
 * Each pass runs on the {@link Compute} context it is given ({@link Compute#defaults()} in the forms without
 * one): its threads split matrix rows, attention heads and positions; the results do not depend on it.
 */
public final class Model implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ModelConfig cfg;
    private final Arena arena;
    private final List<Path> weightFiles;
    private final Weight embed;
    private final Weight lmHead;
    private final float[] finalNorm;
    private final Layer[] layers;
    private final Rope rope;
    /** Gemma 3's rope of the windowed (local) layers, null otherwise. */
    private final Rope ropeLocal;
    private final Map<String, Safetensors.Entry> tensors;
    private final Map<ComputeMode, Layer[]> adapted = new EnumMap<>(ComputeMode.class);
    private volatile ModelIdentity identity;
    private final java.util.SortedSet<Integer> eosIds;

    /**
     * One decoder layer: matrices as stored, norms and biases widened to fp32 (or, adapted, rounded to a mode).
     * {@code qNorm}/{@code kNorm}: Qwen3's per-head RMSNorm weights (head_dim each), null when the architecture has none.
     * {@code moe}: the experts of a sparse layer (then gate/up/down are null), else null.
     * Gemma: {@code postNorm} is {@code pre_feedforward_layernorm}, {@code postAttnNorm} its
     * {@code post_attention_layernorm} (on the attention output) and {@code postFfnNorm} its
     * {@code post_feedforward_layernorm}; both null for the other architectures.
     */
    private record Layer(float[] inNorm, Weight q, Weight k, Weight v, Weight o, float[] qBias, float[] kBias, float[] vBias,
                         float[] postNorm, Weight gate, Weight up, Weight down, float[] qNorm, float[] kNorm, MoeBlock.Experts moe,
                         float[] postAttnNorm, float[] postFfnNorm) {
    }

    private Model(Path dir, ModelConfig cfg, Arena arena, List<Path> weightFiles, Weight embed, Weight lmHead,
                  float[] finalNorm, Layer[] layers, Map<String, Safetensors.Entry> tensors,
                  java.util.SortedSet<Integer> eosIds) {
        this.dir = dir;
        this.cfg = cfg;
        this.arena = arena;
        this.weightFiles = weightFiles;
        this.embed = embed;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.layers = layers;
        this.rope = new Rope(cfg);
        this.ropeLocal = cfg.gemma() != null && cfg.gemma().localRopeTheta() > 0 ? new Rope(cfg.headDim(), cfg.gemma().localRopeTheta(), null) : null;
        this.tensors = tensors;
        this.eosIds = eosIds;
    }

    /** Shard indexes larger than this are refused (real ones are tens of KiB: one line per tensor). */
    public static final long MAX_INDEX_BYTES = 64L << 20;

    /** Loads {@code config.json} and the weights ({@code model.safetensors}, or shards listed in {@code model.safetensors.index.json}). */
    public static Model load(Path dir) throws ModelFormatException {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("the runtime's forward pass needs the Vector API: start java with --add-modules jdk.incubator.vector");
        }
        if (!Files.isDirectory(dir)) {
            throw new ModelFormatException(dir + ": not a directory (expected a HuggingFace model folder)");
        }
        ModelConfig cfg = ModelConfig.read(dir.resolve("config.json"));
        List<Path> files = weightFiles(dir);
        Arena arena = Arena.ofShared();
        try {
            Map<String, Safetensors.Entry> tensors = new LinkedHashMap<>();
            for (Path f : files) {
                Safetensors st = Safetensors.open(f, arena);
                for (var e : st.entries().entrySet()) {
                    if (tensors.put(e.getKey(), e.getValue()) != null) {
                        throw new ModelFormatException(f.getFileName() + ": tensor '" + e.getKey() + "' also appears in another shard");
                    }
                }
            }
            Loader ld = new Loader(tensors, files, cfg.quantization());
            int d = cfg.hiddenSize();
            int hd = cfg.headDim();
            int qOut = cfg.numHeads() * hd;
            int kvOut = cfg.numKvHeads() * hd;
            Weight embed = ld.plain("model.embed_tokens.weight", cfg.vocabSize(), d);
            Weight lmHead = cfg.tieWordEmbeddings() && !tensors.containsKey("lm_head.weight")
                    ? embed : ld.matrix("lm_head.weight", cfg.vocabSize(), d);
            Layer[] layers = new Layer[cfg.numLayers()];
            for (int l = 0; l < layers.length; l++) {
                String p = "model.layers." + l + ".";
                boolean bias = cfg.attentionBias();
                boolean sparse = cfg.sparseLayer(l);
                boolean fused = cfg.architecture() == ModelConfig.Architecture.PHI3;
                boolean gemma = cfg.gemma() != null;
                int inter = cfg.intermediateSize();
                String qkv = p + "self_attn.qkv_proj.weight";
                String gateUp = p + "mlp.gate_up_proj.weight";
                layers[l] = new Layer(
                        ld.vector(p + "input_layernorm.weight", d),
                        fused ? ld.rows(qkv, qOut + 2 * kvOut, d, 0, qOut) : ld.matrix(p + "self_attn.q_proj.weight", qOut, d),
                        fused ? ld.rows(qkv, qOut + 2 * kvOut, d, qOut, kvOut) : ld.matrix(p + "self_attn.k_proj.weight", kvOut, d),
                        fused ? ld.rows(qkv, qOut + 2 * kvOut, d, qOut + kvOut, kvOut) : ld.matrix(p + "self_attn.v_proj.weight", kvOut, d),
                        ld.matrix(p + "self_attn.o_proj.weight", d, qOut),
                        bias ? ld.vector(p + "self_attn.q_proj.bias", qOut) : null,
                        bias ? ld.vector(p + "self_attn.k_proj.bias", kvOut) : null,
                        bias ? ld.vector(p + "self_attn.v_proj.bias", kvOut) : null,
                        ld.vector(p + (gemma ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight"), d),
                        sparse ? null : fused ? ld.rows(gateUp, 2 * inter, d, 0, inter) : ld.matrix(p + "mlp.gate_proj.weight", inter, d),
                        sparse ? null : fused ? ld.rows(gateUp, 2 * inter, d, inter, inter) : ld.matrix(p + "mlp.up_proj.weight", inter, d),
                        sparse ? null : ld.matrix(p + "mlp.down_proj.weight", d, cfg.intermediateSize()),
                        cfg.qkNorm() ? ld.vector(p + "self_attn.q_norm.weight", hd) : null,
                        cfg.qkNorm() ? ld.vector(p + "self_attn.k_norm.weight", hd) : null,
                        sparse ? experts(ld, cfg, p) : null,
                        gemma ? ld.vector(p + "post_attention_layernorm.weight", d) : null,
                        gemma ? ld.vector(p + "post_feedforward_layernorm.weight", d) : null);
            }
            return new Model(dir, cfg, arena, files, embed, lmHead, ld.vector("model.norm.weight", d), layers, tensors, eosIds(dir, cfg));
        } catch (ModelFormatException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** A sparse layer's router and experts, under Qwen3-MoE's ({@code mlp.experts.E.gate_proj}) or Mixtral's ({@code block_sparse_moe.experts.E.w1}) names. */
    private static MoeBlock.Experts experts(Loader ld, ModelConfig cfg, String p) throws ModelFormatException {
        ModelConfig.Moe m = cfg.moe();
        int d = cfg.hiddenSize();
        int w = m.expertIntermediate();
        boolean mixtral = cfg.architecture() == ModelConfig.Architecture.MIXTRAL;
        String base = p + (mixtral ? "block_sparse_moe." : "mlp.");
        Weight[] gate = new Weight[m.numExperts()];
        Weight[] up = new Weight[m.numExperts()];
        Weight[] down = new Weight[m.numExperts()];
        for (int e = 0; e < gate.length; e++) {
            String x = base + "experts." + e + ".";
            gate[e] = ld.matrix(x + (mixtral ? "w1" : "gate_proj") + ".weight", w, d);
            up[e] = ld.matrix(x + (mixtral ? "w3" : "up_proj") + ".weight", w, d);
            down[e] = ld.matrix(x + (mixtral ? "w2" : "down_proj") + ".weight", d, w);
        }
        return new MoeBlock.Experts(ld.matrix(base + "gate.weight", m.numExperts(), d), gate, up, down, m.topK(), m.normTopK());
    }

    /** config.json's eos_token_id ids and generation_config.json's (when the folder has one), together. */
    private static java.util.SortedSet<Integer> eosIds(Path dir, ModelConfig cfg) throws ModelFormatException {
        java.util.TreeSet<Integer> ids = new java.util.TreeSet<>(cfg.eosTokenIds());
        Path gen = dir.resolve("generation_config.json");
        if (Files.exists(gen)) {
            String where = gen.getFileName().toString();
            JsonNode n;
            try {
                n = JSON.readTree(UntrustedFiles.read(gen, ModelConfig.MAX_CONFIG_BYTES, "generation config"));
            } catch (java.nio.file.FileSystemException e) {
                throw new ModelFormatException(where + ": " + (e.getReason() != null ? e.getReason() : "not readable (" + e.getMessage() + ")"), e);
            } catch (IOException e) {
                throw new ModelFormatException(where + ": not readable JSON (" + e.getMessage() + ")", e);
            }
            if (n == null || !n.isObject()) {
                throw new ModelFormatException(where + ": not a JSON object");
            }
            for (int id : ModelConfig.eosIds(n.get("eos_token_id"), where)) {
                if (id >= cfg.vocabSize()) {
                    throw new ModelFormatException(where + ": eos_token_id " + id + " is outside the vocabulary (expected 0.." + (cfg.vocabSize() - 1) + ")");
                }
                ids.add(id);
            }
        }
        return java.util.Collections.unmodifiableSortedSet(ids);
    }

    /**
     * The model's end-of-sequence ids: every {@code eos_token_id} of config.json and generation_config.json
     * (each an int or a list), ascending; empty when neither names one.
     */
    public java.util.SortedSet<Integer> eosTokenIds() {
        return eosIds;
    }

    /**
     * The ids that end a completion whose declared EOS is {@code declared}: none when {@code declared < 0}
     * (generation to the length limit), else {@code declared} and every id of {@link #eosTokenIds()}. The
     * generator stops at these and the verifier's termination rule checks against the same set.
     */
    public java.util.SortedSet<Integer> stopTokens(int declared) {
        if (declared < 0) {
            return java.util.Collections.emptySortedSet();
        }
        java.util.TreeSet<Integer> s = new java.util.TreeSet<>(eosIds);
        s.add(declared);
        return java.util.Collections.unmodifiableSortedSet(s);
    }

    private static List<Path> weightFiles(Path dir) throws ModelFormatException {
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.exists(index, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            JsonNode n;
            byte[] bytes;
            try {
                bytes = UntrustedFiles.read(index, MAX_INDEX_BYTES, "shard index");
            } catch (java.nio.file.FileSystemException e) {
                throw new ModelFormatException(index.getFileName() + ": " + (e.getReason() != null ? e.getReason() : e.getMessage()), e);
            } catch (IOException e) {
                throw new ModelFormatException(index.getFileName() + ": not readable (" + e.getMessage() + ")", e);
            }
            try {
                n = JSON.readTree(bytes);
            } catch (IOException e) {
                throw new ModelFormatException(index.getFileName() + ": not readable JSON (" + e.getMessage() + ")", e);
            }
            JsonNode map = n == null ? null : n.get("weight_map");
            if (map == null || !map.isObject() || map.isEmpty()) {
                throw new ModelFormatException(index.getFileName() + ": weight_map is missing or empty");
            }
            TreeSet<String> names = new TreeSet<>();
            for (JsonNode f : map) {
                String name = f.asText();
                if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.startsWith(".")) {
                    throw new ModelFormatException(index.getFileName() + ": shard name '" + name + "' is not a plain file name");
                }
                names.add(name);
            }
            List<Path> files = new ArrayList<>();
            for (String name : names) {
                Path f = dir.resolve(name);
                if (!Files.exists(f)) {      // a link to a device or FIFO exists: Safetensors.open refuses it by type
                    throw new ModelFormatException(index.getFileName() + ": shard " + name + " is missing from " + dir);
                }
                files.add(f);
            }
            return files;
        }
        Path single = dir.resolve("model.safetensors");
        if (Files.exists(single)) {
            return List.of(single);
        }
        throw new ModelFormatException(dir + ": no model.safetensors and no model.safetensors.index.json");
    }

    /** Looks tensors up with the errors a user can act on. */
    private record Loader(Map<String, Safetensors.Entry> tensors, List<Path> files, Quantization quant, Quantization.Matcher schemes) {
        Loader(Map<String, Safetensors.Entry> tensors, List<Path> files, Quantization quant) {
            this(tensors, files, quant, quant == null ? null : quant.matcher());
        }

        Safetensors.Entry entry(String name, long... shape) throws ModelFormatException {
            Safetensors.Entry e = located(name, shape);
            if (!e.dtype().equals("BF16") && !e.dtype().equals("F16") && !e.dtype().equals("F32")) {
                throw new ModelFormatException("tensor '" + name + "' has dtype " + e.dtype() + " (expected BF16, F16 or F32"
                        + (e.dtype().startsWith("F8") ? ": only the projection matrices of an FP8 checkpoint may be fp8" : "") + ")");
            }
            return e;
        }

        private Safetensors.Entry located(String name, long... shape) throws ModelFormatException {
            Safetensors.Entry e = tensors.get(name);
            if (e == null) {
                throw new ModelFormatException("tensor '" + name + "' is missing from " + files.stream().map(p -> p.getFileName().toString()).toList());
            }
            if (!Arrays.equals(e.shape(), shape)) {
                throw new ModelFormatException("tensor '" + name + "' has shape " + Arrays.toString(e.shape())
                        + " (expected " + Arrays.toString(shape) + " from config.json)");
            }
            return e;
        }

        /** A matrix that is never quantized (the embeddings). */
        Weight plain(String name, int rows, int cols) throws ModelFormatException {
            Safetensors.Entry e = entry(name, rows, cols);
            return new Weight(e.data(), Weight.Kind.valueOf(e.dtype()), rows, cols);
        }

        /**
         * A projection matrix: as stored, or for an FP8 checkpoint's quantized module its e4m3 bytes with the
         * scales {@link Quantization#scheme} names (their shape checked exactly against the matrix's).
         */
        Weight matrix(String name, int rows, int cols) throws ModelFormatException {
            Safetensors.Entry e = located(name, rows, cols);
            String module = name.substring(0, name.length() - ".weight".length());
            Quantization.Scheme s = quant == null ? null : schemes.scheme(module, rows, cols);
            boolean fp8 = e.dtype().equals("F8_E4M3");
            if (s == null || !s.quantized()) {
                if (fp8) {
                    throw new ModelFormatException("tensor '" + name + "' is F8_E4M3 but " + (quant == null
                            ? "config.json has no quantization_config (expected one naming its scales)"
                            : "quantization_config leaves module '" + module + "' unquantized (" + (quant.method() == Quantization.Method.FP8_BLOCK
                            ? "modules_to_not_convert" : "ignore, or no config group targets it") + "; expected BF16, F16 or F32)"));
                }
                return plain(name, rows, cols);
            }
            if (!fp8) {
                if (quant.method() == Quantization.Method.FP8_BLOCK && !e.dtype().startsWith("F8")) {
                    return plain(name, rows, cols);      // fp8 checkpoints keep some Linear layers (MoE routers) in bf16 without listing them
                }
                throw new ModelFormatException("tensor '" + name + "' has dtype " + e.dtype() + " (expected F8_E4M3: quantization_config "
                        + "quantizes module '" + module + "' to FP8 e4m3)");
            }
            long gr = (rows + (long) s.blockRows() - 1) / s.blockRows();
            long gc = (cols + (long) s.blockCols() - 1) / s.blockCols();
            Safetensors.Entry sc = tensors.get(s.scaleName());
            if (sc == null) {
                throw new ModelFormatException("tensor '" + s.scaleName() + "' (the scales of the F8_E4M3 '" + name + "') is missing from "
                        + files.stream().map(p -> p.getFileName().toString()).toList());
            }
            boolean perTensor = s.blockRows() == rows && s.blockCols() == cols && quant.method() == Quantization.Method.COMPRESSED_TENSORS;
            long[] shape = sc.shape();
            boolean shapeOk = perTensor ? shape.length == 0 || (shape.length == 1 && shape[0] == 1)
                    : shape.length == 2 && shape[0] == gr && shape[1] == gc;
            if (!shapeOk) {
                throw new ModelFormatException("tensor '" + s.scaleName() + "' has shape " + Arrays.toString(shape) + " (expected "
                        + (perTensor ? "[] or [1]: one scale" : "[" + gr + ", " + gc + "]: one scale per " + s.blockRows() + " x " + s.blockCols()
                        + " block of the " + rows + " x " + cols + " matrix") + ")");
            }
            if (!sc.dtype().equals("F32") && !sc.dtype().equals("BF16") && !sc.dtype().equals("F16")) {
                throw new ModelFormatException("tensor '" + s.scaleName() + "' has dtype " + sc.dtype() + " (expected F32, BF16 or F16 scales)");
            }
            try {
                // widened onto the heap: at most rows x cols values (1 x 1 blocks), bounded before the allocation
                int n = Sizes.arrayLength("the scales '" + s.scaleName() + "'", 4, gr, gc);
                float[] v = new float[n];
                new Weight(sc.data(), Weight.Kind.valueOf(sc.dtype()), 1, n).row(0, v, 0);
                return Weight.fp8(e.data(), rows, cols, new Weight.Fp8Scales(v, s.blockRows(), s.blockCols(), (int) gc, 0));
            } catch (IllegalArgumentException x) {
                throw new ModelFormatException("tensor '" + name + "' with scales '" + s.scaleName() + "': " + x.getMessage(), x);
            }
        }

        /**
         * Rows {@code [from, from + count)} of a fused {@code rows x cols} matrix, as a view of its mapped bytes
         * (Phi-3's qkv_proj holds q, k, v and gate_up_proj holds gate, up, each a contiguous block of rows).
         */
        Weight rows(String name, int rows, int cols, int from, int count) throws ModelFormatException {
            return matrix(name, rows, cols).rowSlice(from, count);
        }

        float[] vector(String name, int n) throws ModelFormatException {
            Safetensors.Entry e = entry(name, n);
            Weight w = new Weight(e.data(), Weight.Kind.valueOf(e.dtype()), 1, n);
            float[] out = new float[n];
            w.row(0, out, 0);
            return out;
        }
    }

    public ModelConfig config() {
        return cfg;
    }

    /**
     * A weight tensor as stored (dtype name as in safetensors, and its mapped bytes), for other backends
     * (the GPU bridge uploads these). Empty when the folder has no such tensor.
     */
    public java.util.Optional<Safetensors.Entry> storedTensor(String name) {
        return java.util.Optional.ofNullable(tensors.get(name));
    }

    public Path directory() {
        return dir;
    }

    /** The model's identity digests (computed once, on first call: it reads every weight file). */
    public ModelIdentity identity() throws IOException {
        ModelIdentity id = identity;
        if (id == null) {
            id = computeIdentity(dir, weightFiles);
            identity = id;
        }
        return id;
    }

    static ModelIdentity computeIdentity(Path dir, List<Path> files) throws IOException {
        // shards are hashed side by side (a 15 GB checkpoint is 8-10 s of SHA-256 per core); the combined
        // digest still takes the shards' digests in file order, so the identity is the same
        byte[][] d = new byte[files.size()][];
        int threads = Math.min(files.size(), Runtime.getRuntime().availableProcessors());
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(Math.max(1, threads))) {
            List<java.util.concurrent.Future<byte[]>> jobs = new ArrayList<>();
            for (Path f : files) {
                jobs.add(pool.submit(() -> digest(f, Files.size(f), "weights file")));
            }
            for (int i = 0; i < d.length; i++) {
                try {
                    d[i] = jobs.get(i).get();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IllegalStateException("hashing " + files.get(i).getFileName(), e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while hashing the weights");
                }
            }
        }
        List<String> names = new ArrayList<>();
        List<String> digests = new ArrayList<>();
        MessageDigest all = sha256();
        for (int i = 0; i < d.length; i++) {
            names.add(files.get(i).getFileName().toString());
            digests.add(HexFormat.of().formatHex(d[i]));
            all.update(d[i]);
        }
        return new ModelIdentity(names, digests, HexFormat.of().formatHex(all.digest()),
                HexFormat.of().formatHex(digest(dir.resolve("config.json"), ModelConfig.MAX_CONFIG_BYTES, "model config")));
    }

    /** SHA-256 of a regular file of at most {@code limit} bytes (a file that grows while read is refused). */
    private static byte[] digest(Path f, long limit, String what) throws IOException {
        MessageDigest md = sha256();
        try (InputStream in = new DigestInputStream(UntrustedFiles.newInputStream(f, limit, what), md)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return md.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /** The CPU matmul kernel this JVM runs, in words ({@code java-vector (...)} or {@code java-scalar (...)}), for logs and benchmarks. */
    public static String matmulBackend() {
        return Matmul.backend();
    }

    /** Bytes of the weight files (what the mapped weights occupy once every page has been read). */
    public long weightBytes() {
        long n = 0;
        for (Path f : weightFiles) {
            try {
                n += Files.size(f);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(f.getFileName() + ": cannot read its size", e);
            }
        }
        return n;
    }

    // ------------------------------------------------------------------------------------ forward pass

    /** Final-norm hidden states of every position of {@code tokens} ({@code tokens.length x hidden}, row-major). */
    public float[] prefill(int[] tokens, ComputeMode mode) {
        return prefill(tokens, mode, false);
    }

    /** As {@link #prefill(int[], ComputeMode)}, on {@code compute}'s threads. */
    public float[] prefill(int[] tokens, ComputeMode mode, Compute compute) {
        return prefill(tokens, mode, false, null, compute);
    }

    /**
     * As {@link #prefill(int[], ComputeMode)}; with {@code streamLayers} each layer's weights are released
     * after use (mapped pages handed back to the OS, rounded copies not cached) and the next layer's are
     * prefetched from disk while a layer computes ({@code madvise} on Linux), so only about one layer need
     * be resident and a model larger than memory runs: the results are identical.
     */
    public float[] prefill(int[] tokens, ComputeMode mode, boolean streamLayers) {
        return prefill(tokens, mode, streamLayers, null, Compute.defaults());
    }

    /**
     * The full form: as {@link #prefill(int[], ComputeMode, boolean)} on {@code compute}'s threads, calling
     * {@code layersDone} (when not null) with 1..L as layers finish (for progress bars).
     */
    public float[] prefill(int[] tokens, ComputeMode mode, boolean streamLayers, java.util.function.IntConsumer layersDone, Compute compute) {
        Session s = new Session(mode, tokens.length, streamLayers, compute, ServingNumerics.DEFAULT);
        s.progress = layersDone;
        return s.append(tokens);
    }

    /** {@link #prefill(int[], ComputeMode)} as {@link HiddenStates} in the mode's dtype. */
    public HiddenStates prefillStates(int[] tokens, ComputeMode mode) {
        return prefillStates(tokens, mode, Compute.defaults());
    }

    /** {@link #prefill(int[], ComputeMode, Compute)} as {@link HiddenStates} in the mode's dtype. */
    public HiddenStates prefillStates(int[] tokens, ComputeMode mode, Compute compute) {
        return toStates(prefill(tokens, mode, compute), tokens.length, cfg.hiddenSize(), mode);
    }

    /** Wraps final-norm rows computed in {@code mode} as states of the mode's dtype (exact: the values are representable). */
    public static HiddenStates toStates(float[] hidden, int rows, int width, ComputeMode mode) {
        if (mode == ComputeMode.FP32) {
            return HiddenStates.ofFloats(hidden, rows, width);
        }
        short[] p = new short[Sizes.arrayLength("hidden states of " + rows + " positions", 2, rows, width)];
        Dtype dt = mode.dtype();
        for (int i = 0; i < p.length; i++) {
            p[i] = (short) dt.fromFloat(hidden[i]);
        }
        return HiddenStates.ofPatterns(p, dt, rows, width);
    }

    /** Logits of one final-norm row: {@code lm_head} applied in {@code mode} (rounded to its dtype). */
    public float[] logits(float[] hidden, int row, ComputeMode mode) {
        return logits(hidden, row, mode, Compute.defaults());
    }

    /** As {@link #logits(float[], int, ComputeMode)}, on {@code compute}'s threads. */
    public float[] logits(float[] hidden, int row, ComputeMode mode, Compute compute) {
        int d = cfg.hiddenSize();
        float[] x = Arrays.copyOfRange(hidden, row * d, row * d + d);
        float[] y = new float[cfg.vocabSize()];
        Matmul.matmul(x, 1, adapt(lmHead, mode), null, y, compute);
        mode.round(y, 0, y.length);
        finalSoftcap(y, mode);
        return y;
    }

    /** Logits of {@code count} final-norm rows starting at {@code firstRow}: {@code count x vocab}, rounded to the mode's dtype. */
    public float[] logitsRows(float[] hidden, int firstRow, int count, ComputeMode mode) {
        return logitsRows(hidden, firstRow, count, mode, Compute.defaults());
    }

    /** As {@link #logitsRows(float[], int, int, ComputeMode)}, on {@code compute}'s threads. */
    public float[] logitsRows(float[] hidden, int firstRow, int count, ComputeMode mode, Compute compute) {
        int d = cfg.hiddenSize();
        int n = Sizes.arrayLength("logits of " + count + " positions over a vocabulary of " + cfg.vocabSize(), 4, count, cfg.vocabSize());
        float[] x = Arrays.copyOfRange(hidden, firstRow * d, (firstRow + count) * d);
        float[] y = new float[n];
        Matmul.matmul(x, count, adapt(lmHead, mode), null, y, compute);
        mode.round(y, 0, y.length);
        finalSoftcap(y, mode);
        return y;
    }

    /** Gemma 2's {@code final_logit_softcapping}: logits become {@code cap * tanh(logit / cap)}. */
    private void finalSoftcap(float[] y, ComputeMode mode) {
        if (cfg.gemma() != null && cfg.gemma().finalSoftcap() > 0) {
            Gemma.softcap(y, 0, y.length, (float) cfg.gemma().finalSoftcap(), mode);
        }
    }

    /** Opens a decoding session with a KV cache for up to {@code capacity} positions. */
    public Session session(ComputeMode mode, int capacity) {
        return session(mode, capacity, Compute.defaults());
    }

    /** Opens a decoding session whose passes run on {@code compute}'s threads. */
    public Session session(ComputeMode mode, int capacity, Compute compute) {
        return new Session(mode, capacity, false, compute, ServingNumerics.DEFAULT);
    }

    /** A provider's session whose passes round as {@code numerics} says (GPU serving emulation; the verifier uses the other forms). */
    public Session session(ComputeMode mode, int capacity, Compute compute, ServingNumerics numerics) {
        return new Session(mode, capacity, false, compute, numerics);
    }

    /** Incremental forward passes over one sequence, reusing a KV cache. Not thread-safe. */
    public final class Session {
        private final ComputeMode mode;
        private final KvCache cache;
        private final boolean stream;
        private final Compute compute;
        private final ServingNumerics numerics;
        private java.util.function.IntConsumer progress;

        Session(ComputeMode mode, int capacity, boolean stream, Compute compute, ServingNumerics numerics) {
            if (capacity < 1 || capacity > cfg.contextLength()) {
                throw new IllegalArgumentException("a sequence of " + capacity + " positions is outside the model's context of 1.."
                        + cfg.contextLength() + " (max_position_embeddings)");
            }
            // the KV cache: every layer's keys and values for every position, fp32, before any of it is allocated
            Sizes.requireHeap("a KV cache of " + capacity + " positions x " + cfg.numLayers() + " layers",
                    Sizes.product(2, 4, cfg.numLayers(), cfg.numKvHeads(), cfg.headDim(), capacity));
            this.mode = mode;
            this.cache = new KvCache(cfg.numLayers(), cfg.numKvHeads(), cfg.headDim(), capacity);
            this.stream = stream;
            this.compute = java.util.Objects.requireNonNull(compute, "compute");
            this.numerics = java.util.Objects.requireNonNull(numerics, "numerics");
        }

        /** Positions processed so far. */
        public int length() {
            return cache.length();
        }

        public ComputeMode mode() {
            return mode;
        }

        /** Runs {@code tokens} at the next positions; returns their final-norm hidden rows. */
        public float[] append(int... tokens) {
            if (tokens.length == 0) {
                throw new IllegalArgumentException("no tokens to run (expected at least 1)");
            }
            if (cache.length() + tokens.length > cache.capacity()) {
                throw new IllegalArgumentException("sequence of " + (cache.length() + tokens.length)
                        + " positions exceeds this session's capacity of " + cache.capacity());
            }
            for (int i = 0; i < tokens.length; i++) {
                if (tokens[i] < 0 || tokens[i] >= cfg.vocabSize()) {
                    throw new IllegalArgumentException("token id " + tokens[i] + " at index " + i
                            + " is out of range (expected 0.." + (cfg.vocabSize() - 1) + ")");
                }
            }
            int chunk = numerics.prefillChunk() > 0 ? Math.min(numerics.prefillChunk(), tokens.length) : tokens.length;
            if (chunk == tokens.length) {
                float[] out = forward(tokens, cache, mode, stream, progress, compute, numerics);
                cache.advance(tokens.length);
                return out;
            }
            // chunked prefill: each chunk through the KV cache
            float[] out = new float[Sizes.arrayLength("hidden states of " + tokens.length + " positions", 4, tokens.length, cfg.hiddenSize())];
            for (int from = 0; from < tokens.length; from += chunk) {
                int n = Math.min(chunk, tokens.length - from);
                float[] rows = forward(Arrays.copyOfRange(tokens, from, from + n), cache, mode, stream, progress, compute, numerics);
                System.arraycopy(rows, 0, out, from * cfg.hiddenSize(), rows.length);
                cache.advance(n);
            }
            return out;
        }

        /** Logits for row {@code row} of hidden rows returned by {@link #append}. */
        public float[] logits(float[] hidden, int row) {
            return Model.this.logits(hidden, row, mode, compute);
        }
    }

    private float[] forward(int[] tokens, KvCache cache, ComputeMode mode, boolean stream, java.util.function.IntConsumer progress,
                            Compute compute, ServingNumerics num) {
        int T = tokens.length;
        requireActivations(T);
        int start = cache.length();
        int d = cfg.hiddenSize();
        int hd = cfg.headDim();
        int heads = cfg.numHeads();
        int kvHeads = cfg.numKvHeads();
        int inter = cfg.intermediateSize();
        float eps = (float) cfg.rmsNormEps();

        float[] x = new float[T * d];
        for (int t = 0; t < T; t++) {
            embed.row(tokens[t], x, t * d);
        }
        mode.round(x, 0, x.length);
        ModelConfig.Gemma gm = cfg.gemma();
        boolean unit = gm != null;      // Gemma's RMSNorms scale by (1 + w)
        if (gm != null) {
            Gemma.scaleEmbeddings(x, d, mode);
        }
        float[][] rot = rope.tables(start, T, mode);
        float[][] rotLocal = ropeLocal == null ? null : ropeLocal.tables(start, T, mode);
        float[] h = new float[T * d];
        float[] q = new float[T * heads * hd];
        float[] k = new float[T * kvHeads * hd];
        float[] v = new float[T * kvHeads * hd];
        float[] att = new float[T * heads * hd];
        float[] o = new float[T * d];
        float[] gate = new float[T * inter];
        float[] up = new float[T * inter];
        boolean vector = Attention.vectorDefault();
        Layer[] ls = stream ? layers : adaptedLayers(mode);
        if (stream && ls.length > 0) {
            pages(layers[0], Pages::prefetch);
        }
        for (int l = 0; l < ls.length; l++) {
            if (stream && l + 1 < ls.length) {
                pages(layers[l + 1], Pages::prefetch);     // streamed layers are not resident: read the next from disk while this one computes
            }
            Layer L = stream ? adapt(layers[l], mode) : ls[l];
            rmsNorm(x, T, d, L.inNorm, eps, mode, h, unit, compute, num);
            linear(h, T, L.q, L.qBias, mode, q, compute, num);
            linear(h, T, L.k, L.kBias, mode, k, compute, num);
            linear(h, T, L.v, L.vBias, mode, v, compute, num);
            if (L.qNorm != null) {
                // Qwen3: each head's query and key RMS-normalized over head_dim (in place: a row's sum of squares is taken first)
                rmsNorm(q, T * heads, hd, L.qNorm, eps, mode, q, unit, compute, num);
                rmsNorm(k, T * kvHeads, hd, L.kNorm, eps, mode, k, unit, compute, num);
            }
            float[][] r = rotLocal != null && cfg.windowedLayers().get(l) ? rotLocal : rot;
            rope.apply(q, T, heads, r, mode, compute);
            rope.apply(k, T, kvHeads, r, mode, compute);
            KvCache.Layer kv = cache.layer(l);
            kv.store(k, v, start, T);
            if (num.flashBlock() > 0) {
                ServingKernels.flashAttend(q, kv, start, T, heads, kvHeads, hd, cfg.windowOf(l), mode, att, num.flashBlock(), num.pRounding(),
                        gm == null ? 0f : (float) Math.pow(gm.queryPreAttnScalar(), -0.5), gm == null ? 0f : (float) gm.attnSoftcap(), compute);
            } else if (gm != null) {
                Attention.attend(q, kv, start, T, heads, kvHeads, hd, cfg.windowOf(l), mode, att, vector,
                        (float) Math.pow(gm.queryPreAttnScalar(), -0.5), (float) gm.attnSoftcap(), compute);
            } else {
                Attention.attend(q, kv, start, T, heads, kvHeads, hd, cfg.windowOf(l), mode, att, vector, compute);
            }
            linear(att, T, L.o, null, mode, o, compute, num);
            if (L.postAttnNorm != null) {
                rmsNorm(o, T, d, L.postAttnNorm, eps, mode, o, true, compute, num);
            }
            Elementwise.addInPlace(x, o, mode, num.fusedAddNorm(), compute);
            rmsNorm(x, T, d, L.postNorm, eps, mode, h, unit, compute, num);
            if (L.moe != null) {
                MoeBlock.forward(h, T, d, L.moe, mode, o, compute);
            } else {
                linear(h, T, L.gate, null, mode, gate, compute, num);
                linear(h, T, L.up, null, mode, up, compute, num);
                if (gm != null) {
                    Gemma.geglu(gate, up, gate.length, mode);
                } else {
                    Elementwise.swiglu(gate, up, gate.length, mode, compute);
                }
                linear(gate, T, L.down, null, mode, o, compute, num);
            }
            if (L.postFfnNorm != null) {
                rmsNorm(o, T, d, L.postFfnNorm, eps, mode, o, true, compute, num);
            }
            Elementwise.addInPlace(x, o, mode, num.fusedAddNorm(), compute);
            if (stream) {
                pages(layers[l], Pages::release);
            }
            if (progress != null) {
                progress.accept(l + 1);
            }
        }
        float[] out = new float[T * d];
        rmsNorm(x, T, d, mode.rounded(finalNorm), eps, mode, out, unit, compute, num);
        return out;
    }

    /**
     * The forward pass's buffers for {@code T} positions: each must fit one array (so the {@code int}
     * products below cannot wrap) and together the heap. The widths are bounded by {@link ModelConfig#MAX_DIM}.
     */
    private void requireActivations(int T) {
        long widest = Math.max(Math.max(cfg.hiddenSize(), (long) cfg.numHeads() * cfg.headDim()), cfg.intermediateSize());
        String what = "the forward pass over " + T + " positions";
        Sizes.arrayLength(what, 4, T, widest);
        long perPosition = 5L * cfg.hiddenSize() + 2L * cfg.numHeads() * cfg.headDim() + 2L * cfg.numKvHeads() * cfg.headDim()
                + 2L * cfg.intermediateSize();
        Sizes.requireHeap(what, Sizes.product(4, T, perPosition));
    }

    private static void linear(float[] x, int T, Weight w, float[] bias, ComputeMode mode, float[] y, Compute compute, ServingNumerics num) {
        if (num.splitK() > 1) {
            ServingKernels.matmul(x, T, w, bias, y, num.splitK(), num.pairwise(), num.tf32(), compute);
        } else if (num.tf32()) {
            ServingKernels.tf32Matmul(x, T, w, bias, y, compute);
        } else {
            Matmul.matmul(x, T, w, bias, y, compute);
        }
        Elementwise.round(y, 0, T * w.rows(), mode, compute);
    }

    /**
     * {@code transformers}' LlamaRMSNorm: in fp32, {@code x * rsqrt(mean(x^2) + eps)} (the sum of squares
     * fma-accumulated in increasing index), rounded to the compute dtype, then times the weight, rounded.
     * With {@code unitOffset} Gemma's: {@code (x * rsqrt(...)) * (1 + w)} all in fp32, rounded once.
     * In place ({@code out == x}) is allowed: a row's sum of squares is taken before it is written.
     */
    private static void rmsNorm(float[] x, int T, int d, float[] w, float eps, ComputeMode mode, float[] out, boolean unitOffset,
                                Compute compute, ServingNumerics num) {
        compute.forEach(T, t -> {
            int off = t * d;
            float ss = 0f;
            if (num.fusedAddNorm()) {
                ss = ServingKernels.sumOfSquares(x, off, d);    // a thread block's reduction order
            } else {
                for (int i = 0; i < d; i++) {
                    ss = Math.fma(x[off + i], x[off + i], ss);
                }
            }
            float r = (float) (1.0 / Math.sqrt(ss / d + eps));
            Elementwise.scaleRow(x, off, d, r, w, unitOffset, mode, out);
        });
    }

    private synchronized Layer[] adaptedLayers(ComputeMode mode) {
        if (!adapted.containsKey(mode)) {
            // the rounded copies of every matrix the mode cannot read as stored, fp32, before the first of them is made
            long floats = 0;
            for (Layer L : layers) {
                java.util.List<Weight> ws = new java.util.ArrayList<>(java.util.Arrays.asList(L.q, L.k, L.v, L.o, L.gate, L.up, L.down));
                if (L.moe != null) {        // a sparse layer: the router and every expert instead of gate/up/down
                    ws.add(L.moe.router());
                    ws.addAll(java.util.Arrays.asList(L.moe.gate()));
                    ws.addAll(java.util.Arrays.asList(L.moe.up()));
                    ws.addAll(java.util.Arrays.asList(L.moe.down()));
                }
                for (Weight w : ws) {
                    if (w != null && !asStored(w, mode)) {
                        floats += (long) w.rows() * w.cols();
                    }
                }
            }
            Sizes.requireHeap("rounding the weights to " + mode.wireName() + " (" + floats + " values; streaming layers avoids the copies)",
                    Sizes.product(floats, 4));
        }
        return adapted.computeIfAbsent(mode, m -> {
            Layer[] a = new Layer[layers.length];
            for (int l = 0; l < a.length; l++) {
                a[l] = adapt(layers[l], m);
            }
            return a;
        });
    }

    private static Layer adapt(Layer L, ComputeMode m) {
        return new Layer(m.rounded(L.inNorm), adapt(L.q, m), adapt(L.k, m), adapt(L.v, m), adapt(L.o, m),
                m.rounded(L.qBias), m.rounded(L.kBias), m.rounded(L.vBias),
                m.rounded(L.postNorm), L.gate == null ? null : adapt(L.gate, m), L.up == null ? null : adapt(L.up, m),
                L.down == null ? null : adapt(L.down, m), m.rounded(L.qNorm), m.rounded(L.kNorm),
                L.moe == null ? null : L.moe.map(w -> adapt(w, m)), m.rounded(L.postAttnNorm), m.rounded(L.postFfnNorm));
    }

    /** The weight as the mode sees it: as stored when exact, else a copy rounded to the mode's dtype. */
    private static boolean asStored(Weight w, ComputeMode m) {
        return m == ComputeMode.FP32
                || (m == ComputeMode.BF16 && w.kind() == Weight.Kind.BF16)
                || (m == ComputeMode.FP16 && w.kind() == Weight.Kind.F16);
    }

    private static Weight adapt(Weight w, ComputeMode m) {
        if (asStored(w, m)) {
            return w;
        }
        long n = (long) w.rows() * w.cols();
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a " + w.rows() + " x " + w.cols() + " matrix is too large to round to " + m.wireName());
        }
        float[] r = new float[(int) n];
        for (int i = 0; i < r.length; i++) {
            r[i] = m.round(w.get(i));
        }
        return Weight.ofFloats(r, w.rows(), w.cols());
    }

    /** {@code hint} on the segment of each of the layer's matrices (as stored; mapped ones are the ones it acts on). */
    private static void pages(Layer L, java.util.function.Consumer<MemorySegment> hint) {
        List<Weight> ws = new ArrayList<>(Arrays.asList(L.q, L.k, L.v, L.o, L.gate, L.up, L.down));
        if (L.moe != null) {
            ws.addAll(Arrays.asList(L.moe.all()));
        }
        for (Weight w : ws) {
            if (w != null) {
                hint.accept(w.segment());
            }
        }
    }

    /** Unmaps the weight files. */
    @Override
    public void close() {
        arena.close();
    }
}
