package dev.toploc.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.Commit;
import dev.toploc.CommitHook;
import dev.toploc.CommitSpec;
import dev.toploc.Dtype;
import dev.toploc.InvalidStatesException;
import dev.toploc.PositionConvention;
import dev.toploc.vectors.GoldenSequence;
import dev.toploc.vectors.TestVectors;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The device hook gives exactly the host hook's commits for the same rows, whatever the batching, in both
 * position conventions, with and without the prefill chunk (on a GPU and on the CPU emulator).
 */
class DeviceCommitHookTest {
    static final int HIDDEN = 256;
    static final int PROMPT = 37;

    /** The tiny model's golden final-norm states (148 positions x 256), rounded to bf16. */
    static short[] rows() throws Exception {
        float[] f = GoldenSequence.read(TestVectors.model("tiny-fortunes-llama"), "seq3").fp32();
        short[] s = new short[f.length];
        for (int i = 0; i < f.length; i++) {
            s[i] = (short) Dtype.BF16.fromFloat(f[i]);
        }
        return s;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void sameCommitsAsTheHostHook_forAnyBatching(String backend) throws Exception {
        CudaBackend gpu = Backends.get(backend);
        short[] s = rows();
        int positions = s.length / HIDDEN;
        CommitSpec spec = new CommitSpec(Dtype.BF16, 64, 32);
        DeviceCommitHook device = DeviceCommitHook.create(gpu, spec, HIDDEN);
        try (CommitHook host = CommitHook.create(spec, HIDDEN, 1, 4); DeviceMemory mem = gpu.allocate(2L * s.length);
             CudaStream stream = gpu.newStream()) {
            mem.copyFrom(s);
            for (PositionConvention conv : PositionConvention.values()) {
                for (boolean prefillChunk : new boolean[] {true, false}) {
                    CommitHook.Sequence h = host.open(PROMPT, conv, prefillChunk);
                    float[] row = new float[HIDDEN];
                    for (int p = 0; p < positions; p++) {
                        for (int i = 0; i < HIDDEN; i++) {
                            row[i] = Dtype.BF16.toFloat(s[p * HIDDEN + i] & 0xFFFF);
                        }
                        h.add(row);
                    }
                    List<Commit> expected = h.finish();
                    // the device hook: the prompt in one batch, then batches of 1, 5, 1, 40, 1, ... rows
                    int[] batches = {PROMPT, 1, 5, 1, 40, 1, 7, 1, 31, 2, 64};
                    try (DeviceCommitHook.Sequence d = device.open(PROMPT, conv, prefillChunk)) {
                        int p = 0;
                        for (int i = 0; p < positions; i++) {
                            int n = Math.min(batches[i % batches.length], positions - p);
                            d.addRows(mem.address(2L * p * HIDDEN), n, stream.handle());
                            p += n;
                        }
                        assertEquals(expected, d.finish(stream.handle()), conv + ", prefill chunk " + prefillChunk);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.toploc.cuda.Backends#names")
    void badStatesAndEarlyEnds_areTypedErrorsNamingTheChunk(String backend) throws Exception {
        CudaBackend gpu = Backends.get(backend);
        short[] s = rows();
        s[(PROMPT + 40) * HIDDEN + 9] = (short) 0x7FC0;     // NaN in the second decode chunk
        DeviceCommitHook hook = DeviceCommitHook.create(gpu, CommitSpec.DEFAULT, HIDDEN);
        try (DeviceMemory mem = gpu.allocate(2L * s.length)) {
            mem.copyFrom(s);
            try (DeviceCommitHook.Sequence d = hook.open(PROMPT, PositionConvention.PRODUCED, true)) {
                InvalidStatesException e = assertThrows(InvalidStatesException.class,
                        () -> d.addRows(mem.address(0), s.length / HIDDEN, MemorySegment.NULL));
                assertTrue(e.getMessage().startsWith("chunk 2 (decode rows 68..99): NaN at row 9 of the chunk, column 9 (bf16 pattern 0x7FC0)"), e.getMessage());
                assertThrows(IllegalStateException.class, () -> d.addRows(mem.address(0), 1, MemorySegment.NULL));
            }
            try (DeviceCommitHook.Sequence d = hook.open(PROMPT, PositionConvention.PRODUCED, false)) {
                d.addRows(mem.address(0), 10, MemorySegment.NULL);
                InvalidStatesException e = assertThrows(InvalidStatesException.class, () -> d.finish(MemorySegment.NULL));
                assertEquals("sequence ended after 10 positions, inside its prompt of 37", e.getMessage());
            }
        }
        assertThrows(IllegalArgumentException.class, () -> DeviceCommitHook.create(gpu, new CommitSpec(Dtype.FP32, 128, 32), HIDDEN));
    }
}
