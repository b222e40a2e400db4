package dev.toploc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded models' default location is the launcher's {@code -Dtoploc.models}, never the working directory.
 * (This class runs in its own JVM, see the module's surefire settings; it restores the property it changes.)
 */
class EmbeddedModelsTest {
    static final String SET_BY_THE_BUILD = System.getProperty(EmbeddedModels.PROPERTY);

    @AfterEach
    void restore() {
        System.setProperty(EmbeddedModels.PROPERTY, SET_BY_THE_BUILD);
    }

    static String[] demo() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Toploc.run(new String[] {"demo"}, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void theLaunchersProperty_namesTheFolder() {
        assertTrue(SET_BY_THE_BUILD != null && !SET_BY_THE_BUILD.isBlank(), "the build sets -Dtoploc.models for the tests");
        assertEquals(Path.of(SET_BY_THE_BUILD, "tiny-fortunes-llama"), EmbeddedModels.model("tiny-fortunes-llama"));
    }

    @Test
    void withoutTheProperty_demoIsBadInputSayingWhatToDo_evenInsideTheCheckout() {
        System.clearProperty(EmbeddedModels.PROPERTY);
        String[] r = demo();
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].startsWith("error: the embedded model tiny-fortunes-llama has no known location: -Dtoploc.models is not set"), r[2]);
        assertTrue(r[2].contains("--model DIR"), r[2]);
        assertFalse(r[2].contains("\tat "), r[2]);
    }

    @Test
    void aFolderWithoutTheModels_isBadInputNamingIt(@TempDir Path empty) throws Exception {
        System.setProperty(EmbeddedModels.PROPERTY, empty.toString());
        String[] r = demo();
        assertEquals("2", r[0], r[2]);
        assertTrue(r[2].contains("tiny-fortunes-llama is not in " + empty), r[2]);
        Files.createDirectories(empty.resolve("tiny-fortunes-llama"));
        assertEquals("2", demo()[0], "a folder without config.json is not a model");
    }
}
