package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The modules' encapsulation is real, and the README says what they export.
 *
 * <p>The tests run on the class path (surefire {@code useModulePath=false}), where the JVM enforces no module
 * boundary; so this test enforces it on the compiled code. It reads each library module's descriptor from its
 * build output (jar or classes folder; {@link ModuleDescriptor#read}, or {@link ModuleFinder} for the rollouts
 * jar, an automatic module) and every class file of every module and of the CLI (an unnamed module), and
 * collects, from each class's constant pool, the classes it references (class entries, field, method and
 * signature descriptors; string constants are not references). A reference from one module into another
 * module's package must be to an exported package, or to one exported to the referring module by name; the
 * CLI, unnamed, may use unqualified exports only. A qualified export that its target never uses is a failure
 * too (no export "just in case").
 */
class ModuleEncapsulationTest {
    /** README's module column → module name. */
    static final Map<String, String> ARTIFACT_TO_MODULE = Map.of(
            "core", "dev.toploc.core",
            "runtime", "dev.toploc.runtime",
            "cuda-bridge", "dev.toploc.cuda",
            "rollouts", "dev.toploc.rollouts",
            "calibration", "dev.toploc.calibration",
            "test-vectors", "dev.toploc.vectors");

    /** One class in each library module (finds its jar or classes folder). */
    static final Map<String, Class<?>> ANCHORS = Map.of(
            "dev.toploc.core", dev.toploc.Commit.class,
            "dev.toploc.runtime", dev.toploc.runtime.Model.class,
            "dev.toploc.cuda", dev.toploc.cuda.CudaBackend.class,
            "dev.toploc.rollouts", dev.toploc.rollouts.RolloutValidator.class,
            "dev.toploc.calibration", dev.toploc.calibration.Calibration.class,
            "dev.toploc.vectors", dev.toploc.vectors.TestVectors.class);

    /** The CLI's name in the reports: it is an unnamed module (launched on the class path). */
    static final String CLI = "the CLI (unnamed)";

    static Map<String, ModuleDescriptor> descriptors;
    static Map<String, Path> locations;

    @BeforeAll
    static void readModules() throws Exception {
        descriptors = new TreeMap<>();
        locations = new TreeMap<>();
        for (var e : ANCHORS.entrySet()) {
            Path where = location(e.getValue());
            ModuleDescriptor d = descriptor(where, e.getKey());
            assertEquals(e.getKey(), d.name(), where + ": module name");
            descriptors.put(d.name(), d);
            locations.put(d.name(), where);
        }
        locations.put(CLI, location(Toploc.class));
    }

    @Test
    void noClassReachesIntoAnotherModulesUnexportedPackage() throws IOException {
        List<String> problems = violations(descriptors, references(locations));
        assertEquals(List.of(), problems, "references into packages their module does not export to the referrer");
    }

    @Test
    void theCliIsUnnamedAndEveryLibraryModuleIsNamedOrAutomaticByName() throws IOException {
        assertFalse(Files.exists(locations.get(CLI).resolve("module-info.class")), "the CLI stays on the class path");
        for (var d : descriptors.values()) {
            // only rollouts is automatic (Parquet's split packages, see rollouts/pom.xml)
            assertEquals(d.name().equals("dev.toploc.rollouts"), d.isAutomatic(), d.name() + " automatic?");
        }
    }

    /**
     * Negative control: a class compiled here against the real class path that calls core's internal
     * {@code Base64s} is caught as the CLI's; the same class counted as calibration's is caught (the package is
     * exported to the runtime only); a class using only exported API is not. Shows the check can fail, and on
     * what.
     */
    @Test
    void anInternalReferenceIsCaught(@TempDir Path dir) throws IOException {
        Path classes = compile(dir, "Probe", """
                package dev.toploc.cli;
                final class Probe {
                    static byte[] decode(String s) {
                        return dev.toploc.internal.Base64s.decodeStrict(s);
                    }
                }
                """);
        Path clean = compile(dir.resolve("clean"), "Clean", """
                package dev.toploc.cli;
                final class Clean {
                    static String path() {
                        return dev.toploc.Compute.vectorPath();
                    }
                }
                """);
        Map<String, Map<String, Set<String>>> refs = new TreeMap<>();
        refs.put(CLI, references(classes));
        List<String> asCli = violations(descriptors, refs);
        assertEquals(1, asCli.size(), asCli.toString());
        assertTrue(asCli.get(0).contains("dev/toploc/cli/Probe") && asCli.get(0).contains("dev.toploc.internal")
                && asCli.get(0).contains("dev.toploc.core"), asCli.get(0));

        refs.clear();
        refs.put("dev.toploc.calibration", references(classes));
        // (it also reports the probe's package as no module's, and calibration's qualified export as unused here)
        List<String> asCalibration = violations(descriptors, refs).stream().filter(p -> p.contains("does not export")).toList();
        assertEquals(1, asCalibration.size(), asCalibration.toString());
        assertTrue(asCalibration.get(0).contains("dev.toploc.internal"), asCalibration.get(0));

        refs.clear();
        refs.put(CLI, references(clean));
        assertEquals(List.of(), violations(descriptors, refs));
    }

