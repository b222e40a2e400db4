package dev.toploc.runtime.internal;

/**
 * Keys and values of every layer for up to {@code capacity} positions, in the compute dtype's values
 * held as fp32. Keys are stored transposed per key/value head ({@code [head][dim][position]}) so scores
 * vectorize across positions; values as {@code [head][position][dim]} so outputs vectorize across dims.
 */
public final class KvCache {
    private final Layer[] layers;
    private final int capacity;
    private int length;

    public KvCache(int numLayers, int kvHeads, int headDim, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("KV cache capacity " + capacity + " (expected >= 1)");
        }
        this.capacity = capacity;
        this.layers = new Layer[numLayers];
        for (int l = 0; l < numLayers; l++) {
            layers[l] = new Layer(kvHeads, headDim, capacity);
        }
    }

    public Layer layer(int l) {
        return layers[l];
    }

    public int capacity() {
        return capacity;
    }

    /** Positions stored so far. */
    public int length() {
        return length;
    }

    public void advance(int tokens) {
        if (length + tokens > capacity) {
            throw new IllegalStateException("KV cache overflow: " + (length + tokens) + " > " + capacity);
        }
        length += tokens;
    }

    /** One layer's keys and values. */
    public static final class Layer {
        private final int kvHeads;
        private final int headDim;
        private final int capacity;
        private final float[] keysT;
        private final float[] values;

        Layer(int kvHeads, int headDim, int capacity) {
            this.kvHeads = kvHeads;
            this.headDim = headDim;
            this.capacity = capacity;
            long size = (long) kvHeads * headDim * capacity;
            if (size > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("KV cache of " + size + " values per layer is too large for one array");
            }
            this.keysT = new float[(int) size];
            this.values = new float[(int) size];
        }

        /** Stores new keys/values ({@code tokens x kvHeads x headDim}) at positions {@code start..}. */
        public void store(float[] k, float[] v, int start, int tokens) {
            for (int t = 0; t < tokens; t++) {
                int s = start + t;
                for (int g = 0; g < kvHeads; g++) {
                    int src = (t * kvHeads + g) * headDim;
                    for (int i = 0; i < headDim; i++) {
                        keysT[keyTIndex(g, i, s)] = k[src + i];
                    }
                    System.arraycopy(v, src, values, valueIndex(g, s, 0), headDim);
                }
            }
        }

        int keyTIndex(int g, int i, int s) {
            return (g * headDim + i) * capacity + s;
        }

        int valueIndex(int g, int s, int i) {
            return (g * capacity + s) * headDim + i;
        }

        float keyT(int g, int i, int s) {
            return keysT[keyTIndex(g, i, s)];
        }

        float value(int g, int s, int i) {
            return values[valueIndex(g, s, i)];
        }

        float[] keysT() {
            return keysT;
        }

        float[] values() {
            return values;
        }
    }
}
