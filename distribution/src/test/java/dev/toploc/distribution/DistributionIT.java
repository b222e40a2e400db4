package dev.toploc.distribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution archive as a user gets it: unpacked into a fresh directory, started through a symlink on
 * {@code PATH} from an unrelated working directory, with nothing of the checkout in reach. Every launcher run here
 * is the real script with the real JVM; the agent that writes the stream probe is a real Java agent.
 */
class DistributionIT {
    static final Path ARCHIVE = Path.of(System.getProperty("toploc.distribution.archive"));
    static final String VERSION = System.getProperty("toploc.distribution.version");
    static final Path CHECKOUT = Path.of(System.getProperty("toploc.checkout")).toAbsolutePath().normalize();

    @TempDir
    static Path tmp;
    static Path home;
    static Path pathDir;
    static Path elsewhere;
    static Path agentJar;

    record Run(int code, byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void unpack() throws Exception {
        assertTrue(Files.isRegularFile(ARCHIVE), ARCHIVE + " was not built");
        Path root = Files.createDirectories(tmp.resolve("install"));
        Run untar = run(List.of("tar", "xzf", ARCHIVE.toString(), "-C", root.toString()), tmp, Map.of());
        assertEquals(0, untar.code(), untar.text());
        home = root.resolve("toploc-" + VERSION);
        pathDir = Files.createDirectories(tmp.resolve("path-bin"));
        Files.createSymbolicLink(pathDir.resolve("toploc"), home.resolve("bin/toploc"));
        elsewhere = Files.createDirectories(tmp.resolve("some other dir"));
        agentJar = streamsAgentJar(tmp.resolve("streams-agent.jar"));
    }

    @Test
    void archive_holdsTheLauncherTheJarsTheModelsAndTheDocs_inBothFormats() throws Exception {
        assertTrue(Files.isExecutable(home.resolve("bin/toploc")), "bin/toploc is not executable");
        assertTrue(Files.isRegularFile(home.resolve("lib/find-jdk.sh")));
        try (Stream<Path> jars = Files.list(home.resolve("lib"))) {
            List<String> names = jars.map(p -> p.getFileName().toString()).toList();
            assertTrue(names.contains("toploc-verifier-cli-" + VERSION + ".jar"), names.toString());
            assertTrue(names.stream().anyMatch(n -> n.startsWith("picocli-")), names.toString());
        }
        for (String m : new String[] {"tiny-fortunes-llama", "tiny-fortunes-llama-b"}) {
            assertTrue(Files.isRegularFile(home.resolve("models").resolve(m).resolve("model.safetensors")), m);
            assertEquals(Files.size(CHECKOUT.resolve("test-vectors/models").resolve(m).resolve("model.safetensors")),
                    Files.size(home.resolve("models").resolve(m).resolve("model.safetensors")), m);
        }
        for (String f : new String[] {"README.md", "NOTICE.md", "THIRD-PARTY.txt", "docs/cli.md", "models/README.md"}) {
            assertTrue(Files.isRegularFile(home.resolve(f)), f);
        }
        assertTrue(Files.readString(home.resolve("THIRD-PARTY.txt")).contains("info.picocli:picocli"));

        // the zip holds the same files, bin/toploc with the executable mode
        Path zip = ARCHIVE.resolveSibling(ARCHIVE.getFileName().toString().replace(".tar.gz", ".zip"));
        Set<String> inZip = new TreeSet<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            z.stream().filter(e -> !e.isDirectory()).forEach(e -> inZip.add(e.getName()));
        }
        Set<String> inTar = new TreeSet<>();
        try (Stream<Path> all = Files.walk(home.getParent())) {
            all.filter(Files::isRegularFile).forEach(p -> inTar.add(home.getParent().relativize(p).toString()));
        }
        assertEquals(inTar, inZip);
        Run info = run(List.of("zipinfo", zip.toString(), "toploc-" + VERSION + "/bin/toploc"), tmp, Map.of());
        assertEquals(0, info.code(), info.text());
        assertTrue(info.text().startsWith("-rwxr-xr-x"), info.text());
    }

