package dev.toploc.calibration;

import dev.toploc.runtime.ComputeMode;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Dimension;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.apache.batik.svggen.SVGGeneratorContext;
import org.apache.batik.svggen.SVGGraphics2D;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CrosshairState;
import org.jfree.chart.plot.Marker;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYItemRendererState;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The report's figures: per family and statistic, every evaluation run (one point per prompt and verifier
 * mode, a row per scenario) of the honest scenarios and of the attacks, and the derived threshold as a
 * vertical line. Drawn by JFreeChart into Apache Batik's {@code SVGGraphics2D} (Apache-2.0), from the {@link CalibrationResult} only.
 *
 * <p>The SVG says what it shows, for readers and tests: each point is a {@code <g class="honest">} or
 * {@code <g class="attack">} with {@code data-scenario} and {@code data-value} (the measured value, also
 * when it lies beyond the axis and is drawn at its right edge), the threshold a {@code <g class="threshold">}
 * with {@code data-value}. The same measurements give the same bytes: element ids are counters, numbers are
 * written with two decimals in a fixed locale, and nothing of the clock or the run enters the drawing (the text
 * is laid out with this machine's fonts).
 */
public final class CalibrationFigures {
    private CalibrationFigures() {
    }

    /** What one figure plots: a statistic of a run and the bound the derived thresholds put on it. */
    public enum Stat {
        EXP("exp", "exponent mismatches of the worst chunk", Measurement::worstExp, t -> t.policy().maxExpMismatches()),
        MEAN("mean", "mantissa-error mean of the worst chunk", Measurement::worstMean, t -> t.policy().maxMantErrMean()),
        MEDIAN("median", "mantissa-error median of the worst chunk", Measurement::worstMedian, t -> t.policy().maxMantErrMedian()),
        SIGN("sign", "sign mismatches of the worst chunk", Measurement::worstSign, t -> t.policy().maxSignMismatches()),
        AVG("avg", "sequence average of the chunks' mantissa-error means", Measurement::avgMean, t -> t.policy().maxAvgMantErrMean()),
        GAP("gap", "largest token-replay logit gap", Measurement::worstGap, Thresholds::logitMargin);

        /** The file-name part. */
        public final String key;
        final String label;
        final ToDoubleFunction<Measurement> value;
        final ToDoubleFunction<Thresholds> bound;

        Stat(String key, String label, ToDoubleFunction<Measurement> value, ToDoubleFunction<Thresholds> bound) {
            this.key = key;
            this.label = label;
            this.value = value;
            this.bound = bound;
        }
    }

    static final Color HONEST = new Color(0x1f77b4);
    static final Color ATTACK = new Color(0xd62728);
    static final Color THRESHOLD = new Color(0x2ca02c);
    static final int WIDTH = 960;

    /** The file name of {@code family}'s figure of {@code stat}: the family's name in lower-case letters, digits and dashes, then the stat. */
    public static String fileName(String family, Stat stat) {
        String slug = family.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
        return slug + "-" + stat.key + ".svg";
    }

    /** Every figure of {@code r}, by {@linkplain #fileName file name}, in family then statistic order; families without thresholds have none. */
    public static Map<String, byte[]> svgs(CalibrationResult r) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Family f : r.plan().families()) {
            Thresholds t = r.thresholds().get(f.name());
            if (t == null) {
                continue;
            }
            List<Measurement> runs = r.measurements().stream()
                    .filter(m -> m.family().equals(f.name()) && !m.calibrationSplit() && m.formatError() == null).toList();
            for (Stat s : Stat.values()) {
                out.put(fileName(f.name(), s), svg(f.name(), scenarioOrder(f, runs), runs, s, s.bound.applyAsDouble(t), r.plan().verifierModes()));
            }
        }
        return out;
    }

    /** The Markdown that embeds {@code family}'s figures from {@code folder} (relative to the report), or "" when it has no thresholds. */
    static String markdown(CalibrationResult r, Family f, String folder) {
        if (r.thresholds().get(f.name()) == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder("Each figure: the evaluation runs (a point per prompt and verifier mode) of every scenario, honest in blue, ")
                .append("attacks in red, and the derived threshold (green line); a value beyond the axis is drawn at its right edge.\n\n");
        for (Stat s : Stat.values()) {
            sb.append("![").append(f.name()).append(": ").append(s.label).append("](").append(folder).append('/').append(fileName(f.name(), s))
                    .append(")\n");
        }
        return sb.append('\n').toString();
    }

    private static List<String> scenarioOrder(Family f, List<Measurement> runs) {
        List<String> names = new ArrayList<>();
        for (Scenario s : f.scenarios()) {
            if (runs.stream().anyMatch(m -> m.scenario().equals(s.name()))) {
                names.add(s.name());
            }
        }
        return names;
    }

    static final String SVG_NS = "http://www.w3.org/2000/svg";

    /** Batik's number formats are static and not thread-safe: this class draws one figure at a time. */
    private static final Object DRAWING = new Object();

    /** One figure as SVG: {@code scenarios} top to bottom, the runs' {@code stat} across, {@code threshold} marked. */
    static byte[] svg(String family, List<String> scenarios, List<Measurement> runs, Stat stat, double threshold, List<ComputeMode> modes) {
        int height = height(scenarios.size());
        JFreeChart chart = chart(family, scenarios, runs, stat, threshold, modes);
        synchronized (DRAWING) {
            Document doc = newDocument();
            SVGGeneratorContext ctx = SVGGeneratorContext.createDefault(doc);
            ctx.setPrecision(2);
            ctx.setComment(null);
            SVGGraphics2D g = new SVGGraphics2D(ctx, false);
            g.setSVGCanvasSize(new Dimension(WIDTH, height));
            Element drawing = doc.createElementNS(SVG_NS, "g");
            ((Tagged) ((XYPlot) chart.getPlot()).getRenderer()).drawing = drawing;
            chart.draw(g, new Rectangle2D.Double(0, 0, WIDTH, height));
            drawing.appendChild(g.getTopLevelGroup(true));      // the last piece, with every definition
            Element root = g.getRoot();
            root.setAttributeNS(null, "viewBox", "0 0 " + WIDTH + " " + height);
            root.appendChild(drawing);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8)) {
                g.stream(root, w, true, true);      // with the XML declaration; non-ASCII text as character references
            } catch (IOException e) {      // a ByteArrayOutputStream: not reached
                throw new IllegalStateException("writing a figure to memory", e);
            }
            return out.toByteArray();
        }
    }

    private static Document newDocument() {
        try {
            return DocumentBuilderFactory.newDefaultNSInstance().newDocumentBuilder().newDocument();
        } catch (ParserConfigurationException e) {      // the JDK's default builder: not reached
            throw new IllegalStateException("the JDK's XML document builder", e);
        }
    }

    /** The figure's height in pixels for {@code rows} scenarios. */
    static int height(int rows) {
        return 110 + 26 * rows;
    }

    /** The chart of {@link #svg}. */
    static JFreeChart chart(String family, List<String> scenarios, List<Measurement> runs, Stat stat, double threshold, List<ComputeMode> modes) {
        double maxHonest = runs.stream().filter(Measurement::honest).mapToDouble(stat.value).filter(Double::isFinite).max().orElse(0);
        double edge = Math.max(Math.max(3 * threshold, 1.1 * maxHonest), 1e-3);
        XYSeries honest = new XYSeries("honest (must pass)", false, true);
        XYSeries attack = new XYSeries("attack (must fail)", false, true);
        List<List<Measurement>> points = List.of(new ArrayList<>(), new ArrayList<>());
        int n = scenarios.size();
        for (Measurement m : runs) {
            int row = scenarios.indexOf(m.scenario());
            if (row < 0) {
                continue;
            }
            double v = stat.value.applyAsDouble(m);
            double x = Double.isNaN(v) ? edge : Math.min(v, edge);
            double y = (n - 1 - row) + 0.5 * (modes.indexOf(m.mode()) - (modes.size() - 1) / 2.0) / modes.size();   // the modes side by side
            (m.honest() ? honest : attack).add(x, y);
            points.get(m.honest() ? 0 : 1).add(m);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(honest);
        data.addSeries(attack);
        String[] labels = new String[n];
        for (int i = 0; i < n; i++) {
            labels[n - 1 - i] = scenarios.get(i);
        }
        NumberAxis x = new NumberAxis(stat.label + " (a value beyond " + label(edge) + " is drawn at the right edge)");
        x.setRange(0, edge * 1.02);
        SymbolAxis y = new SymbolAxis(null, labels);
        y.setGridBandsVisible(false);
        y.setRange(-0.6, n - 0.4);
        Tagged renderer = new Tagged(points, stat);
        renderer.setDrawOutlines(false);      // filled markers only: half the SVG
        renderer.setSeriesPaint(0, HONEST);
        renderer.setSeriesPaint(1, ATTACK);
        renderer.setSeriesShape(0, new Ellipse2D.Double(-3.5, -3.5, 7, 7));
        renderer.setSeriesShape(1, new Rectangle2D.Double(-3.5, -3.5, 7, 7));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        ValueMarker line = new ValueMarker(threshold, THRESHOLD, new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        line.setLabel("threshold " + label(threshold));
        line.setLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        line.setLabelPaint(THRESHOLD.darker());
        line.setLabelBackgroundColor(Color.WHITE);
        line.setLabelAnchor(RectangleAnchor.TOP_RIGHT);
        line.setLabelTextAnchor(TextAnchor.TOP_LEFT);
        plot.addDomainMarker(line);
        JFreeChart chart = new JFreeChart(null, new Font(Font.SANS_SERIF, Font.BOLD, 13), plot, true);
        chart.setTitle(new TextTitle(family + ": " + stat.label, new Font(Font.SANS_SERIF, Font.BOLD, 13)));
        chart.setBackgroundPaint(Color.WHITE);
        chart.setAntiAlias(true);
        return chart;
    }

    /** An integer as one, else three decimals. */
    private static String label(double v) {
        return v == Math.rint(v) ? Fmt.plain(v) : Fmt.num(v);
    }

    /** Draws each point and the threshold inside an SVG group that says what it is. */
    private static final class Tagged extends XYLineAndShapeRenderer {
        private final transient List<List<Measurement>> points;
        private final transient Stat stat;
        /** Where the SVG's pieces go, in drawing order; null when not drawing SVG. */
        transient Element drawing;

        Tagged(List<List<Measurement>> points, Stat stat) {
            super(false, true);
            this.points = points;
            this.stat = stat;
        }

        @Override
        public void drawItem(Graphics2D g2, XYItemRendererState state, Rectangle2D dataArea, PlotRenderingInfo info, XYPlot plot, ValueAxis domainAxis,
                             ValueAxis rangeAxis, XYDataset dataset, int series, int item, CrosshairState crosshairState, int pass) {
            if (!isItemPass(pass)) {
                return;
            }
            Measurement m = points.get(series).get(item);
            Map<String, String> group = new LinkedHashMap<>();
            group.put("class", m.honest() ? "honest" : "attack");
            group.put("data-scenario", m.scenario());
            group.put("data-mode", m.mode().wireName());
            group.put("data-prompt", Integer.toString(m.prompt()));
            group.put("data-value", Double.toString(stat.value.applyAsDouble(m)));
            begin(g2);
            super.drawItem(g2, state, dataArea, info, plot, domainAxis, rangeAxis, dataset, series, item, crosshairState, pass);
            end(g2, group);
        }

        @Override
        public void drawDomainMarker(Graphics2D g2, XYPlot plot, ValueAxis domainAxis, Marker marker, Rectangle2D dataArea) {
            Map<String, String> group = new LinkedHashMap<>();
            group.put("class", "threshold");
            group.put("data-value", Double.toString(((ValueMarker) marker).getValue()));
            begin(g2);
            super.drawDomainMarker(g2, plot, domainAxis, marker, dataArea);
            end(g2, group);
        }

        /**
         * Moves what was drawn so far into {@link #drawing}, so that what follows, until {@link #end}, can be wrapped
         * (Batik hands its drawing over in pieces; other Graphics2D, e.g. a PNG's, have no groups).
         */
        private void begin(Graphics2D g2) {
            if (drawing != null && g2 instanceof SVGGraphics2D svg) {
                Element piece = svg.getTopLevelGroup(false);      // the definitions (clip paths) stay, for the last piece
                if (piece.hasChildNodes()) {
                    drawing.appendChild(piece);
                }
            }
        }

        /** Wraps what was drawn since {@link #begin} in a group with {@code attributes}. */
        private void end(Graphics2D g2, Map<String, String> attributes) {
            if (drawing != null && g2 instanceof SVGGraphics2D svg) {
                Element group = drawing.getOwnerDocument().createElementNS(SVG_NS, "g");
                attributes.forEach((k, v) -> group.setAttributeNS(null, k, v));
                group.appendChild(svg.getTopLevelGroup(false));
                drawing.appendChild(group);
            }
        }
    }
}