    /** Negative control for the unused-export rule: a qualified export nobody in its target uses is reported. */
    @Test
    void anUnusedQualifiedExportIsCaught() {
        Map<String, ModuleDescriptor> ds = new TreeMap<>(descriptors);
        ModuleDescriptor core = ds.get("dev.toploc.core");
        ModuleDescriptor.Builder extra = ModuleDescriptor.newModule(core.name()).packages(core.packages());
        core.exports().stream().filter(x -> !x.isQualified()).forEach(extra::exports);
        extra.exports(Set.of(), "dev.toploc.internal", Set.of("dev.toploc.rollouts"));
        ds.put(core.name(), extra.build());
        List<String> p = violations(ds, Map.of("dev.toploc.rollouts", Map.of()));
        assertEquals(List.of("dev.toploc.core exports dev.toploc.internal to dev.toploc.rollouts, which never uses it"), p);
    }

    // ------------------------------------------------------------------------------------------------ README

    @Test
    void theReadmesStableApiTableListsExactlyTheExportedPackages() throws IOException {
        String readme = Files.readString(repositoryRoot().resolve("README.md"));
        assertEquals(List.of(), tableMismatches(readme, descriptors));
    }

    /** Negative control: a row left out, a row too many and a row under the wrong module are each reported. */
    @Test
    void aTableThatDiffersFromTheExportsIsCaught() throws IOException {
        String readme = Files.readString(repositoryRoot().resolve("README.md"));
        String missing = readme.replaceAll("(?m)^\\| `dev\\.toploc\\.policy` \\(core\\).*\\n", "");
        assertEquals(List.of("exported but not in the README's Stable API table: dev.toploc.policy (dev.toploc.core)"),
                tableMismatches(missing, descriptors));
        String extra = readme.replace("| `dev.toploc.attest` (core)", "| `dev.toploc.internal` (core) | x |\n| `dev.toploc.attest` (core)");
        assertEquals(List.of("in the README's Stable API table but not exported: dev.toploc.internal"), tableMismatches(extra, descriptors));
        String moved = readme.replace("| `dev.toploc.attest` (core)", "| `dev.toploc.attest` (runtime)");
        assertEquals(List.of("README's Stable API table puts dev.toploc.attest in runtime, but dev.toploc.core exports it"),
                tableMismatches(moved, descriptors));
        assertEquals(List.of("README has no \"## Stable API\" table"), tableMismatches("# toploc\n", descriptors));
    }

    static final Pattern ROW = Pattern.compile("^\\| `([a-z][a-z0-9.]*)` \\(([a-z-]+)\\) \\|");