    @Test
    void demo_runsFromTheUnpackedArchive_throughASymlinkOnPath_fromAnotherDirectory() throws Exception {
        Run demo = run(List.of("env", "toploc", "demo"), elsewhere, Map.of("PATH", pathDir + ":" + System.getenv("PATH")));
        assertEquals(0, demo.code(), demo.text());
        assertTrue(demo.text().contains("model A: " + home.resolve("models/tiny-fortunes-llama") + " "), demo.text());
        assertTrue(demo.text().contains("every honest run was accepted and every tamper rejected"), demo.text());
        try (Stream<Path> left = Files.list(elsewhere)) {
            assertEquals(0, left.count(), "the demo wrote into the working directory");
        }

        // negative control: the models come from the archive's own models/, nowhere else
        Path moved = home.resolve("models-moved");
        Files.move(home.resolve("models"), moved);
        try {
            Run missing = run(List.of("env", "toploc", "demo"), elsewhere, Map.of("PATH", pathDir + ":" + System.getenv("PATH")));
            assertEquals(2, missing.code(), missing.text());
            assertTrue(missing.text().contains("error: the embedded model tiny-fortunes-llama is not in " + home.resolve("models")),
                    missing.text());
            assertFalse(missing.text().contains("\tat "), "a stack trace: " + missing.text());
        } finally {
            Files.move(moved, home.resolve("models"));
        }
    }

    @Test
    void launcher_keepsStdoutAndStderrUnfilteredAndInOrder() throws Exception {
        Run r = runWithAgent(List.of("env", "toploc", "--version"));
        assertEquals(0, r.code(), r.text());
        assertStreamsIntact(r);

        // negative control: the same probe through the former launcher's stderr filter (a grep in a process
        // substitution) sees the NUL line vanish
        Path filtered = home.resolve("bin/toploc-filtered");
        String script = Files.readString(home.resolve("bin/toploc"));
        String call = "dev.toploc.cli.Toploc \"$@\"";
        assertTrue(script.contains(call), script);
        Files.writeString(filtered, script.replace(call, call + " 2> >(grep -v '^WARNING: Using incubator modules' >&2)"));
        try {
            Run old = run(List.of("bash", filtered.toString(), "--version"), elsewhere,
                    Map.of("JDK_JAVA_OPTIONS", "-javaagent:" + agentJar));
            assertFalse(old.text().contains(String.join("", StreamsAgent.LINES)), old.text());
            assertFalse(old.text().contains(StreamsAgent.LINES[1]), old.text());
        } finally {
            Files.delete(filtered);
        }
    }

    @Test
    void checkoutLauncher_worksThroughASymlink_fromAnotherDirectory_withItsStreamsIntact() throws Exception {
        Path launcher = CHECKOUT.resolve("toploc");
        Path jar = CHECKOUT.resolve("verifier-cli/target/toploc-verifier-cli-" + VERSION + ".jar");
        Assumptions.assumeTrue(upToDate(jar), "the checkout's CLI jar is missing or older than the sources: ./toploc "
                + "would start a build; run the test in the reactor (./mvnw verify)");
        Path link = Files.createDirectories(tmp.resolve("checkout-path-bin"));
        Files.deleteIfExists(link.resolve("toploc"));
        Files.createSymbolicLink(link.resolve("toploc"), launcher);
        Run r = run(List.of("env", "toploc", "--version"), elsewhere,
                Map.of("PATH", link + ":" + System.getenv("PATH"), "JDK_JAVA_OPTIONS", "-javaagent:" + agentJar));
        assertEquals(0, r.code(), r.text());
        assertFalse(r.text().contains("toploc: building"), r.text());
        assertStreamsIntact(r);
    }

    @Test
    void plainMaven_onAnOlderJdk_saysTheProjectNeedsJdk25() throws Exception {
        Path mvn = Path.of(System.getProperty("toploc.maven.home"), "bin", "mvn");
        Assumptions.assumeTrue(Files.isExecutable(mvn), "no Maven home: " + mvn);
        Path oldJdk = olderJdk();
        Assumptions.assumeTrue(oldJdk != null, "no JDK older than 25 installed under /usr/lib/jvm or /opt");
        List<String> cmd = List.of(mvn.toString(), "-B", "-o", "-N", "-Dmaven.repo.local=" + System.getProperty("toploc.maven.repo"),
                "validate");
        Run old = run(cmd, CHECKOUT, Map.of("JAVA_HOME", oldJdk.toString(), "MAVEN_OPTS", ""));
        assertNotEquals(0, old.code(), old.text());
        assertTrue(old.text().contains("toploc needs JDK 25 or newer to build"), old.text());
        assertFalse(old.text().contains("Unrecognized option"), old.text());

        // control: the same command on this JDK 25 passes the check
        Run current = run(cmd, CHECKOUT, Map.of("JAVA_HOME", System.getProperty("java.home"), "MAVEN_OPTS", ""));
        assertEquals(0, current.code(), current.text());
    }

