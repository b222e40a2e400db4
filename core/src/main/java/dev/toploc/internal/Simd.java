package dev.toploc.internal;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API configuration, chosen once per JVM.
 *
 * <p>Every vector kernel in this package has a scalar twin that computes bit-identical results. The
 * vector path runs when the incubator module is present ({@code --add-modules jdk.incubator.vector}) and
 * the hardware has at least 128-bit vectors; {@code -Dtoploc.scalar=true} forces the scalar twins (for
 * differential testing, or where the incubator module is slow). Without the module the core library
 * still works, on the scalar path: nothing touches a vector class unless {@link #ENABLED} is true.
 */
public final class Simd {
    private Simd() {
    }

    private static final boolean MODULE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    /** Whether the vector kernels run. */
    public static final boolean ENABLED = !Boolean.getBoolean("toploc.scalar") && MODULE && Species.INTS.length() >= 4;

    /** The species, in a holder so that nothing loads vector classes when the module is absent. */
    public static final class Species {
        private Species() {
        }

        public static final VectorSpecies<Short> SHORTS = ShortVector.SPECIES_PREFERRED;
        public static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    }

    /** One line for logs: which path runs and how wide. */
    public static String describe() {
        if (ENABLED) {
            return "Vector API, " + Species.INTS.vectorBitSize() + "-bit (" + Species.SHORTS.length() + " shorts, "
                    + Species.INTS.length() + " ints per vector)";
        }
        String why = Boolean.getBoolean("toploc.scalar") ? "forced by -Dtoploc.scalar=true"
                : !MODULE ? "module jdk.incubator.vector not added (--add-modules jdk.incubator.vector)" : "no useful vector width";
        return "scalar (" + why + ")";
    }
}
