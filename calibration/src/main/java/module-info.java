/**
 * Calibration as a library: scenarios, measurements, the threshold rule, the report and its figures, weight edits for the
 * attacks. Exported: {@code dev.toploc.calibration}.
 */
module dev.toploc.calibration {
    requires transitive dev.toploc.runtime;
    requires transitive dev.toploc.vectors;
    requires com.fasterxml.jackson.databind;
    requires java.desktop;
    requires java.xml;
    requires org.jfree.jfreechart;
    requires org.apache.xmlgraphics.batik.svggen;

    exports dev.toploc.calibration;
}
