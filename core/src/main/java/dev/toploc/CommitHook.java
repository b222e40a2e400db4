package dev.toploc;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The provider's activation hook: an inference engine hands it each position's final-norm hidden state,
 * and it builds a commit every {@link CommitSpec#chunkSize()} positions on its own worker threads.
 *
 * <p>One hook serves many concurrent sequences ({@link #open}); each {@link Sequence} is fed by one engine
 * thread at a time, in position order: the prompt's rows first (position 0 up), then one row per decode
 * step. Feeding a row only rounds it to the commit dtype and copies it into the chunk buffer; building runs
 * off the engine's thread. Chunks waiting for a worker are bounded ({@code maxPendingChunks} for the whole
 * hook): when the workers fall that far behind, {@code add} blocks until one finishes (back-pressure, never
 * an unbounded queue). {@link Sequence#finish()} submits the short tail chunk and returns the commits in
 * order; a chunk that could not be built (NaN, Inf) fails that sequence's {@code finish()} with a typed
 * exception and no other sequence. Chunk boundaries and names come from {@link ChunkPlan.Layout}, the same
 * source the verifier's {@link ChunkPlan} uses. The {@link Compute} context gives the worker count and the
 * top-k device.
 *
 * <p>Usage:
 * <pre>{@code
 * try (CommitHook hook = CommitHook.create(CommitSpec.DEFAULT, hidden, 2, 64)) {
 *     CommitHook.Sequence seq = hook.open(promptLen, PositionConvention.PRODUCED, true);
 *     seq.addRows(prefillStates, promptLen);       // after the prefill
 *     for (...) seq.add(decodeState);              // after each decode step
 *     List<Commit> commits = seq.finish();
 * }
 * }</pre>
 */
public final class CommitHook implements AutoCloseable {
    private final CommitSpec spec;
    private final int hidden;
    private final Compute compute;
    private final ThreadPoolExecutor workers;
    private final Semaphore pending;
    private volatile boolean closed;

    private CommitHook(CommitSpec spec, int hidden, Compute compute, int maxPendingChunks) {
        int threads = compute.threads();
        this.spec = spec;
        this.hidden = hidden;
        this.compute = compute;
        this.pending = new Semaphore(maxPendingChunks);
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(maxPendingChunks), r -> {
            Thread t = new Thread(r, "toploc-commit-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.workers.allowCoreThreadTimeOut(true);
    }

    /** Most worker threads one hook starts. */
    public static final int MAX_THREADS = 1024;
    /** Most chunks one hook lets wait for a worker (its queue is allocated at this size). */
    public static final int MAX_PENDING_CHUNKS = 1 << 16;

    /**
     * Checks every size before allocating anything: a chunk buffer ({@code chunkSize x hidden} values)
     * must fit one array, and the chunks that may be in flight at once ({@code maxPendingChunks} waiting
     * plus one being filled) must fit this JVM's heap.
     *
     * @param hidden           values per position (the model's hidden size), at least 1
     * @param threads          worker threads building commits, 1 .. {@value #MAX_THREADS}
     * @param maxPendingChunks chunks submitted but not yet built, across all sequences, before {@code add} blocks,
     *                         1 .. {@value #MAX_PENDING_CHUNKS}
     * @throws IllegalArgumentException naming the size that is out of range
     */
    public static CommitHook create(CommitSpec spec, int hidden, int threads, int maxPendingChunks) {
        if (hidden < 1 || threads < 1 || maxPendingChunks < 1) {
            throw new IllegalArgumentException("hidden, threads and maxPendingChunks must be >= 1 (got " + hidden + ", " + threads
                    + ", " + maxPendingChunks + ")");
        }
        return create(spec, hidden, Compute.defaults().withThreads(threads), maxPendingChunks);
    }

    /**
     * A hook whose workers are {@code compute}'s threads ({@link Compute#threads()}) and whose chunks'
     * top-k runs on {@code compute}'s device.
     *
     * @param hidden           values per position (the model's hidden size)
     * @param maxPendingChunks chunks submitted but not yet built, across all sequences, before {@code add} blocks
     */
    public static CommitHook create(CommitSpec spec, int hidden, Compute compute, int maxPendingChunks) {
        if (hidden < 1 || maxPendingChunks < 1) {
            throw new IllegalArgumentException("hidden and maxPendingChunks must be >= 1 (got " + hidden + ", " + maxPendingChunks + ")");
        }
        if (compute.threads() > MAX_THREADS || maxPendingChunks > MAX_PENDING_CHUNKS) {
            throw new IllegalArgumentException("threads " + compute.threads() + " and maxPendingChunks " + maxPendingChunks + " (expected at most "
                    + MAX_THREADS + " and " + MAX_PENDING_CHUNKS + ")");
        }
        int bytes = spec.dtype() == Dtype.FP32 ? 4 : 2;
        int chunk = Sizes.arrayLength("a chunk of " + spec.chunkSize() + " positions of " + hidden + " values", bytes, spec.chunkSize(), hidden);
        Sizes.requireHeap(maxPendingChunks + 1 + " chunk buffers of " + spec.chunkSize() + " x " + hidden + " values",
                (maxPendingChunks + 1L) * chunk * bytes);
        return new CommitHook(spec, hidden, compute, maxPendingChunks);
    }

    public CommitSpec spec() {
        return spec;
    }

    /** Starts a sequence whose prompt has {@code promptTokens} positions. */
    public Sequence open(int promptTokens, PositionConvention positions, boolean prefillChunk) {
        if (closed) {
            throw new IllegalStateException("this CommitHook is closed: open sequences on a new one");
        }
        if (promptTokens < 1) {
            throw new IllegalArgumentException("prompt has " + promptTokens + " tokens (expected at least 1)");
        }
        return new Sequence(promptTokens, positions, prefillChunk);
    }

    /** Stops the workers after the chunks already submitted; new sequences and rows are refused. */
    @Override
    public void close() {
        closed = true;
        workers.shutdown();
    }

    /** A chunk being built: a task that returns the permit it holds exactly once, whether it runs or is cancelled. */
    private final class ChunkTask extends FutureTask<Commit> {
        ChunkTask(java.util.concurrent.Callable<Commit> c) {
            super(c);
        }

        @Override
        protected void done() {
            pending.release();
        }
    }

    /** One sequence's rows and commits. Not thread-safe: feed it from one thread at a time. */
    public final class Sequence {
        private final ChunkPlan.Layout layout;
        private final int promptTokens;
        private final int firstDecode;
        private final boolean prefillChunk;
        private final boolean wide;
        private final List<ChunkTask> tasks = new ArrayList<>();
        private short[] prefill16;
        private float[] prefill32;
        private short[] chunk16;
        private float[] chunk32;
        private int chunkRows;
        private int chunkFirstRow;
        private int position;
        private boolean finished;

        private Sequence(int promptTokens, PositionConvention positions, boolean prefillChunk) {
            this.layout = new ChunkPlan.Layout(promptTokens, positions, prefillChunk, spec.chunkSize());
            this.promptTokens = promptTokens;
            this.firstDecode = layout.firstDecodeRow();
            this.prefillChunk = prefillChunk;
            this.wide = spec.dtype() == Dtype.FP32;
            if (prefillChunk) {
                int n = Sizes.arrayLength("a prefill chunk of " + promptTokens + " positions of " + hidden + " values", wide ? 4 : 2,
                        promptTokens, hidden);
                if (wide) {
                    prefill32 = new float[n];
                } else {
                    prefill16 = new short[n];
                }
            }
            newChunk();
        }

        /** Positions fed so far. */
        public int positions() {
            return position;
        }

        /** Adds one position's state as fp32 values (rounded to the commit dtype, RNE). */
        public void add(float[] row) {
            addRows(row, 1);
        }

        /** Adds {@code count} positions' states, row-major fp32 ({@code count x hidden}). */
        public void addRows(float[] rows, int count) {
            check(rows.length, count);
            for (int r = 0; r < count; r++) {
                int off = r * hidden;
                int pos = position;
                if (prefillChunk && pos < promptTokens) {
                    put(rows, off, pos * hidden, true);
                }
                if (pos >= firstDecode) {
                    put(rows, off, chunkRows * hidden, false);
                    chunkRows++;
                }
                advance();
            }
        }

        /** Adds one position's state as 16-bit patterns of {@code dtype} (bf16 or fp16; converted if the commit dtype differs). */
        public void add(short[] row, Dtype dtype) {
            if (dtype == spec.dtype()) {
                check(row.length, 1);
                int pos = position;
                if (prefillChunk && pos < promptTokens) {
                    System.arraycopy(row, 0, prefill16, pos * hidden, hidden);
                }
                if (pos >= firstDecode) {
                    System.arraycopy(row, 0, chunk16, chunkRows * hidden, hidden);
                    chunkRows++;
                }
                advance();
            } else {
                float[] f = new float[hidden];
                for (int i = 0; i < hidden; i++) {
                    f[i] = dtype.toFloat(row[i] & 0xFFFF);
                }
                add(f);
            }
        }

        /** Adds one position's state from native memory: {@code hidden} little-endian fp32 values or 16-bit patterns of {@code dtype}. */
        public void add(MemorySegment row, Dtype dtype) {
            if (dtype == Dtype.FP32) {
                float[] f = new float[hidden];
                MemorySegment.copy(row, ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, f, 0, hidden);
                add(f);
            } else if (dtype.bits() == 16) {
                short[] s = new short[hidden];
                MemorySegment.copy(row, ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, s, 0, hidden);
                add(s, dtype);
            } else {
                throw new IllegalArgumentException("rows from native memory are fp32, bf16 or fp16 (got " + dtype.wireName() + ")");
            }
        }

        private void check(int length, int count) {
            if (finished) {
                throw new IllegalStateException("this sequence is finished: no more rows");
            }
            if (closed) {
                throw new IllegalStateException("this CommitHook is closed: no more rows");
            }
            if (count < 1 || (long) count * hidden > length) {
                throw new IllegalArgumentException(count + " rows of " + hidden + " values, but the array holds " + length);
            }
        }

        private void put(float[] src, int off, int dst, boolean toPrefill) {
            if (wide) {
                System.arraycopy(src, off, toPrefill ? prefill32 : chunk32, dst, hidden);
            } else {
                short[] d = toPrefill ? prefill16 : chunk16;
                Dtype dt = spec.dtype();
                for (int i = 0; i < hidden; i++) {
                    d[dst + i] = (short) dt.fromFloat(src[off + i]);
                }
            }
        }

        private void advance() {
            position++;
            if (prefillChunk && position == promptTokens) {
                submit(prefill16, prefill32, promptTokens, 0, true);
                prefill16 = null;
                prefill32 = null;
            }
            if (chunkRows == spec.chunkSize()) {
                submit(chunk16, chunk32, chunkRows, chunkFirstRow, false);
                chunkFirstRow += chunkRows;
                newChunk();
            }
        }

        private void newChunk() {
            chunkRows = 0;
            if (wide) {
                chunk32 = new float[spec.chunkSize() * hidden];
            } else {
                chunk16 = new short[spec.chunkSize() * hidden];
            }
        }

        private void submit(short[] p16, float[] p32, int rows, int firstDecodeRow, boolean isPrefill) {
            ChunkPlan.Chunk chunk = isPrefill ? layout.prefill() : layout.decode(firstDecodeRow / spec.chunkSize(), rows);
            String name = chunk.label();
            int len = rows * hidden;
            ChunkTask t = new ChunkTask(() -> wide
                    ? Commits.commitFloats(p32, 0, len, Dtype.FP32, spec.topK(), name, hidden, compute)
                    : Commits.commitPatterns(p16, 0, len, spec.dtype(), spec.topK(), name, hidden, compute));
            pending.acquireUninterruptibly();     // back-pressure: waits while the workers are maxPendingChunks behind
            try {
                workers.execute(t);
            } catch (RuntimeException e) {
                pending.release();
                throw new IllegalStateException("this CommitHook is closed: the chunk was not accepted", e);
            }
            tasks.add(t);
        }

        /**
         * Submits the short tail chunk and waits for every commit of this sequence; returns them in order
         * (the prefill chunk first when present).
         *
         * @throws InvalidStatesException if a chunk could not be built (NaN or Inf, fewer values than k),
         *                                naming the chunk, or if the sequence has no decode rows
         */
        public List<Commit> finish() throws TopLocException {
            if (finished) {
                throw new IllegalStateException("finish() was already called on this sequence");
            }
            finished = true;
            if (position < promptTokens) {
                cancel();
                throw new InvalidStatesException("sequence ended after " + position + " positions, inside its prompt of " + promptTokens);
            }
            if (chunkRows > 0) {
                submit(chunk16, chunk32, chunkRows, chunkFirstRow, false);
            }
            chunk16 = null;
            chunk32 = null;
            if (tasks.isEmpty()) {
                throw new InvalidStatesException("no chunk to commit: no decode positions were added");
            }
            List<Commit> out = new ArrayList<>(tasks.size());
            TopLocException failure = null;
            for (ChunkTask t : tasks) {
                try {
                    out.add(t.get());
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof TopLocException te ? te
                                : new InvalidStatesException("building a commit failed: " + e.getCause());
                    }
                } catch (CancellationException e) {
                    failure = failure != null ? failure : new InvalidStatesException("the sequence was cancelled");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    cancel();
                    throw new InvalidStatesException("interrupted while waiting for commits");
                }
            }
            if (failure != null) {
                throw failure;
            }
            return List.copyOf(out);
        }

        /** Abandons the sequence: pending chunks are cancelled, buffers dropped. */
        public void cancel() {
            finished = true;
            for (ChunkTask t : tasks) {
                t.cancel(false);
                workers.remove(t);
            }
            prefill16 = null;
            prefill32 = null;
            chunk16 = null;
            chunk32 = null;
        }
    }
}
