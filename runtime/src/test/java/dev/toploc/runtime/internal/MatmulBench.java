package dev.toploc.runtime.internal;

import dev.toploc.Compute;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;
import java.util.Random;

/**
 * Not a test: the matmul kernel alone on one decoder layer's seven matrices (q, k, v, o, gate, up, down; bf16
 * weights in native memory), the 2048 shape and the Llama-3-8B shape alternating in one JVM, GFLOP/s as
 * 2 x parameters x tokens, best of the passes after the first. Run after {@code ./mvnw -pl runtime -am test-compile}:
 * <pre>
 * java --add-modules jdk.incubator.vector -cp runtime/target/test-classes:runtime/target/classes:core/target/classes \
 *     dev.toploc.runtime.internal.MatmulBench [TOKENS [PASSES [THREADS [bf16]]]]
 * </pre>
 * With {@code bf16} the activations are bf16-exact (the bf16 mode's: one AMX pass instead of three).
 * <pre>
 * </pre>
 */
public final class MatmulBench {
    private MatmulBench() {
    }

    public static void main(String[] args) {
        int tokens = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int passes = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Compute compute = Compute.defaults().withThreads(args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors());
        Weight[][] layers = {layer(2048, 256, 5632), layer(4096, 1024, 14336)};
        String[] names = {"2048", "8b"};
        float[] x = new float[tokens * 14336];
        Random r = new Random(2);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        if (args.length > 3 && args[3].equals("bf16")) {
            dev.toploc.runtime.ComputeMode.BF16.round(x, 0, x.length);
        }
        float[] y = new float[tokens * 14336];
        double[] best = new double[2];
        for (int p = 0; p < passes; p++) {
            for (int s = 0; s < 2; s++) {
                long flop = 0;
                long t0 = System.nanoTime();
                for (Weight w : layers[s]) {
                    Matmul.matmul(x, tokens, w, null, y, compute);
                    flop += 2L * w.rows() * w.cols() * tokens;
                }
                double gf = flop / ((System.nanoTime() - t0) / 1e9) / 1e9;
                if (p > 0 || passes == 1) {
                    best[s] = Math.max(best[s], gf);
                }
            }
        }
        System.out.printf(Locale.ROOT, "tokens=%d threads=%d  %s: 2048 %.1f GFLOP/s, 8b %.1f GFLOP/s, 8b / 2048 = %.2f (best of %d passes)%n",
                tokens, compute.threads(), Matmul.backend(), best[0], best[1], best[1] / best[0], Math.max(1, passes - 1));
    }

    private static Weight[] layer(int d, int kv, int inter) {
        int[][] shapes = {{d, d}, {kv, d}, {kv, d}, {d, d}, {inter, d}, {inter, d}, {d, inter}};
        Weight[] ws = new Weight[shapes.length];
        Random r = new Random(1);
        for (int i = 0; i < shapes.length; i++) {
            long n = (long) shapes[i][0] * shapes[i][1];
            MemorySegment s = Arena.ofAuto().allocate(n * 2, 64);
            for (long j = 0; j < n; j++) {
                s.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, j, (short) (Float.floatToIntBits((float) (r.nextGaussian() * 0.02)) >>> 16));
            }
            ws[i] = new Weight(s, Weight.Kind.BF16, shapes[i][0], shapes[i][1]);
        }
        return ws;
    }
}
