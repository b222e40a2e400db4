package dev.toploc.calibration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.toploc.ChunkStats;
import dev.toploc.runtime.ComputeMode;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The figures, parsed back: the threshold and both distributions are in them, where the measurements put them. */
class CalibrationFiguresTest {
    static final List<ComputeMode> MODES = List.of(ComputeMode.FP32, ComputeMode.BF16);

    static Measurement m(String scenario, boolean honest, ComputeMode mode, int prompt, int exp, double mean) {
        return new Measurement("fam one", scenario, honest, mode, prompt, List.of(new ChunkStats(128, exp, 1, mean, 1)), 0.01, null);
    }

    /** Honest runs with 1..4 exponent mismatches, attack runs with {@code attackExp} (prompts 0-3 in both modes). */
    static CalibrationResult result(boolean withAttack, double attackExp) {
        Scenario h = new Scenario("honest row", true, false, Scenario.generates(Scenario.Weights.CLAIMED, ComputeMode.BF16), "");
        Scenario a = new Scenario("attack row", false, false, Scenario.generates(Scenario.Weights.INT8_PER_ROW, ComputeMode.BF16), "");
        List<Scenario> rows = withAttack ? List.of(h, a) : List.of(h);
        Family f = new Family("fam one", new Family.ModelSource.Folder(Path.of("m")), new Family.ModelSource.Folder(Path.of("o")), 4, 8, rows);
        Plan plan = new Plan(List.of(f), MODES, Claims.SPEC, ThresholdRule.STANDARD);
        List<Measurement> ms = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            for (ComputeMode mode : MODES) {
                ms.add(m("honest row", true, mode, p, 1 + p, 0.5 + 0.1 * p));
                if (withAttack) {
                    ms.add(m("attack row", false, mode, p, (int) Math.min(attackExp + p, 128), Double.POSITIVE_INFINITY));
                }
            }
        }
        // calibration split: prompts 0 and 2 (exp up to 3: threshold ceil(1.5 x 3) = 5)
        Thresholds t = plan.rule().derive(ms.stream().filter(x -> x.honest() && x.calibrationSplit()).toList(), "calibrated on fam one");
        return new CalibrationResult(plan, ms, Map.of("fam one", t), LocalDate.of(2030, 1, 2), 1.0);
    }

    static Document parse(byte[] svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);      // the SVG 1.0 DOCTYPE: never fetched
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        f.setExpandEntityReferences(false);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg));
    }

    static List<Element> groups(Document d, String cls) {
        List<Element> out = new ArrayList<>();
        NodeList g = d.getElementsByTagName("g");
        for (int i = 0; i < g.getLength(); i++) {
            Element e = (Element) g.item(i);
            if (e.getAttribute("class").equals(cls)) {
                out.add(e);
            }
        }
        return out;
    }

    /** The x pixel of a point group: the middle of its marker's path (pairs x,y after M, L and C). */
    static double x(Element point) {
        String d = ((Element) point.getElementsByTagName("path").item(0)).getAttribute("d");
        String[] nums = d.replaceAll("[MLCZ]", " ").replace(',', ' ').trim().split("\\s+");
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < nums.length; i += 2) {
            double v = Double.parseDouble(nums[i]);
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        return (min + max) / 2;
    }

    /** Whether {@code d} shows a threshold line and both distributions (the check a reader makes at a glance). */
    static boolean showsThresholdAndBoth(Document d) {
        return groups(d, "threshold").size() == 1 && !groups(d, "honest").isEmpty() && !groups(d, "attack").isEmpty();
    }

    @Test
    void eachFigure_hasTheThresholdAndBothDistributions_whereTheMeasurementsPutThem() throws Exception {
        CalibrationResult r = result(true, 40);
        Map<String, byte[]> svgs = CalibrationFigures.svgs(r);
        assertEquals(List.of("fam-one-exp.svg", "fam-one-mean.svg", "fam-one-median.svg", "fam-one-sign.svg", "fam-one-avg.svg", "fam-one-gap.svg"),
                List.copyOf(svgs.keySet()));
        Document d = parse(svgs.get("fam-one-exp.svg"));
        assertTrue(showsThresholdAndBoth(d));
        List<Element> threshold = groups(d, "threshold");
        assertEquals(r.thresholds().get("fam one").policy().maxExpMismatches(), Double.parseDouble(threshold.get(0).getAttribute("data-value")));
        assertEquals(5.0, Double.parseDouble(threshold.get(0).getAttribute("data-value")));
        Element line = (Element) threshold.get(0).getElementsByTagName("line").item(0);
        double lineX = Double.parseDouble(line.getAttribute("x1"));
        List<Element> honest = groups(d, "honest");
        List<Element> attack = groups(d, "attack");
        assertEquals(4, honest.size(), "the evaluation runs: prompts 1 and 3 in two modes");
        assertEquals(4, attack.size());
        List<Double> honestValues = honest.stream().map(e -> Double.parseDouble(e.getAttribute("data-value"))).sorted().toList();
        assertEquals(List.of(2.0, 2.0, 4.0, 4.0), honestValues);
        for (Element e : honest) {
            assertEquals("honest row", e.getAttribute("data-scenario"));
            assertTrue(x(e) < lineX, "honest points left of the threshold");
        }
        for (Element e : attack) {
            assertTrue(x(e) > lineX, "attack points right of the threshold");
        }
        assertTrue(new String(svgs.get("fam-one-exp.svg"), java.nio.charset.StandardCharsets.UTF_8).contains("threshold 5"), "the line is labelled");

        // the attack's infinite mantissa error is drawn at the axis' edge and says so
        Document mean = parse(svgs.get("fam-one-mean.svg"));
        assertTrue(groups(mean, "attack").stream().allMatch(e -> e.getAttribute("data-value").equals("Infinity")));
        assertTrue(showsThresholdAndBoth(mean));

        // deterministic: the same measurements draw the same bytes
        Map<String, byte[]> again = CalibrationFigures.svgs(result(true, 40));
        for (var e : svgs.entrySet()) {
            assertArrayEquals(e.getValue(), again.get(e.getKey()), e.getKey());
        }
    }

    @Test
    void negativeControls_noAttackRuns_noAttackPoints_andAnAttackThatHides_isLeftOfTheLine() throws Exception {
        Document none = parse(CalibrationFigures.svgs(result(false, 40)).get("fam-one-exp.svg"));
        assertFalse(showsThresholdAndBoth(none), "a figure without attack runs shows no attack distribution");
        assertEquals(4, groups(none, "honest").size());
        assertEquals(0, groups(none, "attack").size());

        Document hides = parse(CalibrationFigures.svgs(result(true, 1)).get("fam-one-exp.svg"));
        double lineX = Double.parseDouble(((Element) groups(hides, "threshold").get(0).getElementsByTagName("line").item(0)).getAttribute("x1"));
        assertTrue(groups(hides, "attack").stream().anyMatch(e -> x(e) < lineX), "an attack under the threshold is drawn under it");
    }

    @Test
    void theReport_embedsEachFamilysFigures_fromTheGivenFolder() {
        CalibrationResult r = result(true, 40);
        String md = CalibrationReport.markdown(r, CalibrationReportTest.MACHINE, "cmd", "calibration");
        for (String name : CalibrationFigures.svgs(r).keySet()) {
            assertTrue(md.contains("](calibration/" + name + ")"), name + " in\n" + md);
        }
        assertTrue(md.contains("![fam one: exponent mismatches of the worst chunk](calibration/fam-one-exp.svg)"), md);
        assertFalse(CalibrationReport.markdown(r, CalibrationReportTest.MACHINE, "cmd").contains(".svg)"), "no folder, no figures");
    }
}
