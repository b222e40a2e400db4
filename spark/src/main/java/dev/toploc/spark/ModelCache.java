package dev.toploc.spark;

import dev.toploc.runtime.Model;
import dev.toploc.runtime.ModelFormatException;
import dev.toploc.runtime.ModelIdentity;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The models loaded in this JVM, so that an executor loads a model once and every task it runs reuses it.
 *
 * <p>This is the project's one JVM-level cache, and deliberately so: Spark gives a task no hook to keep an
 * object across tasks but a static. It is explicit and bounded:
 * <ul>
 *   <li>keyed by the model folder's real path <em>and</em> its identity (weights and config digests): a folder
 *       whose files changed is another key, and an executor whose copy's digests differ from the driver's
 *       ({@link ModelRef}) is refused, naming both;</li>
 *   <li>at most {@link #CAPACITY} models ({@link #SHARED}); the least recently used one that no task holds is
 *       closed (its weights unmapped) to make room; when every cached model is in use, the new one is loaded
 *       for that task alone and closed when it ends;</li>
 *   <li>models are {@link Model#load memory-mapped}: the page cache holds the weights, the heap holds norms only;</li>
 *   <li>it holds no settings: what a task checks and how comes with the task ({@link JobSettings}).</li>
 * </ul>
 * Thread-safe; {@link Model} itself is safe for concurrent forward passes, so concurrent tasks share one.
 */
public final class ModelCache {
    /** Models kept per JVM: a validator checks against one model, a server a few. */
    public static final int CAPACITY = 2;

    /** This JVM's cache (the executors' and, in local mode, the driver's). */
    public static final ModelCache SHARED = new ModelCache(CAPACITY);

    /** What identifies a loaded model. */
    record Key(String directory, String weightsDigest, String configDigest) {
    }

    private static final class Entry {
        final Model model;
        int leases;
        boolean evicted;

        Entry(Model model) {
            this.model = model;
        }
    }

    private final int capacity;
    private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(8, 0.75f, true);
    private long loads;

    /** A cache of at most {@code capacity} models (tests make their own; jobs use {@link #SHARED}). */
    public ModelCache(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity " + capacity + " (expected at least 1)");
        }
        this.capacity = capacity;
    }

    /** A model held by a task; close it when the task is done with the model (the cache may then unmap it). */
    public final class Lease implements AutoCloseable {
        private final Entry entry;
        private final boolean cached;
        private boolean closed;

        private Lease(Entry entry, boolean cached) {
            this.entry = entry;
            this.cached = cached;
        }

        public Model model() {
            return entry.model;
        }

        @Override
        public void close() {
            synchronized (ModelCache.this) {
                if (closed) {
                    return;
                }
                closed = true;
                entry.leases--;
                if ((!cached || entry.evicted) && entry.leases == 0) {
                    entry.model.close();
                }
            }
        }
    }

    /** The model {@code ref} names, loaded once; refused when this JVM's copy has other digests. */
    public synchronized Lease acquire(ModelRef ref) throws ModelFormatException, IOException {
        Key key = new Key(ref.directory(), ref.weightsDigest(), ref.configDigest());
        Entry e = entries.get(key);
        if (e != null) {
            e.leases++;
            return new Lease(e, true);
        }
        Model m = Model.load(Path.of(ref.directory()));
        loads++;
        try {
            ModelIdentity id = m.identity();
            if (!id.weightsDigest().equals(ref.weightsDigest()) || !id.configDigest().equals(ref.configDigest())) {
                throw new ModelFormatException(ref.directory() + ": this JVM's copy of the model has weights sha256 " + id.weightsDigest()
                        + " and config sha256 " + id.configDigest() + ", the job expects " + ref.weightsDigest() + " and " + ref.configDigest()
                        + " (every executor must read the same model files)");
            }
        } catch (ModelFormatException | IOException | RuntimeException ex) {
            m.close();
            throw ex;
        }
        return insert(key, m);
    }

    /** The model in the folder {@code realDir} as it is now: loaded, identified, and cached under that identity. */
    synchronized Lease acquireByPath(Path realDir) throws ModelFormatException, IOException {
        Model m = Model.load(realDir);
        loads++;
        Key key;
        try {
            ModelIdentity id = m.identity();
            key = new Key(realDir.toString(), id.weightsDigest(), id.configDigest());
        } catch (IOException | RuntimeException ex) {
            m.close();
            throw ex;
        }
        Entry e = entries.get(key);
        if (e != null) {
            m.close();
            e.leases++;
            return new Lease(e, true);
        }
        return insert(key, m);
    }

    private Lease insert(Key key, Model m) {
        for (Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator(); entries.size() >= capacity && it.hasNext(); ) {
            Entry old = it.next().getValue();
            if (old.leases == 0) {
                it.remove();
                old.evicted = true;
                old.model.close();
            }
        }
        Entry e = new Entry(m);
        e.leases = 1;
        if (entries.size() >= capacity) {
            return new Lease(e, false);    // every cached model is in use: this one lives for this lease only
        }
        entries.put(key, e);
        return new Lease(e, true);
    }

    /** Models loaded from disk by this cache so far (a cache hit loads nothing). */
    public synchronized long loads() {
        return loads;
    }

    /** Models cached now. */
    public synchronized int size() {
        return entries.size();
    }
}
