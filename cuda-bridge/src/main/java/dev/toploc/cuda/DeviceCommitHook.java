package dev.toploc.cuda;

import dev.toploc.ChunkPlan;
import dev.toploc.Commit;
import dev.toploc.CommitHook;
import dev.toploc.CommitSpec;
import dev.toploc.Commits;
import dev.toploc.InvalidStatesException;
import dev.toploc.PositionConvention;
import dev.toploc.TopLocException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The provider hook for engines whose hidden states stay on the GPU: the same chunks and commits as
 * {@link CommitHook}, but rows are given as device addresses and never come to the host. Each
 * sequence keeps its current chunk in device memory; rows are copied into it on the engine's stream (after
 * the kernels that produced them), and when a chunk is complete its top-k runs there too
 * ({@link CudaBackend#topK}), so only k indices and k patterns cross to the host, where the commit is
 * interpolated. A chunk's commit is built on the calling thread when its last row arrives (one device
 * round trip, which waits for the stream).
 *
 * <p>Rows are 16-bit patterns of the commit dtype ({@link CommitSpec#dtype()}: bf16 or fp16), {@code hidden}
 * per position, in position order: the prompt's rows first, then one per decode step, as for
 * {@link CommitHook}. A {@link Sequence} is fed by one thread at a time and holds device memory until
 * {@link Sequence#close()}. Chunk boundaries and names come from {@link ChunkPlan.Layout}, as for the
 * verifier's {@link ChunkPlan}.
 *
 * <pre>{@code
 * DeviceCommitHook hook = DeviceCommitHook.create(gpu, CommitSpec.DEFAULT, hidden);
 * try (DeviceCommitHook.Sequence seq = hook.open(promptLen, PositionConvention.PRODUCED, true)) {
 *     seq.addRows(prefillStatesOnDevice, promptLen, engineStream);
 *     for (...) seq.addRows(stepStateOnDevice, 1, engineStream);
 *     List<Commit> commits = seq.finish(engineStream);
 * }
 * }</pre>
 */
public final class DeviceCommitHook {
    private final CudaBackend gpu;
    private final CommitSpec spec;
    private final int hidden;

    private DeviceCommitHook(CudaBackend gpu, CommitSpec spec, int hidden) {
        this.gpu = gpu;
        this.spec = spec;
        this.hidden = hidden;
    }

    /** A hook for rows of {@code hidden} values of {@code spec}'s dtype, which must be 16-bit. */
    public static DeviceCommitHook create(CudaBackend gpu, CommitSpec spec, int hidden) {
        if (spec.dtype().bits() != 16) {
            throw new IllegalArgumentException("the device hook commits 16-bit states (bf16, fp16), not " + spec.dtype().wireName());
        }
        if (hidden < 1) {
            throw new IllegalArgumentException("hidden = " + hidden + " (expected >= 1)");
        }
        return new DeviceCommitHook(gpu, spec, hidden);
    }

    /** Starts a sequence whose prompt has {@code promptTokens} positions (allocates its chunk buffers on the device). */
    public Sequence open(int promptTokens, PositionConvention positions, boolean prefillChunk) throws CudaException {
        if (promptTokens < 1) {
            throw new IllegalArgumentException("prompt has " + promptTokens + " tokens (expected at least 1)");
        }
        return new Sequence(promptTokens, positions, prefillChunk);
    }

    /** One sequence's device chunk buffers and commits. */
    public final class Sequence implements AutoCloseable {
        private final ChunkPlan.Layout layout;
        private final int promptTokens;
        private final int firstDecode;
        private final long rowBytes = 2L * hidden;
        private final List<Commit> commits = new ArrayList<>();
        private DeviceMemory prefill;
        private DeviceMemory chunk;
        private int chunkRows;
        private int chunkFirstRow;
        private int position;
        private boolean finished;

        private Sequence(int promptTokens, PositionConvention positions, boolean prefillChunk) throws CudaException {
            this.layout = new ChunkPlan.Layout(promptTokens, positions, prefillChunk, spec.chunkSize());
            this.promptTokens = promptTokens;
            this.firstDecode = layout.firstDecodeRow();
            this.chunk = gpu.allocate(spec.chunkSize() * rowBytes);
            if (prefillChunk) {
                try {
                    this.prefill = gpu.allocate(promptTokens * rowBytes);
                } catch (CudaException e) {
                    chunk.close();
                    throw e;
                }
            }
        }

        /** Positions fed so far. */
        public int positions() {
            return position;
        }

        /**
         * Adds {@code count} positions' states: {@code count x hidden} patterns at device address {@code rows},
         * read in order on {@code stream} (the engine's {@code cudaStream_t}, or {@link MemorySegment#NULL}).
         *
         * @throws InvalidStatesException if a chunk this completes holds NaN or Inf (the sequence is then finished)
         */
        public void addRows(MemorySegment rows, int count, MemorySegment stream) throws CudaException, InvalidStatesException {
            if (finished) {
                throw new IllegalStateException("this sequence is finished: no more rows");
            }
            if (count < 1) {
                throw new IllegalArgumentException("count = " + count + " (expected >= 1)");
            }
            long src = rows.address();
            int left = count;
            while (left > 0) {
                // a run of rows up to the next boundary: the end of the prompt or of the decode chunk
                int run = left;
                if (prefill != null && position < promptTokens) {
                    run = Math.min(run, promptTokens - position);
                }
                if (position >= firstDecode) {
                    run = Math.min(run, spec.chunkSize() - chunkRows);
                } else {
                    run = Math.min(run, firstDecode - position);
                }
                if (prefill != null && position < promptTokens) {
                    copy(prefill.address(position * rowBytes), src, run, stream);
                }
                if (position >= firstDecode) {
                    copy(chunk.address(chunkRows * rowBytes), src, run, stream);
                    chunkRows += run;
                }
                position += run;
                src += run * rowBytes;
                left -= run;
                if (prefill != null && position == promptTokens) {
                    try {
                        commitChunk(prefill, layout.prefill(), stream);
                    } finally {
                        prefill.close();
                        prefill = null;
                    }
                }
                if (chunkRows == spec.chunkSize()) {
                    commitDecodeChunk(stream);
                }
            }
        }

        private void copy(MemorySegment dst, long src, int rowCount, MemorySegment stream) throws CudaException {
            Native lib = gpu.natives();
            try {
                lib.check((int) lib.copyOnDevice.invokeExact(dst, MemorySegment.ofAddress(src), rowCount * rowBytes, stream),
                        "copying " + rowCount + " rows on the device");
            } catch (Throwable t) {
                throw Native.callFailed("tl_copy_on_device", t);
            }
        }

        private void commitDecodeChunk(MemorySegment stream) throws CudaException, InvalidStatesException {
            commitChunk(chunk, layout.decode(chunkFirstRow / spec.chunkSize(), chunkRows), stream);
            chunkFirstRow += chunkRows;
            chunkRows = 0;
        }

        private void commitChunk(DeviceMemory m, ChunkPlan.Chunk c, MemorySegment stream) throws CudaException, InvalidStatesException {
            String name = c.label();
            long n = c.rowCount() * (long) hidden;
            if (n < spec.topK()) {
                finished = true;
                throw new InvalidStatesException(name + " has " + n + " values, fewer than k = " + spec.topK());
            }
            try {
                CudaBackend.Selection sel = gpu.topK(m.address(0), n, spec.topK(), spec.dtype(), stream, hidden);
                commits.add(Commits.commitSelection(sel.indices(), sel.patterns(), spec.dtype()));
            } catch (InvalidStatesException e) {
                finished = true;
                throw new InvalidStatesException(name + ": " + e.getMessage());
            }
        }

        /**
         * Commits the short tail chunk and returns every commit of this sequence in order (the prefill chunk
         * first when present).
         *
         * @throws InvalidStatesException if the sequence ended inside its prompt or has no decode rows, or the
         *                                tail holds NaN or Inf
         */
        public List<Commit> finish(MemorySegment stream) throws CudaException, TopLocException {
            if (finished) {
                throw new IllegalStateException("finish() was already called on this sequence, or it failed");
            }
            finished = true;
            if (position < promptTokens) {
                throw new InvalidStatesException("sequence ended after " + position + " positions, inside its prompt of " + promptTokens);
            }
            if (chunkRows > 0) {
                commitDecodeChunk(stream);
            }
            if (commits.isEmpty()) {
                throw new InvalidStatesException("no chunk to commit: no decode positions were added");
            }
            return List.copyOf(commits);
        }

        /** Frees the sequence's device buffers. */
        @Override
        public void close() throws CudaException {
            finished = true;
            if (prefill != null) {
                prefill.close();
                prefill = null;
            }
            chunk.close();
        }
    }
}
