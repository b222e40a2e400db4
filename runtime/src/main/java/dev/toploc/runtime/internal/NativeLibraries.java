package dev.toploc.runtime.internal;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Where one of the project's native libraries comes from (the CPU matmul library, the CUDA bridge's), first
 * found wins: {@code -D<property>=PATH}; the owner's jar resource {@code META-INF/native/<os>-<arch>/lib<name>.so},
 * extracted to a temporary file deleted on exit; {@code java.library.path}. Callers look once per JVM.
 */
public final class NativeLibraries {
    private NativeLibraries() {
    }

    /**
     * @param property the system property naming a path
     * @param name     the library's name without {@code lib} and {@code .so} ({@code toploc_cpu})
     * @param owner    a class of the jar that carries the resource
     * @param what     the library in words, for errors ({@code "CUDA library"})
     * @param builtBy  why a build may lack it, for errors ({@code "nvcc was not on the PATH when it was built"})
     * @throws IOException naming the property's missing file, an extraction that failed, or where it looked
     */
    public static Path locate(String property, String name, Class<?> owner, String what, String builtBy) throws IOException {
        String configured = System.getProperty(property);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isRegularFile(p)) {
                throw new IOException("no " + what + " at -D" + property + "=" + configured);
            }
            return p;
        }
        String os = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux") ? "linux" : "other";
        String arch = System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch");
        String file = System.mapLibraryName(name);
        String resource = "/META-INF/native/" + os + "-" + arch + "/" + file;
        try (InputStream in = owner.getResourceAsStream(resource)) {
            if (in != null) {
                Path tmp = Files.createTempFile("lib" + name, ".so");
                tmp.toFile().deleteOnExit();
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                return tmp;
            }
        } catch (IOException e) {
            throw new IOException("cannot extract " + resource + ": " + e.getMessage());
        }
        for (String dir : System.getProperty("java.library.path", "").split(java.io.File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, file);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new IOException("no " + what + ": this build has no " + resource + " (" + builtBy + ") and java.library.path has no " + file);
    }
}
