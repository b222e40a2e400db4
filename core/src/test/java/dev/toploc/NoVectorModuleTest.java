package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The core library works without {@code --add-modules jdk.incubator.vector}, on its scalar twins. */
class NoVectorModuleTest {

    /** Run in a child JVM without the incubator module. */
    public static void main(String[] args) throws Exception {
        float[] f = new float[90 * 256];
        Random r = new Random(1);
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian();
        }
        ChunkPlan plan = ChunkPlan.forSequence(20, 70, PositionConvention.PRODUCED, true, 32);
        List<Commit> c = Commits.commitAll(HiddenStates.ofFloats(f, 90, 256), plan, CommitSpec.DEFAULT);
        Verifier.verify(HiddenStates.ofFloats(f, 90, 256), plan, CommitSpec.DEFAULT, c, AcceptancePolicy.defaults(CommitSpec.DEFAULT));
        System.out.println(dev.toploc.internal.Simd.describe() + "; " + c.get(1).toBase64().substring(0, 12));
    }

    @Test
    void commitsAndVerification_workOnTheScalarPath_withTheSameBytes() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), NoVectorModuleTest.class.getName())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, p.waitFor(), out);
        assertTrue(out.startsWith("scalar (module jdk.incubator.vector not added"), out);
        // this JVM runs the vector path: the commit bytes must be the same
        float[] f = new float[90 * 256];
        Random r = new Random(1);
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) r.nextGaussian();
        }
        ChunkPlan plan = ChunkPlan.forSequence(20, 70, PositionConvention.PRODUCED, true, 32);
        String here = Commits.commitAll(HiddenStates.ofFloats(f, 90, 256), plan, CommitSpec.DEFAULT).get(1).toBase64().substring(0, 12);
        assertTrue(out.endsWith(here), out + " vs " + here);
    }
}