    /** What differs between the README's Stable API table (package, module) and the modules' unqualified exports. */
    static List<String> tableMismatches(String readme, Map<String, ModuleDescriptor> modules) {
        Map<String, String> table = new LinkedHashMap<>();     // package -> artifact
        boolean in = false;
        boolean seen = false;
        for (String line : readme.split("\n")) {
            if (line.startsWith("## ")) {
                in = line.strip().equals("## Stable API");
                seen |= in;
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (in && m.find()) {
                table.put(m.group(1), m.group(2));
            }
        }
        if (!seen || table.isEmpty()) {
            return List.of("README has no \"## Stable API\" table");
        }
        Map<String, String> exported = new TreeMap<>();  // package -> module
        for (ModuleDescriptor d : modules.values()) {
            if (d.isAutomatic()) {
                d.packages().forEach(p -> exported.put(p, d.name()));
            } else {
                d.exports().stream().filter(x -> !x.isQualified()).forEach(x -> exported.put(x.source(), d.name()));
            }
        }
        List<String> problems = new ArrayList<>();
        for (var e : exported.entrySet()) {
            if (!table.containsKey(e.getKey())) {
                problems.add("exported but not in the README's Stable API table: " + e.getKey() + " (" + e.getValue() + ")");
            }
        }
        for (var e : table.entrySet()) {
            String module = exported.get(e.getKey());
            if (module == null) {
                problems.add("in the README's Stable API table but not exported: " + e.getKey());
            } else if (!module.equals(ARTIFACT_TO_MODULE.get(e.getValue()))) {
                problems.add("README's Stable API table puts " + e.getKey() + " in " + e.getValue() + ", but " + module + " exports it");
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------------------------------------ checks

    /**
     * @param refs module name (or {@link #CLI}) → class file name → the packages (dotted) its constant pool references
     * @return one line per reference that crosses into a package its module does not export to the referrer, and
     *         one per qualified export (among the modules in {@code refs}) its target never uses
     */
    static List<String> violations(Map<String, ModuleDescriptor> modules, Map<String, Map<String, Set<String>>> refs) {
        Map<String, String> owner = new TreeMap<>();
        modules.values().forEach(d -> d.packages().forEach(p -> owner.put(p, d.name())));
        List<String> problems = new ArrayList<>();
        Set<String> usedQualified = new HashSet<>();   // "module/package->target"
        for (var byModule : refs.entrySet()) {
            String from = byModule.getKey();
            for (var byClass : byModule.getValue().entrySet()) {
                for (String pkg : byClass.getValue()) {
                    String to = owner.get(pkg);
                    if (to == null) {
                        if (!from.equals(CLI) || !pkg.startsWith("dev.toploc.cli")) {
                            problems.add(byClass.getKey() + " (" + from + ") references " + pkg + ", a package of no module");
                        }
                        continue;
                    }
                    if (to.equals(from)) {
                        continue;
                    }
                    ModuleDescriptor d = modules.get(to);
                    if (d.isAutomatic() || d.exports().stream().anyMatch(x -> x.source().equals(pkg) && !x.isQualified())) {
                        continue;
                    }
                    boolean toFrom = d.exports().stream().anyMatch(x -> x.source().equals(pkg) && x.targets().contains(from));
                    if (toFrom) {
                        usedQualified.add(to + "/" + pkg + "->" + from);
                    } else {
                        problems.add(byClass.getKey() + " (" + from + ") references " + pkg + ", which " + to
                                + " does not export" + (from.equals(CLI) ? "" : " to " + from));
                    }
                }
            }
        }
        for (ModuleDescriptor d : modules.values()) {
            for (var x : d.exports()) {
                for (String target : x.targets()) {
                    if (refs.containsKey(target) && !usedQualified.contains(d.name() + "/" + x.source() + "->" + target)) {
                        problems.add(d.name() + " exports " + x.source() + " to " + target + ", which never uses it");
                    }
                }
            }
        }
        return problems;
    }

    static Map<String, Map<String, Set<String>>> references(Map<String, Path> where) throws IOException {
        Map<String, Map<String, Set<String>>> out = new TreeMap<>();
        for (var e : where.entrySet()) {
            out.put(e.getKey(), references(e.getValue()));
        }
        return out;
    }

    /** Class file name → the dev.toploc packages its constant pool references, for each class under {@code root}. */
    static Map<String, Set<String>> references(Path root) throws IOException {
        Map<String, Set<String>> out = new TreeMap<>();
        if (Files.isDirectory(root)) {
            try (Stream<Path> s = Files.walk(root)) {
                for (Path p : s.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().equals("module-info.class")).toList()) {
                    out.put(root.relativize(p).toString(), referencedPackages(Files.readAllBytes(p)));
                }
            }
        } else {
            try (JarFile jar = new JarFile(root.toFile())) {
                for (var en : jar.stream().filter(x -> x.getName().endsWith(".class") && !x.getName().endsWith("module-info.class")
                        && !x.getName().startsWith("META-INF/")).toList()) {
                    try (InputStream in = jar.getInputStream(en)) {
                        out.put(en.getName(), referencedPackages(in.readAllBytes()));
                    }
                }
            }
        }
        assertFalse(out.isEmpty(), root + ": no classes");
        return out;
    }

    private static final Pattern DESCRIPTOR_REF = Pattern.compile("L(dev/toploc/[A-Za-z0-9_$/]+)[;<]");

    /**
     * The dev.toploc packages a class file references: the names of its CONSTANT_Class entries, and the class
     * names inside every other UTF-8 entry that is not a string constant's text (field, method and generic
     * signature descriptors, method types). JVMS 4.4.
     */
    static Set<String> referencedPackages(byte[] classFile) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(classFile));
        if (in.readInt() != 0xCAFEBABE) {
            throw new IOException("not a class file");
        }
        in.readUnsignedShort();
        in.readUnsignedShort();
        int n = in.readUnsignedShort();
        String[] utf8 = new String[n];
        Set<Integer> classNames = new HashSet<>();
        Set<Integer> strings = new HashSet<>();
        for (int i = 1; i < n; i++) {
            int tag = in.readUnsignedByte();
            switch (tag) {
                case 1 -> utf8[i] = in.readUTF();
                case 7 -> classNames.add(in.readUnsignedShort());
                case 8 -> strings.add(in.readUnsignedShort());
                case 16, 19, 20 -> in.readUnsignedShort();          // MethodType, Module, Package
                case 15 -> {                                         // MethodHandle
                    in.readUnsignedByte();
                    in.readUnsignedShort();
                }
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.readInt();   // Integer, Float, refs, NameAndType, Dynamic
                case 5, 6 -> {                                       // Long, Double: two slots
                    in.readLong();
                    i++;
                }
                default -> throw new IOException("constant pool tag " + tag + " at " + i);
            }
        }
        Set<String> pkgs = new TreeSet<>();
        for (int i = 1; i < n; i++) {
            if (utf8[i] == null || strings.contains(i) && !classNames.contains(i)) {
                continue;
            }
            String s = utf8[i];
            if (classNames.contains(i)) {
                String name = s.replaceFirst("^\\[+L", "").replaceFirst(";$", "");
                if (name.startsWith("dev/toploc/")) {
                    pkgs.add(packageOf(name));
                }
            }
            Matcher m = DESCRIPTOR_REF.matcher(s);
            while (m.find()) {
                pkgs.add(packageOf(m.group(1)));
            }
        }
        return pkgs;
    }

    private static String packageOf(String internalName) {
        return internalName.substring(0, internalName.lastIndexOf('/')).replace('/', '.');
    }

    // ------------------------------------------------------------------------------------------------ helpers

    static Path location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The module descriptor of a jar (ModuleFinder: explicit or automatic) or of a classes folder. */
    static ModuleDescriptor descriptor(Path where, String automaticName) throws IOException {
        if (Files.isDirectory(where)) {
            Path info = where.resolve("module-info.class");
            if (Files.exists(info)) {
                try (InputStream in = Files.newInputStream(info)) {
                    return ModuleDescriptor.read(in, () -> packagesUnder(where));
                }
            }
            // a classes folder has no manifest: what the jar's Automatic-Module-Name makes of it
            return ModuleDescriptor.newAutomaticModule(automaticName).packages(packagesUnder(where)).build();
        }
        List<ModuleReference> found = new ArrayList<>(ModuleFinder.of(where).findAll());
        assertEquals(1, found.size(), where.toString());
        return found.get(0).descriptor();
    }

    private static Set<String> packagesUnder(Path root) {
        try (Stream<Path> s = Files.walk(root)) {
            Set<String> out = new TreeSet<>();
            s.filter(f -> f.toString().endsWith(".class") && !f.getFileName().toString().equals("module-info.class"))
                    .forEach(f -> out.add(root.relativize(f.getParent()).toString().replace('/', '.')));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path repositoryRoot() {
        return Path.of(System.getProperty("toploc.testVectors")).toAbsolutePath().getParent();
    }

    /** Compiles one source against this test's class path into {@code dir}/classes. */
    static Path compile(Path dir, String name, String source) throws IOException {
        Path src = dir.resolve("src/dev/toploc/cli/" + name + ".java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path out = Files.createDirectories(dir.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int rc = javac.run(null, null, null, "-proc:none", "-d", out.toString(), "-cp", System.getProperty("java.class.path"),
                "--add-modules", "jdk.incubator.vector", src.toString());
        assertEquals(0, rc, "javac " + name);
        return out;
    }
}
