package dev.toploc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * {@code bom/pom.xml} manages exactly the library modules of the reactor, at the project's version, and the
 * README's coordinates name it; so a module added or a version bumped cannot leave the BOM behind.
 */
class BomTest {
    static Document xml(Path p) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(p.toFile());
    }

    static String child(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c.getTextContent().strip();
            }
        }
        return null;
    }

    static Element childElement(Element e, String name) {
        for (Node n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element c && c.getTagName().equals(name)) {
                return c;
            }
        }
        return null;
    }

    @Test
    void bomListsEveryLibraryModule_atTheProjectsVersion() throws Exception {
        Path root = ReadmeExamplesTest.repo();
        Element parent = xml(root.resolve("pom.xml")).getDocumentElement();
        String version = child(parent, "version");
        TreeSet<String> libraries = new TreeSet<>();
        NodeList modules = childElement(parent, "modules").getElementsByTagName("module");
        List<String> names = new ArrayList<>();
        for (int i = 0; i < modules.getLength(); i++) {
            names.add(modules.item(i).getTextContent().strip());
        }
        assertTrue(names.contains("bom"), "the reactor builds the BOM");
        for (String m : names) {
            Element pom = xml(root.resolve(m).resolve("pom.xml")).getDocumentElement();
            String packaging = child(pom, "packaging");
            if (packaging == null || packaging.equals("jar")) {
                libraries.add(child(pom, "artifactId"));
            }
        }
        Element bom = xml(root.resolve("bom/pom.xml")).getDocumentElement();
        assertEquals("toploc-bom", child(bom, "artifactId"));
        assertEquals(version, child(bom, "version"), "the BOM's version is the project's");
        assertEquals(null, childElement(bom, "parent"), "no parent: the BOM must not manage third-party versions");
        TreeSet<String> managed = new TreeSet<>();
        NodeList deps = childElement(childElement(bom, "dependencyManagement"), "dependencies").getElementsByTagName("dependency");
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            assertEquals("dev.toploc", child(d, "groupId"));
            assertEquals(version, child(d, "version"), child(d, "artifactId"));
            managed.add(child(d, "artifactId"));
        }
        assertFalse(libraries.isEmpty());
        assertEquals(libraries, managed, "the BOM manages exactly the reactor's jar modules");
        String readme = Files.readString(root.resolve("README.md"));
        assertTrue(readme.contains("<artifactId>toploc-bom</artifactId>\n      <version>" + version + "</version>"), "README names the BOM's coordinates");
    }
}
