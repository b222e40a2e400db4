package dev.toploc.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.runtime.internal.Safetensors;
import dev.toploc.vectors.TestVectors;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A differential oracle: the tiny model's fp32 forward pass written independently with ND4J ops
 * (matrix products, elementwise transforms, softmax), compared with the runtime's fp32 mode.
 */
class Nd4jOracleTest {

    static final ValueLayout.OfShort LE16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static INDArray tensor(Map<String, Safetensors.Entry> t, String name) {
        Safetensors.Entry e = t.get(name);
        float[] f = new float[(int) e.elements()];
        for (int i = 0; i < f.length; i++) {
            f[i] = Float.intBitsToFloat((e.data().getAtIndex(LE16, i) & 0xFFFF) << 16);   // bf16 -> fp32
        }
        long[] shape = e.shape().length == 1 ? new long[] {1, e.shape()[0]} : e.shape();
        return Nd4j.create(f, shape, 'c');
    }

    static INDArray rmsNorm(INDArray x, INDArray w, double eps) {
        INDArray var = x.mul(x).mean(true, 1);
        INDArray r = Transforms.pow(var.add(eps), -0.5, false);
        return x.mulColumnVector(r).mulRowVector(w);
    }

    /** x: T x (heads*d); rotate_half on each head's two halves. */
    static INDArray rope(INDArray x, int heads, int d, double theta) {
        long T = x.rows();
        INDArray out = x.dup();
        int half = d / 2;
        for (int t = 0; t < T; t++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < half; i++) {
                    double inv = 1.0 / Math.pow(theta, (2.0 * i) / d);
                    double a = t * inv;
                    double c = Math.cos(a);
                    double s = Math.sin(a);
                    double x1 = x.getDouble(t, h * d + i);
                    double x2 = x.getDouble(t, h * d + half + i);
                    out.putScalar(new long[] {t, h * d + i}, x1 * c - x2 * s);
                    out.putScalar(new long[] {t, h * d + half + i}, x2 * c + x1 * s);
                }
            }
        }
        return out;
    }

    @Test
    void nd4jForwardPass_agreesWithRuntimeFp32() throws Exception {
        Path dir = TestVectors.model("tiny-fortunes-llama");
        int[] ids = "Q: What is the meaning of life?\nA: Nobody knows, but".chars().toArray();
        ModelConfig cfg = ModelConfig.read(dir.resolve("config.json"));
        int T = ids.length;
        int D = cfg.hiddenSize();
        int H = cfg.numHeads();
        int KV = cfg.numKvHeads();
        int hd = cfg.headDim();
        float[] runtime;
        try (Model m = Model.load(dir)) {
            runtime = m.prefill(ids, ComputeMode.FP32);
        }
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Safetensors.Entry> t = Safetensors.open(dir.resolve("model.safetensors"), arena).entries();
            INDArray emb = tensor(t, "model.embed_tokens.weight");
            INDArray x = Nd4j.create(DataType.FLOAT, T, D);
            for (int i = 0; i < T; i++) {
                x.putRow(i, emb.getRow(ids[i]));
            }
            INDArray mask = Nd4j.zeros(DataType.FLOAT, T, T);
            for (int i = 0; i < T; i++) {
                for (int j = i + 1; j < T; j++) {
                    mask.putScalar(i, j, Float.NEGATIVE_INFINITY);
                }
            }
            for (int l = 0; l < cfg.numLayers(); l++) {
                String p = "model.layers." + l + ".";
                INDArray h = rmsNorm(x, tensor(t, p + "input_layernorm.weight"), cfg.rmsNormEps());
                INDArray q = rope(h.mmul(tensor(t, p + "self_attn.q_proj.weight").transpose()), H, hd, cfg.ropeTheta());
                INDArray k = rope(h.mmul(tensor(t, p + "self_attn.k_proj.weight").transpose()), KV, hd, cfg.ropeTheta());
                INDArray v = h.mmul(tensor(t, p + "self_attn.v_proj.weight").transpose());
                INDArray att = Nd4j.create(DataType.FLOAT, T, H * hd);
                for (int head = 0; head < H; head++) {
                    int g = head / (H / KV);
                    INDArray qh = q.get(NDArrayIndex.all(), NDArrayIndex.interval(head * hd, (head + 1) * hd));
                    INDArray kh = k.get(NDArrayIndex.all(), NDArrayIndex.interval(g * hd, (g + 1) * hd));
                    INDArray vh = v.get(NDArrayIndex.all(), NDArrayIndex.interval(g * hd, (g + 1) * hd));
                    INDArray scores = qh.mmul(kh.transpose()).div(Math.sqrt(hd)).add(mask);
                    INDArray probs = Transforms.softmax(scores, true);
                    att.put(new org.nd4j.linalg.indexing.INDArrayIndex[] {NDArrayIndex.all(), NDArrayIndex.interval(head * hd, (head + 1) * hd)},
                            probs.mmul(vh));
                }
                x = x.add(att.mmul(tensor(t, p + "self_attn.o_proj.weight").transpose()));
                INDArray h2 = rmsNorm(x, tensor(t, p + "post_attention_layernorm.weight"), cfg.rmsNormEps());
                INDArray gate = h2.mmul(tensor(t, p + "mlp.gate_proj.weight").transpose());
                INDArray up = h2.mmul(tensor(t, p + "mlp.up_proj.weight").transpose());
                INDArray act = gate.mul(Transforms.sigmoid(gate, true)).mul(up);
                x = x.add(act.mmul(tensor(t, p + "mlp.down_proj.weight").transpose()));
            }
            INDArray out = rmsNorm(x, tensor(t, "model.norm.weight"), cfg.rmsNormEps());
            double worst = 0;
            for (int i = 0; i < T; i++) {
                double sq = 0;
                double err = 0;
                for (int j = 0; j < D; j++) {
                    double ref = out.getDouble(i, j);
                    sq += ref * ref;
                    err = Math.max(err, Math.abs(ref - runtime[i * D + j]));
                }
                double rel = err / Math.sqrt(sq / D);
                worst = Math.max(worst, rel);
                assertTrue(rel < 1e-4, "position " + i + ": max |runtime - nd4j| / rms = " + rel);
            }
            System.out.printf("nd4j oracle: worst max|err|/rms = %.3g over %d positions%n", worst, T);
        }
    }
}
