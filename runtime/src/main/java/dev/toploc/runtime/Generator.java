package dev.toploc.runtime;

import dev.toploc.Compute;
import java.util.Arrays;

/**
 * Generates a completion with a KV cache and hands every computed position's final-norm hidden state to
 * a listener (the provider's commit hook): the prompt's rows after the prefill, then one row per decode
 * step. The state of position {@code P-1+i} is the one whose logits chose completion token {@code i}.
 */
public final class Generator {
    private Generator() {
    }

    /** Receives hidden rows in position order: {@code rows} values of {@code count x hidden}, the first at {@code position}. */
    @FunctionalInterface
    public interface HiddenListener {
        void onRows(int position, float[] rows, int count);
    }

    /**
     * The result.
     *
     * @param completion the generated token ids (ending with EOS when it stopped there)
     * @param hidden     final-norm rows of positions {@code 0 .. P+N-2}, row-major
     * @param stoppedAtEos whether generation ended at the EOS token rather than the length limit
     */
    public record Generation(int[] prompt, int[] completion, float[] hidden, boolean stoppedAtEos) {
    }

    /**
     * Runs {@code prompt} and generates up to {@code maxTokens} tokens, stopping after {@code eos} or any other
     * of the model's EOS ids ({@link Model#stopTokens}; {@code -1}: never).
     */
    public static Generation generate(Model model, int[] prompt, int maxTokens, Sampling sampling, int eos,
                                      ComputeMode mode, HiddenListener listener) {
        return generate(model, prompt, maxTokens, sampling, eos, mode, listener, Compute.defaults());
    }

    /** As {@link #generate(Model, int[], int, Sampling, int, ComputeMode, HiddenListener)}, the passes on {@code compute}'s threads. */
    public static Generation generate(Model model, int[] prompt, int maxTokens, Sampling sampling, int eos,
                                      ComputeMode mode, HiddenListener listener, Compute compute) {
        return generate(model, prompt, maxTokens, sampling, model.stopTokens(eos), mode, listener, compute);
    }

    /** As above, stopping after any token of {@code stop} (empty: never). */
    public static Generation generate(Model model, int[] prompt, int maxTokens, Sampling sampling, java.util.Set<Integer> stop,
                                      ComputeMode mode, HiddenListener listener, Compute compute) {
        return generate(model, prompt, maxTokens, sampling, stop, mode, listener, compute, ServingNumerics.DEFAULT);
    }

    /** As above, the provider's passes rounding as {@code numerics} says (GPU serving emulation, {@link ServingNumerics}). */
    public static Generation generate(Model model, int[] prompt, int maxTokens, Sampling sampling, java.util.Set<Integer> stop,
                                      ComputeMode mode, HiddenListener listener, Compute compute, ServingNumerics numerics) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt is empty (expected at least one token)");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens " + maxTokens + " (expected >= 1)");
        }
        int d = model.config().hiddenSize();
        int vocab = model.config().vocabSize();
        long capacity = (long) prompt.length + maxTokens;
        if (capacity > model.config().contextLength()) {
            throw new IllegalArgumentException("a prompt of " + prompt.length + " tokens and up to " + maxTokens + " more need " + capacity
                    + " positions, beyond the model's context of " + model.config().contextLength() + " (max_position_embeddings)");
        }
        int hiddenLength = dev.toploc.Sizes.arrayLength("hidden states of " + (capacity - 1) + " positions", 4, capacity - 1, d);
        Model.Session s = model.session(mode, (int) capacity, compute, numerics);
        float[] rows = s.append(prompt);
        float[] hidden = Arrays.copyOf(rows, hiddenLength);
        if (listener != null) {
            listener.onRows(0, rows, prompt.length);
        }
        int[] out = new int[maxTokens];
        int n = 0;
        float[] last = Arrays.copyOfRange(rows, (prompt.length - 1) * d, prompt.length * d);
        boolean eosHit = false;
        while (true) {
            int pos = prompt.length + n;
            float[] logits = s.logits(last, 0);
            int tok = sampling.choose(logits, 0, vocab, pos);
            out[n++] = tok;
            if (stop.contains(tok)) {
                eosHit = true;
                break;
            }
            if (n == maxTokens) {
                break;
            }
            last = s.append(tok);
            System.arraycopy(last, 0, hidden, pos * d, d);
            if (listener != null) {
                listener.onRows(pos, last, 1);
            }
        }
        int positions = prompt.length + n - 1;
        return new Generation(prompt.clone(), Arrays.copyOf(out, n), Arrays.copyOf(hidden, positions * d), eosHit);
    }
}
