package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13, class 6 at the library's API: sizes a caller passes to the hook are checked before anything
 * is allocated, and fail with an IllegalArgumentException that names them, never a
 * NegativeArraySizeException (a wrapped int product) or an OutOfMemoryError.
 */
class HookSizesTest {

    static Stream<Arguments> hostile() {
        return Stream.of(
                // chunk x hidden wraps to a negative int: today's NegativeArraySizeException
                Arguments.of(new CommitSpec(Dtype.BF16, 128, CommitSpec.MAX_CHUNK_SIZE), 1 << 12, 1, 4, "do not fit one array"),
                Arguments.of(CommitSpec.DEFAULT, Integer.MAX_VALUE, 1, 4, "a chunk of 32 positions of 2147483647 values: 32 x 2147483647 = 68719476704 values"),
                // fits one array, but not the heap: an OutOfMemoryError today
                Arguments.of(new CommitSpec(Dtype.FP32, 128, 1 << 16), 3 << 13, 1, 4, "more than this JVM's heap"),
                Arguments.of(CommitSpec.DEFAULT, 1 << 20, 1, CommitHook.MAX_PENDING_CHUNKS, "chunk buffers of 32 x 1048576 values"),
                Arguments.of(CommitSpec.DEFAULT, 256, 1, Integer.MAX_VALUE, "maxPendingChunks 2147483647"),
                Arguments.of(CommitSpec.DEFAULT, 256, Integer.MAX_VALUE, 4, "threads 2147483647"));
    }

    @ParameterizedTest(name = "[{index}] chunk {0}, hidden {1}, threads {2}, pending {3}")
    @MethodSource("hostile")
    void hugeSizes_areAnIllegalArgument_beforeAnyAllocation(CommitSpec spec, int hidden, int threads, int pending, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommitHook.create(spec, hidden, threads, pending).close());
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @Test
    void hugePrefillChunk_isAnIllegalArgument() throws Exception {
        try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, 1 << 12, 1, 2)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> hook.open(Integer.MAX_VALUE, PositionConvention.PRODUCED, true));
            assertTrue(e.getMessage().startsWith("a prefill chunk of 2147483647 positions of 4096 values"), e.getMessage());
            hook.open(16, PositionConvention.PRODUCED, true).cancel();     // the control: an ordinary prompt opens
        }
    }

    @Test
    void chunkSizeBeyondTheLongestCompletion_isRefusedBySpec() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new CommitSpec(Dtype.BF16, 128, Integer.MAX_VALUE));
        assertEquals("chunk size = 2147483647 is out of range (expected 1..1048576)", e.getMessage());
    }

    @Test
    void sizeProducts_areExact() {
        assertEquals(-1, Sizes.product(1L << 32, 1L << 32));
        assertEquals(1L << 40, Sizes.product(1L << 20, 1L << 20));
        assertEquals(1_000_000, Sizes.arrayLength("x", 4, 1000, 1000));
        assertThrows(IllegalArgumentException.class, () -> Sizes.arrayLength("x", 1, Sizes.MAX_ARRAY + 1L));
        assertThrows(IllegalArgumentException.class, () -> Sizes.requireHeap("x", -1));
    }

    @Test
    void chunkPlansNearIntMax_doNotWrap() {
        ChunkPlan p = ChunkPlan.forRows(0, Integer.MAX_VALUE, Integer.MAX_VALUE - 1);
        assertEquals(2, p.size());
        assertEquals(1, p.chunk(1).rowCount());
        assertThrows(IllegalArgumentException.class, () -> ChunkPlan.forRows(Integer.MAX_VALUE, 1, 1));
    }
}