    /** The agent's lines, in order and byte for byte (the NUL kept), then the CLI's own output after them. */
    static void assertStreamsIntact(Run r) {
        String probe = String.join("", StreamsAgent.LINES);
        int at = r.text().indexOf(probe);
        assertTrue(at >= 0, "the agent's stdout/stderr lines are not there in order, byte for byte:\n" + r.text());
        assertTrue(r.text().indexOf("toploc 0.1.0") > at, r.text());
        assertEquals(1, r.text().chars().filter(c -> c == 0).count(), r.text());
    }

    static Run runWithAgent(List<String> cmd) throws Exception {
        return run(cmd, elsewhere, Map.of("PATH", pathDir + ":" + System.getenv("PATH"), "JDK_JAVA_OPTIONS", "-javaagent:" + agentJar));
    }

    /**
     * Runs with stdout and stderr into one pipe; returns the exit code and every byte. A command found on
     * {@code PATH} is started as {@code env NAME}, so that the PATH given here is the one searched, as in a shell.
     */
    static Run run(List<String> cmd, Path dir, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().remove("JDK_JAVA_OPTIONS");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes();
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "did not finish: " + cmd);
        return new Run(p.exitValue(), out);
    }

    /** A jar holding {@link StreamsAgent} with its Premain-Class. */
    static Path streamsAgentJar(Path jar) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(new Attributes.Name("Premain-Class"), StreamsAgent.class.getName());
        String entry = StreamsAgent.class.getName().replace('.', '/') + ".class";
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, mf);
             InputStream cls = StreamsAgent.class.getClassLoader().getResourceAsStream(entry)) {
            jos.putNextEntry(new JarEntry(entry));
            cls.transferTo(jos);
            jos.closeEntry();
        }
        return jar;
    }

    /** As ./toploc decides: the jar exists and no module's src/main file nor the root pom is newer. */
    static boolean upToDate(Path jar) throws IOException {
        if (!Files.isRegularFile(jar)) {
            return false;
        }
        FileTime built = Files.getLastModifiedTime(jar);
        if (Files.getLastModifiedTime(CHECKOUT.resolve("pom.xml")).compareTo(built) > 0) {
            return false;
        }
        List<Path> mains = new ArrayList<>();
        try (Stream<Path> modules = Files.list(CHECKOUT)) {
            modules.map(m -> m.resolve("src/main")).filter(Files::isDirectory).forEach(mains::add);
        }
        for (Path main : mains) {
            try (Stream<Path> files = Files.walk(main)) {
                if (files.anyMatch(f -> {
                    try {
                        return Files.getLastModifiedTime(f).compareTo(built) > 0;
                    } catch (IOException e) {
                        return true;
                    }
                })) {
                    return false;
                }
            }
        }
        return true;
    }

    /** A JDK whose {@code release} file names a Java version below 25, or null. */
    static Path olderJdk() throws IOException {
        for (String parent : new String[] {"/usr/lib/jvm", "/opt"}) {
            Path dir = Path.of(parent);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> homes = Files.list(dir)) {
                for (Path h : homes.sorted().toList()) {
                    Path release = h.resolve("release");
                    if (!Files.isExecutable(h.resolve("bin/java")) || !Files.isRegularFile(release)) {
                        continue;
                    }
                    for (String line : Files.readAllLines(release)) {
                        if (line.startsWith("JAVA_VERSION=")) {
                            String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                            int major = Integer.parseInt(v.split("[.+-]")[0].equals("1") ? v.split("\\.")[1] : v.split("[.+-]")[0]);
                            if (major < 25) {
                                return h;
                            }
                        }
                    }
                }
            }
        }
        return null;
    }
}
