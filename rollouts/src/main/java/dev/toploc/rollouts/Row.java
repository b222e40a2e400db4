package dev.toploc.rollouts;

/**
 * One row of a rollout file: a {@link Sample} when its fields could be read, else what was wrong with it
 * (the row becomes a per-sample bad-input result; the rest of the file is still read).
 *
 * @param index   0-based row of the file
 * @param sample  the row's sample, or null
 * @param problem why the row is not a sample (null when it is), naming the field and what was expected
 */
public record Row(int index, Sample sample, String problem) {
    public Row {
        if ((sample == null) == (problem == null)) {
            throw new IllegalArgumentException("a row is either a sample or a problem");
        }
    }

    static Row bad(int index, String problem) {
        return new Row(index, null, problem);
    }
}
