package dev.toploc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The one source of chunk boundaries and labels: the streaming layout the hooks use gives the verifier's plan. */
class ChunkPlanTest {

    @Test
    void firstDecodeRow_followsThePositionConvention() {
        assertEquals(19, new ChunkPlan.Layout(20, PositionConvention.PRODUCED, true, 32).firstDecodeRow());
        assertEquals(20, new ChunkPlan.Layout(20, PositionConvention.DECODE_STEPS, true, 32).firstDecodeRow());
        assertEquals(70, new ChunkPlan.Layout(20, PositionConvention.PRODUCED, true, 32).decodeRows(70));
        assertEquals(69, new ChunkPlan.Layout(20, PositionConvention.DECODE_STEPS, true, 32).decodeRows(70));
    }

    @Test
    void labels_nameIndexKindAndRows() {
        ChunkPlan plan = ChunkPlan.forSequence(20, 70, PositionConvention.PRODUCED, true, 32);
        assertEquals("chunk 0 (prefill rows 0..19)", plan.chunk(0).label());
        assertEquals("chunk 2 (decode rows 51..82)", plan.chunk(2).label());
        ChunkPlan.Layout noPrefill = new ChunkPlan.Layout(20, PositionConvention.DECODE_STEPS, false, 32);
        assertEquals("chunk 1 (decode rows 52..55)", noPrefill.decode(1, 4).label());
    }

    @Test
    void layout_refusesWhatNoSequenceHas() {
        assertThrows(IllegalArgumentException.class, () -> new ChunkPlan.Layout(0, PositionConvention.PRODUCED, true, 32));
        assertThrows(IllegalArgumentException.class, () -> new ChunkPlan.Layout(3, PositionConvention.PRODUCED, true, 0));
        ChunkPlan.Layout l = new ChunkPlan.Layout(3, PositionConvention.PRODUCED, false, 8);
        assertThrows(IllegalStateException.class, l::prefill);
        assertThrows(IllegalArgumentException.class, () -> l.decode(0, 9));
        assertThrows(IllegalArgumentException.class, () -> l.decode(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> l.plan(0));
    }

    @Property(tries = 200, seed = "20261201")
    void streamingLayout_givesThePlansChunks(@ForAll @IntRange(min = 1, max = 60) int p, @ForAll @IntRange(min = 1, max = 120) int n,
                                             @ForAll boolean produced, @ForAll boolean prefill, @ForAll @IntRange(min = 1, max = 40) int b) {
        PositionConvention conv = produced ? PositionConvention.PRODUCED : PositionConvention.DECODE_STEPS;
        ChunkPlan.Layout layout = new ChunkPlan.Layout(p, conv, prefill, b);
        int decodeRows = produced ? n : n - 1;
        if (!prefill && decodeRows == 0) {
            assertThrows(IllegalArgumentException.class, () -> layout.plan(n));
            return;
        }
        // what a hook does: the prefill chunk, then decode chunks of b rows fed one row at a time
        List<ChunkPlan.Chunk> streamed = new ArrayList<>();
        if (prefill) {
            streamed.add(layout.prefill());
        }
        int inChunk = 0;
        int j = 0;
        for (int row = 0; row < decodeRows; row++) {
            if (++inChunk == b) {
                streamed.add(layout.decode(j++, inChunk));
                inChunk = 0;
            }
        }
        if (inChunk > 0) {
            streamed.add(layout.decode(j, inChunk));
        }
        ChunkPlan plan = ChunkPlan.forSequence(p, n, conv, prefill, b);
        assertEquals(plan.chunks(), streamed);
        assertEquals(plan, layout.plan(n));
        for (int i = 0; i < plan.size(); i++) {
            ChunkPlan.Chunk c = plan.chunk(i);
            assertEquals(i, c.index());
            if (!c.prefill()) {
                assertEquals(produced ? p - 1 : p, plan.chunks().get(prefill ? 1 : 0).firstRow());
            }
        }
    }
}
