package dev.toploc.runtime;

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
        return generate(model, prompt, maxTokens, sampling, model.stopTokens(eos), mode, listener);
    }

    /** As above, stopping after any token of {@code stop} (empty: never). */
    public static Generation generate(Model model, int[] prompt, int maxTokens, Sampling sampling, java.util.Set<Integer> stop,
                                      ComputeMode mode, HiddenListener listener) {
        if (prompt.length == 0) {
            throw new IllegalArgumentException("prompt is empty (expected at least one token)");
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens " + maxTokens + " (expected >= 1)");
        }
        int d = model.config().hiddenSize();
        int vocab = model.config().vocabSize();
        Model.Session s = model.session(mode, prompt.length + maxTokens);
        float[] rows = s.append(prompt);
        float[] hidden = Arrays.copyOf(rows, (prompt.length + maxTokens - 1) * d);
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
