package dev.toploc.rollouts;

/** A sample's verdict. */
public enum Verdict {
    /** Every commit is within the policy under one position convention (or nothing was committed, see {@link SampleResult#checked()}). */
    ACCEPT("accept"),
    /** The commits do not match the recomputation under any convention tried. */
    REJECT("reject"),
    /** The row cannot be checked: malformed ids or proofs, a commit count no convention expects, a token outside the vocabulary. */
    BAD_INPUT("bad-input");

    private final String wireName;

    Verdict(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
