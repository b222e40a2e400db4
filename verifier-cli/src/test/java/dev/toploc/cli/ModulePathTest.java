package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.runtime.ComputeMode;
import dev.toploc.runtime.Model;
import java.io.File;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolvedModule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module descriptors hold at run time, where the JVM enforces them: the library modules are put on a real
 * module path (resolved from their descriptors, with the explicit modules they require and the automatic ones they name: DJL, JFreeChart, Batik)
 * and a program in the unnamed module loads the embedded model and prefills it, which crosses the qualified
 * export of core's kernels to the runtime; its states are bit-identical to this (class path) JVM's. Negative
 * control: the same program calling core's internal {@code Base64s} is stopped by the JVM.
 */
class ModulePathTest {
    static final List<String> ROOTS = List.of("dev.toploc.runtime", "dev.toploc.cuda", "dev.toploc.calibration");

    /** The module path the roots resolve to, from this test's class path. */
    static String modulePath() {
        Map<String, Path> byName = new LinkedHashMap<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e);
            if (!Files.exists(p)) {
                continue;
            }
            try {
                for (ModuleReference r : ModuleFinder.of(p).findAll()) {
                    ModuleDescriptor d = r.descriptor();
                    // Parquet/Hadoop's automatic modules split packages: only the automatic modules the library's
                    // modules require go on the path (DJL's for tokenizers; JFreeChart's and Batik's for the figures)
                    if (!d.isAutomatic() || d.name().startsWith("ai.djl.") || d.name().startsWith("org.jfree.")
                            || d.name().startsWith("org.apache.xmlgraphics.")) {
                        byName.putIfAbsent(d.name(), p);
                    }
                }
            } catch (FindException ignored) {
                // a jar whose file name makes no module name stays off the module path
            }
        }
        Configuration cf = Configuration.resolve(ModuleFinder.of(byName.values().toArray(Path[]::new)),
                List.of(ModuleLayer.boot().configuration()), ModuleFinder.of(), ROOTS);
        List<String> path = new ArrayList<>();
        for (ResolvedModule m : cf.modules()) {
            path.add(Path.of(m.reference().location().orElseThrow()).toString());
        }
        return String.join(File.pathSeparator, path);
    }

    private static final String PROBE = """
            import java.nio.file.Path;
            public class Probe {
                public static void main(String[] a) throws Exception {
                    if (a[0].equals("internal")) {
                        try {
                            dev.toploc.internal.Base64s.decodeStrict("");
                            System.out.println("reached an internal package");
                        } catch (IllegalAccessError e) {
                            System.out.println("blocked: " + e.getMessage());
                        }
                        return;
                    }
                    System.out.println("module " + dev.toploc.runtime.Model.class.getModule().getName()
                            + " " + dev.toploc.Compute.class.getModule().getName());
                    var m = dev.toploc.runtime.Model.load(Path.of(a[1]));
                    float[] h = m.prefill(new int[] {1, 2, 3, 4, 5}, dev.toploc.runtime.ComputeMode.FP32,
                            dev.toploc.Compute.defaults().withThreads(1));
                    System.out.println("states " + java.util.Arrays.hashCode(h));
                }
            }
            """;

    static String run(Path dir, String... args) throws Exception {
        Path classes = ModuleEncapsulationTest.compile(dir, "Probe", PROBE);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--module-path", modulePath(), "--add-modules", String.join(",", ROOTS),
                "--enable-native-access=ALL-UNNAMED,dev.toploc.cuda,dev.toploc.runtime", "-cp", classes.toString(), "Probe"));
        cmd.addAll(Arrays.asList(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "probe timed out");
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void theLibraryRunsAsNamedModulesAndGivesTheSameStates(@TempDir Path dir) throws Exception {
        Path model = Path.of(System.getProperty("toploc.models"), "tiny-fortunes-llama");
        String out = run(dir.resolve("run"), "prefill", model.toString());
        assertTrue(out.contains("module dev.toploc.runtime dev.toploc.core"), out);
        float[] here = Model.load(model).prefill(new int[] {1, 2, 3, 4, 5}, ComputeMode.FP32, dev.toploc.Compute.defaults().withThreads(1));
        assertTrue(out.contains("states " + Arrays.hashCode(here)), out + " (expected states " + Arrays.hashCode(here) + ")");
    }

    @Test
    void anInternalPackageIsClosedToTheUnnamedModule(@TempDir Path dir) throws Exception {
        String out = run(dir, "internal");
        assertTrue(out.contains("blocked: ") && out.contains("dev.toploc.internal") && out.contains("does not export"), out);
    }

    @Test
    void theModulePathHoldsNoParquetAndTheProjectsModules() {
        String path = modulePath();
        List<String> names = Arrays.stream(path.split(File.pathSeparator)).map(s -> Path.of(s).getFileName().toString()).collect(Collectors.toList());
        assertTrue(names.stream().noneMatch(n -> n.contains("parquet") || n.contains("hadoop")), names.toString());
        assertTrue(names.stream().anyMatch(n -> n.contains("polyglot")), names.toString());
    }
}
