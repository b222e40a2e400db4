package dev.toploc.internal;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API configuration, chosen once per JVM.
 *
 * <p>Every vector kernel in this package has a scalar twin that computes bit-identical results; the
 * system property {@code -Dtoploc.scalar=true} forces the scalar twins everywhere (useful on platforms
 * where the incubator module is slow or missing, and for differential testing).
 */
public final class Simd {
    private Simd() {
    }

    /** True unless {@code -Dtoploc.scalar=true}, or the preferred species is too narrow to pay. */
    public static final boolean ENABLED =
            !Boolean.getBoolean("toploc.scalar") && IntVector.SPECIES_PREFERRED.length() >= 4;

    public static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED;
    public static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

    /** One line for logs: which path runs and how wide. */
    public static String describe() {
        return ENABLED
                ? "Vector API, " + INTS.vectorBitSize() + "-bit (" + SHORTS.length() + " shorts, " + INTS.length() + " ints per vector)"
                : "scalar (" + (Boolean.getBoolean("toploc.scalar") ? "forced by -Dtoploc.scalar=true" : "no useful vector width") + ")";
    }
}
