package io.circuitscope.circuits.render;

import static io.circuitscope.circuits.render.Text.fmt;
import static io.circuitscope.circuits.render.Text.html;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.circuits.io.BuildInfo;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.ValidationSections;
import io.circuitscope.core.Decimals;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One self-contained HTML page per run: provenance, summary, the diagram as inline SVG, the top
 * edges by |score| ({@link EdgeScores#ranking()}), and, when circuit.json carries them, patching
 * heatmaps, the validation table and the comparison with a reference circuit (ROC curve). Styles
 * are inline, there are no scripts and no external references, so the file opens offline.
 *
 * <p>The optional {@code "heatmaps"} section is a list of
 * {@code {"title": "...", "row_labels": [...], "col_labels": [...], "values": [[...], ...]}} with
 * one row of numbers (or null) per row label and one number per column label; each becomes a
 * heatmap on a diverging scale symmetric around 0, with the value of a cell on hover.
 */
public final class HtmlReport {
    public static final String HEATMAPS = "heatmaps";

    /**
     * @param diagram         how to draw the circuit
     * @param topEdges        rows of the top-edges table
     * @param software        what wrote circuit.json (its version and commit, {@link #software(JsonNode)}), or null
     * @param source          the circuit.json path shown in the report, or null
     */
    public record Options(CircuitDiagram.Options diagram, int topEdges, String software, String source) {
        public static Options defaults() {
            return new Options(CircuitDiagram.Options.defaults(), 30, null, null);
        }
    }

    private HtmlReport() {
    }

    /**
     * circuit.json's {@code software} block as one line: {@code circuitscope 0.1.0, commit <hash>}; {@code commit unknown}
     * for a file written outside a git checkout or before commits were recorded; null without a version.
     */
    public static String software(JsonNode software) {
        JsonNode version = software.path("version");
        return version.isTextual() ? "circuitscope " + version.asText() + ", " + BuildInfo.of(software).describe() : null;
    }

    /** Checks the optional sections (roles, heatmaps) so that a bad file fails before anything is written. */
    public static void check(CircuitDocument doc) {
        Roles.of(doc);
        heatmaps(doc);
    }

    public static String render(CircuitDocument doc, Options options) {
        // the checks and the slow drawing first: a bad section fails before any of the page is built
        List<SvgCharts.Heatmap> heatmaps = heatmaps(doc);
        CircuitDiagram.Diagram diagram = CircuitDiagram.of(doc, options.diagram());
        String svg = inlineSvg(GraphvizRenderer.svg(diagram.dot()));
        StringBuilder h = new StringBuilder();
        appendHead(h, doc);
        h.append("<div class=\"cols\">\n");
        appendProvenance(h, doc, options);
        appendSummary(h, doc);
        h.append("</div>\n");
        appendDiagram(h, doc, diagram, svg);
        topEdges(h, doc.circuit(), options.topEdges(), importanceMeaning(doc.method()), ScoreMeaning.ofEdges(doc.method()));
        topNodes(h, doc.circuit(), TOP_NODES, ScoreMeaning.ofNodes(doc.method()),
                ScoreMeaning.ofNodeImportance(doc.method()));
        appendHeatmaps(h, heatmaps);
        appendValidation(h, doc);
        appendComparison(h, doc);
        appendFooter(h, options.source());
        return h.toString();
    }

    /** The document's head with the styles, the page title and the one-line provenance under it. */
    private static void appendHead(StringBuilder h, CircuitDocument doc) {
        String title = CircuitDiagram.title(doc);
        h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        h.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        h.append("<title>").append(html(title)).append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        h.append("<h1>").append(html(title)).append("</h1>\n");
        h.append("<p class=\"sub\">").append(html(oneLineProvenance(doc))).append("</p>\n");
    }

    /** Model, task, method with its settings, metrics, seed, the software that wrote the file and the file itself. */
    private static void appendProvenance(StringBuilder h, CircuitDocument doc, Options options) {
        h.append("<section id=\"provenance\"><h2>Provenance</h2>\n<table class=\"kv\">\n");
        Map<String, Object> m = doc.model();
        kv(h, "model", m.getOrDefault("name", "?") + (m.containsKey("family") ? " (" + m.get("family") + ")" : ""));
        kv(h, "model config hash", m.get("config_hash"));
        kv(h, "model shape", modelShape(m));
        kv(h, "task", doc.task().get("name"));
        kv(h, "task hash", doc.task().get("hash"));
        kv(h, "examples", doc.task().get("examples"));
        kv(h, "method", doc.method().get("key"));
        kv(h, "settings", settings(doc.method()));
        kv(h, "metric", doc.summary().getOrDefault("metric", doc.method().get("metric")));
        String judgedWith = validationMetricNote(doc);
        if (judgedWith != null) {
            kv(h, "validation metric", judgedWith);
        }
        kv(h, "seed", doc.method().get("seed"));
        kv(h, "software", options.software() == null ? "circuitscope ?" : options.software());
        if (options.source() != null) {
            kv(h, "file", options.source());
        }
        h.append("</table></section>\n");
    }

    private static String modelShape(Map<String, Object> m) {
        return m.get("n_layers") + " layers x " + m.get("n_heads") + " heads"
                + (m.containsKey("d_model") ? ", d_model " + m.get("d_model") : "")
                + (Boolean.TRUE.equals(m.get("parallel_attn_mlp")) ? ", parallel attention and MLP" : "");
    }

    /** The method's settings other than its key, as {@code name=value, ...}; unset (null) ones left out. */
    private static String settings(Map<String, Object> method) {
        StringBuilder settings = new StringBuilder();
        method.forEach((k, v) -> {
            if (v != null && !k.equals("key")) {
                settings.append(settings.length() == 0 ? "" : ", ").append(k).append('=').append(value(v));
            }
        });
        return settings.toString();
    }

    private static void appendSummary(StringBuilder h, CircuitDocument doc) {
        h.append("<section id=\"summary\"><h2>Summary</h2>\n<table class=\"kv\">\n");
        flatten("", summaryAsShown(doc), h);
        h.append("</table></section>\n");
    }

    /** The summary section, its faithfulness and candidate rounds written as discover and validate print them. */
    private static Map<String, Object> summaryAsShown(CircuitDocument doc) {
        // the summary's faithfulness is the one validation compares with its sufficiency threshold: shown as it is there
        double sufficiency = doc.extra().containsKey("validation")
                ? doc.extra().get("validation").path("settings").path("sufficiency_threshold").asDouble(Double.NaN)
                : Double.NaN;
        Map<String, Object> summary = new java.util.LinkedHashMap<>(doc.summary());
        if (summary.get("faithfulness") instanceof Number f && Double.isFinite(sufficiency)) {
            summary.put("faithfulness", new Shown(Decimals.against(f.doubleValue(), sufficiency, 4)));
        }
        String rounds = candidateRounds(summary.get("candidate_rounds"));
        if (rounds != null) { // the line discover prints, not the rounds' raw list
            summary.put("candidate_rounds", new Shown(rounds));
        }
        return summary;
    }

    /** The diagram's inline SVG under a note on how to read it and, when it was simplified, why. */
    private static void appendDiagram(StringBuilder h, CircuitDocument doc, CircuitDiagram.Diagram diagram, String svg) {
        h.append("<section id=\"diagram\"><h2>Circuit diagram</h2>\n");
        h.append("<p class=\"note\">").append(html(io.circuitscope.circuits.run.CircuitCounts.nodes(doc.circuit())))
                .append(", ").append(doc.circuit().edgeCount()).append(" edges; read bottom (input) to top (logits). Edge width: |score| (summed over the edges a line "
                        + "draws); blue positive, red negative, grey unscored").append(html(signNote(CircuitDiagram.metric(doc))))
                .append(". Hover a node or an edge for its score.");
        if (diagram.note() != null) {
            h.append(" <b>").append(html(diagram.note())).append("</b>");
        }
        h.append("</p>\n<div class=\"diagram\">").append(svg).append("</div></section>\n");
    }

    /** One figure per heatmap of the optional section; nothing without one. */
    private static void appendHeatmaps(StringBuilder h, List<SvgCharts.Heatmap> heatmaps) {
        if (heatmaps.isEmpty()) {
            return;
        }
        h.append("<section id=\"heatmaps\"><h2>Patching heatmaps</h2>\n");
        for (int i = 0; i < heatmaps.size(); i++) {
            h.append("<figure><figcaption>").append(html(heatmaps.get(i).title())).append("</figcaption>")
                    .append(SvgCharts.heatmap(heatmaps.get(i), i)).append("</figure>\n");
        }
        h.append("</section>\n");
    }

    /** circuit.json's validation section as tables, with the metric it was judged with when that is another. */
    private static void appendValidation(StringBuilder h, CircuitDocument doc) {
        JsonNode validation = doc.extra().get("validation");
        if (validation == null || validation.isNull()) {
            return;
        }
        h.append("<section id=\"validation\"><h2>Validation</h2>\n");
        String validatedWith = validationMetricNote(doc);
        if (validatedWith != null) {
            h.append("<p class=\"note\">Judged with metric ").append(html(validatedWith)).append(".</p>\n");
        }
        generic(h, validation, Set.of(), validation.path("settings").path("minimality_threshold").asDouble(Double.NaN));
        h.append("</section>\n");
    }

    /** The comparison with the reference circuit: its notes, its curves, then the rest of the section as tables. */
    private static void appendComparison(StringBuilder h, CircuitDocument doc) {
        JsonNode comparison = doc.extra().get("comparison");
        if (comparison == null || comparison.isNull()) {
            return;
        }
        h.append("<section id=\"comparison\"><h2>Comparison with the reference circuit</h2>\n");
        String acrossPositions = ComparisonText.acrossPositionsNote(comparison);
        if (!acrossPositions.isEmpty()) {
            h.append("<p class=\"note\">").append(html(acrossPositions.strip())).append("</p>\n");
        }
        String scoresMetric = ComparisonText.scoresMetricNote(comparison);
        if (scoresMetric != null) {
            h.append("<p class=\"note\">").append(html(scoresMetric.substring(0, 1).toUpperCase(java.util.Locale.ROOT)
                    + scoresMetric.substring(1))).append(".</p>\n");
        }
        Set<String> plotted = appendComparisonCurves(h, comparison, doc);
        generic(h, comparison, plotted, Double.NaN);
        h.append("</section>\n");
    }

    /**
     * The comparison's ROC curve and its faithfulness-by-size curves with the note on CPR and CMD; returns the keys of the
     * curves drawn, which are not repeated as tables.
     */
    private static Set<String> appendComparisonCurves(StringBuilder h, JsonNode comparison, CircuitDocument doc) {
        Set<String> plotted = new LinkedHashSet<>();
        h.append("<div class=\"charts\">");
        Points roc = points(comparison.get("roc"), "fpr", "tpr");
        if (!roc.isEmpty()) {
            JsonNode auc = comparison.get("auc");
            h.append(SvgCharts.curve(roc.title("ROC" + (auc != null && auc.isNumber() ? ", AUC " + fmt(auc.asDouble()) : "")),
                    "false positive rate", "true positive rate", roc.drawn(), true));
            plotted.add("roc");
        }
        // CPR and CMD rank the edges differently (MIB): each is the area of its own curve, so both are drawn
        Points bySizeSigned = points(comparison.get(ValidationSections.BY_SIZE_SIGNED), "fraction", "faithfulness");
        Points bySize = points(comparison.get(ValidationSections.BY_SIZE_ABSOLUTE), "fraction", "faithfulness");
        if (!bySizeSigned.isEmpty()) {
            h.append(SvgCharts.curve(bySizeSigned.title("faithfulness, edges ranked by signed score"), "fraction of edges",
                    "faithfulness", bySizeSigned.drawn(), false));
            plotted.add(ValidationSections.BY_SIZE_SIGNED);
        }
        // CMD's curve ranks by EdgeScores.ranking(), the top-edges table's order: |score| only where the method
        // has no importance of its own (ACDC and the pipeline rank by damage, AtP* by GradDrop)
        boolean ownImportance = doc.circuit().scores().hasOwnImportance();
        String ranking = ownImportance ? "importance" : "|score|";
        if (!bySize.isEmpty()) {
            h.append(SvgCharts.curve(bySize.title("faithfulness, edges ranked by " + ranking), "fraction of edges",
                    "faithfulness", bySize.drawn(), false));
            plotted.add(ValidationSections.BY_SIZE_ABSOLUTE);
        }
        h.append("</div>\n");
        if (!bySizeSigned.isEmpty() || !bySize.isEmpty()) {
            h.append("<p class=\"note\">").append(html(curvesNote(comparison, !bySizeSigned.isEmpty(), !bySize.isEmpty(),
                    ownImportance ? importanceMeaning(doc.method()) : null))).append("</p>\n");
        }
        return plotted;
    }

    /** Which build rendered the page, from which file: circuit.json's own software row may name an earlier one. */
    private static void appendFooter(StringBuilder h, String source) {
        h.append("<footer>rendered by circuitscope ").append(html(io.circuitscope.circuits.io.CircuitJson.SOFTWARE_VERSION
                + ", " + BuildInfo.current().describe()))
                .append(" from ").append(html(source == null ? "circuit.json" : source))
                .append("</footer>\n</body>\n</html>\n");
    }

    /**
     * Which curve each of CPR and CMD is the area of (MIB's definitions): CPR under the curve with edges ranked by
     * signed score, CMD between 1 and the curve with edges ranked as the circuit's scores rank them: by
     * {@code importance} (what it is for the method) where they carry one, else (null) by |score|. A file written
     * before the signed curve was recorded draws only CMD's, so CPR's curve is said to be missing.
     */
    static String curvesNote(JsonNode comparison, boolean signedDrawn, boolean absoluteDrawn, String importance) {
        StringBuilder s = new StringBuilder("Faithfulness of the circuits made of the top 0.1% .. 100% of edges. ");
        JsonNode cpr = comparison.get("cpr");
        JsonNode cmd = comparison.get("cmd");
        String cprText = "CPR" + (cpr != null && cpr.isNumber() ? " (" + fmt(cpr.asDouble()) + ")" : "");
        String cmdText = "CMD" + (cmd != null && cmd.isNumber() ? " (" + fmt(cmd.asDouble()) + ")" : "");
        s.append(cprText).append(" is the area under the curve with edges ranked by signed score (higher better)")
                .append(signedDrawn ? "" : "; this file does not hold that curve").append("; ")
                .append(cmdText).append(" is the area between 1 and the curve with edges ranked by ")
                .append(importance == null ? "|score| (lower better)" : "importance (lower better; importance: " + importance + ")")
                .append(absoluteDrawn ? "" : "; this file does not hold that curve")
                .append(". The signed ranking puts the edges that help the behaviour first, so its curve can rise above 1.");
        return s.toString();
    }

    /**
     * "logit-diff (the circuit was found with kl)" when the validation section was measured with another metric than
     * the one the circuit was found with (validate --metric), else null.
     */
    static String validationMetricNote(CircuitDocument doc) {
        JsonNode validation = doc.extra().get("validation");
        Object found = doc.summary().getOrDefault("metric", doc.method().get("metric"));
        if (validation == null || !validation.path("metric").isTextual() || found == null
                || validation.get("metric").asText().equals(found.toString())) {
            return null;
        }
        return validation.get("metric").asText() + " (the circuit was found with " + found + ")";
    }

    /** "; under kl a positive score supports the behaviour" (the sign that matters under the run's metric), or "". */
    static String signNote(String metric) {
        String important = ScoreMeaning.importantSign(metric);
        return important == null ? "" : "; under " + metric + " a " + important + " score supports the behaviour";
    }

    /**
     * {@code summary.candidate_rounds} (from {@code --candidates bound}) as discover's console line says it; null when
     * absent or not in the form discover writes (then shown key by key, as any other map).
     */
    static String candidateRounds(Object rounds) {
        if (!(rounds instanceof Map<?, ?> m)) {
            return null;
        }
        try {
            return io.circuitscope.circuits.run.CandidateRoundsSummary.line(m);
        } catch (RuntimeException e) { // a hand-edited or truncated section
            return null;
        }
    }

    static String oneLineProvenance(CircuitDocument doc) {
        return "model " + doc.model().getOrDefault("name", "?") + " | task " + doc.task().getOrDefault("name", "?")
                + " | method " + doc.method().getOrDefault("key", "?") + " | metric "
                + doc.summary().getOrDefault("metric", doc.method().getOrDefault("metric", "?")) + " | seed "
                + doc.method().getOrDefault("seed", "?");
    }

    /** Graphviz's SVG made fit to inline in HTML: no XML prolog, doctype, comments or namespace URLs. */
    static String inlineSvg(String svg) {
        String s = svg.replaceAll("(?s)<\\?xml.*?\\?>", "").replaceAll("(?s)<!DOCTYPE.*?>", "")
                .replaceAll("(?s)<!--.*?-->", "").replaceAll("\\s+xmlns(:\\w+)?=\"[^\"]*\"", "").trim();
        return s.replaceFirst("<svg ", "<svg class=\"circuit\" ");
    }

    /**
     * What an edge's importance is for the method that found the circuit: ACDC's damage for the edges it tried,
     * AtP*'s GradDrop-aware magnitude for AtP*'s estimates.
     */
    static String importanceMeaning(Map<String, Object> method) {
        String key = String.valueOf(method.get("key"));
        boolean acdc = key.equals("acdc") || key.equals("pipeline");
        boolean atpStar = key.equals("atp-star") || (key.equals("pipeline") && "atp-star".equals(method.get("scorer")));
        String gradDrop = "the larger of |score| and GradDrop's cancellation-proof magnitude";
        if (acdc) {
            return "edges ACDC tried rank by the damage their removal did when tried (ACDC's criterion, 0 when it "
                    + "helped), so the edges it kept come first" + (key.equals("pipeline")
                            ? "; the others by " + (atpStar ? gradDrop : "|score|") : "");
        }
        return atpStar ? gradDrop : "|score|";
    }

    private static void topEdges(StringBuilder h, Circuit c, int n, String importance, String scoreMeaning) {
        EdgeScores scores = c.scores();
        List<Edge> all = c.graph().edges();
        List<Integer> rows = new ArrayList<>();
        for (int i : scores.ranking()) {
            if (rows.size() >= n || Double.isNaN(scores.get(i))) {
                break;
            }
            rows.add(i);
        }
        // AtP* ranks by its importance (GradDrop), not by |score|: say so and show it
        boolean own = scores.hasOwnImportance();
        String by = own ? "importance" : "|score|";
        h.append("<section id=\"edges\"><h2>Top edges by ").append(by).append("</h2>\n");
        if (rows.isEmpty()) {
            h.append("<p class=\"note\">No edge is scored; the circuit's edges:</p>\n");
            c.edges().stream().limit(n).forEach(e -> rows.add(e.index()));
        } else {
            long inTable = rows.stream().filter(c::contains).count();
            h.append("<p class=\"note\">Ranked by ").append(by).append(" (ties by edge index); ").append(html(scoreMeaning))
                    .append(own ? "; importance: " + importance : "").append(". ")
                    .append(inTable).append(" of the circuit's ").append(c.edgeCount()).append(" edges are among these ")
                    .append(rows.size()).append(".</p>\n");
        }
        h.append("<table class=\"grid\"><tr><th>#</th><th>edge</th><th>score</th><th>").append(by)
                .append("</th><th>in circuit</th></tr>\n");
        int rank = 1;
        for (int i : rows) {
            double s = scores.get(i);
            String cls = Double.isNaN(s) ? "" : s >= 0 ? "pos" : "neg";
            h.append("<tr><td>").append(rank++).append("</td><td class=\"mono\">").append(html(all.get(i).name()))
                    .append("</td><td class=\"num ").append(cls).append("\">").append(fmt(s))
                    .append("</td><td class=\"num\">").append(fmt(Double.isNaN(s) ? s : scores.importance(i)))
                    .append("</td><td>")
                    .append(c.contains(i) ? "<span class=\"yes\">in</span>" : "<span class=\"no\">out</span>")
                    .append("</td></tr>\n");
        }
        h.append("</table></section>\n");
    }

    /** Rows of the top-nodes table: every head and MLP of a small model, the most important of a large one. */
    static final int TOP_NODES = 20;

    /**
     * Nodes ranked as a node-level method would rank them: by the scorer's node importance (AtP*: with
     * GradDrop), else by |score|, the score being the sum of the node's out-edge scores (whatever the method stored
     * there, {@link ScoreMeaning}). Heads and MLPs only: the input is the whole corruption.
     */
    private static void topNodes(StringBuilder h, Circuit c, int n, String scoreMeaning, String importanceMeaning) {
        EdgeScores scores = c.scores();
        boolean anyScored = false;
        for (int i = 0; i < scores.size() && !anyScored; i++) {
            anyScored = !Double.isNaN(scores.get(i));
        }
        if (!anyScored) {
            return;
        }
        double[] nodeScores = scores.nodeScoresBySource();
        double[] importance = scores.nodeImportances();
        List<Node> ranked = new ArrayList<>();
        for (Node node : c.graph().sources()) {
            if (node.kind() != NodeKind.INPUT) {
                ranked.add(node);
            }
        }
        ranked.sort((a, b) -> {
            int byImportance = Double.compare(importance[b.sourceIndex()], importance[a.sourceIndex()]);
            return byImportance != 0 ? byImportance : Integer.compare(a.sourceIndex(), b.sourceIndex());
        });
        boolean own = scores.hasOwnNodeImportance();
        String by = own ? "importance" : "|score|";
        Set<Node> inCircuit = c.nodes();
        h.append("<section id=\"nodes\"><h2>Top nodes by ").append(by).append("</h2>\n<p class=\"note\">")
                .append(html(scoreMeaning)).append(own ? "; the importance is " + html(importanceMeaning) : "")
                .append(". Heads and MLPs; ties by node order.</p>\n");
        h.append("<table class=\"grid\"><tr><th>#</th><th>node</th><th>score</th><th>").append(by)
                .append("</th><th>in circuit</th></tr>\n");
        for (int r = 0; r < Math.min(n, ranked.size()); r++) {
            Node node = ranked.get(r);
            double v = nodeScores[node.sourceIndex()];
            h.append("<tr><td>").append(r + 1).append("</td><td class=\"mono\">").append(html(node.name()))
                    .append("</td><td class=\"num ").append(v >= 0 ? "pos" : "neg").append("\">").append(fmt(v))
                    .append("</td><td class=\"num\">").append(fmt(importance[node.sourceIndex()])).append("</td><td>")
                    .append(inCircuit.contains(node) ? "<span class=\"yes\">in</span>" : "<span class=\"no\">out</span>")
                    .append("</td></tr>\n");
        }
        h.append("</table></section>\n");
    }

    /**
     * Any JSON section as tables: scalars as key/value rows, lists of objects as tables, nested objects recursively.
     * {@code minimality} is the threshold a minimality row's drop is compared with (NaN: none).
     */
    private static void generic(StringBuilder h, JsonNode node, Set<String> skip, double minimality) {
        if (node.isArray()) {
            objectTable(h, node, minimality);
            return;
        }
        if (!node.isObject()) {
            h.append("<p>").append(html(node.asText())).append("</p>\n");
            return;
        }
        StringBuilder scalars = new StringBuilder();
        StringBuilder nested = new StringBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue();
            if (skip.contains(f.getKey())) {
                continue;
            }
            if (v.isValueNode()) {
                scalars.append("<tr><th>").append(html(f.getKey())).append("</th><td>").append(scalar(f.getKey(), v))
                        .append("</td></tr>\n");
            } else if (v.isArray() && v.size() > 0 && v.get(0).isObject()) {
                nested.append("<h3>").append(html(f.getKey())).append("</h3>\n");
                objectTable(nested, v, minimality);
            } else if (v.isObject()) {
                nested.append("<h3>").append(html(f.getKey())).append("</h3>\n");
                generic(nested, v, Set.of(), minimality);
            } else {
                String text = v.toString();
                scalars.append("<tr><th>").append(html(f.getKey())).append("</th><td class=\"mono\">")
                        .append(html(text.length() > 200 ? text.substring(0, 200) + "..." : text)).append("</td></tr>\n");
            }
        }
        if (scalars.length() > 0) {
            h.append("<table class=\"kv\">\n").append(scalars).append("</table>\n");
        }
        h.append(nested);
    }

    /**
     * A list of objects as one table; ci_low/ci_high become one interval column, pass (and pass_over_interval) a
     * pass/fail badge. A row judged by a rule (">= 0.9925") shows its value and interval, and a minimality row its drop,
     * with the decimals that keep them on their side of the threshold: a failing 0.99248826 read "0.9925 | fail | >=
     * 0.9925".
     */
    private static void objectTable(StringBuilder h, JsonNode list, double minimality) {
        Set<String> columns = new LinkedHashSet<>();
        list.forEach(o -> o.fieldNames().forEachRemaining(columns::add));
        // validation.minimality: its "score" is the drop in faithfulness (older files hold only that key), which shares
        // nothing with the edge and node scores; one column, labelled as what it is
        boolean minimalityTable = columns.contains("minimal") && columns.contains("kind");
        if (minimalityTable && columns.contains("faithfulness_drop")) {
            columns.remove("score");
        }
        boolean ci = columns.remove("ci_low") | columns.remove("ci_high");
        List<String> cols = new ArrayList<>(columns);
        if (ci) {
            int at = cols.contains("value") ? cols.indexOf("value") + 1 : Math.min(1, cols.size());
            cols.add(at, "confidence interval");
        }
        h.append("<table class=\"grid\"><tr>");
        cols.forEach(c -> h.append("<th>").append(html(minimalityTable && DROP_COLUMNS.contains(c) ? "faithfulness drop" : c))
                .append("</th>"));
        h.append("</tr>\n");
        int shown = 0;
        for (JsonNode row : list) {
            if (shown++ == 100) {
                h.append("<tr><td colspan=\"").append(cols.size()).append("\">... ").append(list.size() - 100)
                        .append(" more rows in circuit.json</td></tr>\n");
                break;
            }
            h.append("<tr>");
            double rule = ruleThreshold(row.get("rule"));
            boolean minimalityRow = row.has("minimal") && Double.isFinite(minimality);
            for (String c : cols) {
                h.append("<td>");
                if (c.equals("confidence interval")) {
                    JsonNode lo = row.get("ci_low");
                    JsonNode hi = row.get("ci_high");
                    if (lo != null && hi != null && lo.isNumber() && hi.isNumber()) {
                        if (Double.isFinite(rule)) {
                            // as the console prints it (Estimate.toString(threshold)), exact past 6 decimals
                            h.append(Decimals.intervalAgainst(lo.asDouble(), hi.asDouble(), rule, 4));
                        } else {
                            h.append("[").append(fmt(lo.asDouble())).append(", ").append(fmt(hi.asDouble())).append("]");
                        }
                    }
                } else if (row.has(c)) {
                    JsonNode v = row.get(c);
                    if (c.equals("value") && v.isNumber() && Double.isFinite(rule)) {
                        h.append(Decimals.against(v.asDouble(), rule, 4));
                    } else if (minimalityRow && DROP_COLUMNS.contains(c) && v.isNumber()) {
                        h.append(Decimals.fixed(v.asDouble(), Decimals.digitsAgainst(Math.abs(v.asDouble()), minimality, 4)));
                    } else {
                        h.append(v.isValueNode() ? scalar(c, v) : html(v.toString()));
                    }
                }
                h.append("</td>");
            }
            h.append("</tr>\n");
        }
        h.append("</table>\n");
    }

    /** Columns of a minimality row that hold the component's drop in faithfulness. */
    private static final Set<String> DROP_COLUMNS = Set.of("score", "faithfulness_drop");

    /** The number in a validation rule (">= 0.9925", "<= 0.2"), or NaN when there is none. */
    static double ruleThreshold(JsonNode rule) {
        if (rule == null || !rule.isTextual()) {
            return Double.NaN;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*[<>]=?\\s*(\\S+)\\s*$").matcher(rule.asText());
        if (!m.matches()) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(m.group(1));
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    private static String scalar(String key, JsonNode v) {
        if (v.isBoolean() && (key.equals("pass") || key.equals("passed") || key.equals("pass_over_interval"))) {
            return v.asBoolean() ? "<span class=\"yes\">pass</span>" : "<span class=\"no\">fail</span>";
        }
        if (v.isBoolean()) {
            return v.asBoolean() ? "yes" : "no";
        }
        if (v.isNumber() && key.endsWith("_threshold")) {
            return Decimals.threshold(v.asDouble()); // as given, never rounded
        }
        if (v.isNumber()) {
            return v.isIntegralNumber() ? v.asText() : fmt(v.asDouble());
        }
        return v.isNull() ? "n/a" : html(v.asText()); // null: not applicable (minimal) or undefined (0 / 0 precision)
    }

    private static void flatten(String prefix, Map<?, ?> map, StringBuilder h) {
        map.forEach((k, v) -> {
            if (v instanceof Map<?, ?> inner) {
                flatten(prefix + k + ".", inner, h);
            } else {
                kv(h, prefix + k, value(v));
            }
        });
    }

    /** A number already formatted for the page. */
    private record Shown(String text) {
        @Override
        public String toString() {
            return text;
        }
    }

    private static String value(Object v) {
        if (v instanceof Double d) {
            return fmt(d);
        }
        if (v instanceof Float f) {
            return fmt(f);
        }
        return String.valueOf(v);
    }

    private static void kv(StringBuilder h, String key, Object value) {
        h.append("<tr><th>").append(html(key)).append("</th><td>").append(html(value == null ? "" : value(value)))
                .append("</td></tr>\n");
    }

    /**
     * A curve's points as circuit.json holds them ({@code [[x, y], ...]}, {@code [{xKey, yKey}, ...]} or
     * {@code {xKey: [...], yKey: [...]}}), those whose x and y are both finite numbers; the others are counted in
     * {@link Points#leftOut()}. A hand-edited null or string was drawn at 0 in the last form, and a NaN or infinity
     * (a Python-written file) put "NaN" into the SVG's coordinates, which drew nothing or broke the whole chart.
     */
    static Points points(JsonNode node, String xKey, String yKey) {
        Points out = new Points();
        if (node == null) {
            return out;
        }
        if (node.isObject() && node.get(xKey) != null && node.get(yKey) != null) {
            JsonNode xs = node.get(xKey);
            JsonNode ys = node.get(yKey);
            for (int i = 0; i < Math.max(xs.size(), ys.size()); i++) {
                out.add(xs.get(i), ys.get(i));
            }
        } else if (node.isArray()) {
            for (JsonNode p : node) {
                if (p.isArray()) {
                    out.add(p.get(0), p.size() >= 2 ? p.get(1) : null);
                } else {
                    out.add(p.get(xKey), p.get(yKey));
                }
            }
        }
        return out;
    }

    /** Points to draw, and how many the file held without a finite x and y. */
    static final class Points {
        private final List<double[]> drawn = new ArrayList<>();
        private int leftOut;

        void add(JsonNode x, JsonNode y) {
            if (x != null && y != null && x.isNumber() && y.isNumber() && Double.isFinite(x.asDouble())
                    && Double.isFinite(y.asDouble())) {
                drawn.add(new double[] {x.asDouble(), y.asDouble()});
            } else {
                leftOut++;
            }
        }

        List<double[]> drawn() {
            return drawn;
        }

        int leftOut() {
            return leftOut;
        }

        boolean isEmpty() {
            return drawn.isEmpty();
        }

        /** The chart's title, saying how many points it leaves out. */
        String title(String title) {
            return leftOut() == 0 ? title : title + " (" + leftOut() + (leftOut() == 1 ? " point" : " points")
                    + " without a finite value left out)";
        }
    }

    /** The heatmaps section, checked; empty when absent. */
    static List<SvgCharts.Heatmap> heatmaps(CircuitDocument doc) {
        JsonNode node = doc.extra().get(HEATMAPS);
        List<SvgCharts.Heatmap> out = new ArrayList<>();
        if (node == null || node.isNull()) {
            return out;
        }
        if (!node.isArray()) {
            throw new IllegalArgumentException("field 'heatmaps' must be a list of {title, row_labels, col_labels, values}");
        }
        for (int i = 0; i < node.size(); i++) {
            String at = "heatmaps[" + i + "]";
            JsonNode hm = node.get(i);
            List<String> rows = labels(hm.get("row_labels"), at + ".row_labels");
            List<String> cols = labels(hm.get("col_labels"), at + ".col_labels");
            JsonNode values = hm.get("values");
            if (values == null || !values.isArray() || values.size() != rows.size()) {
                throw new IllegalArgumentException("field '" + at + ".values' must be a list of " + rows.size()
                        + " rows (one per row label)");
            }
            Double[][] v = new Double[rows.size()][cols.size()];
            for (int r = 0; r < rows.size(); r++) {
                JsonNode row = values.get(r);
                if (!row.isArray() || row.size() != cols.size()) {
                    throw new IllegalArgumentException("field '" + at + ".values[" + r + "]' must hold " + cols.size()
                            + " numbers (one per column label)");
                }
                for (int c = 0; c < cols.size(); c++) {
                    JsonNode x = row.get(c);
                    if (!x.isNull() && !x.isNumber()) {
                        throw new IllegalArgumentException("field '" + at + ".values[" + r + "][" + c
                                + "]' must be a number or null, got " + x);
                    }
                    v[r][c] = x.isNull() ? null : x.asDouble();
                }
            }
            JsonNode title = hm.get("title");
            out.add(new SvgCharts.Heatmap(title != null && title.isTextual() ? title.asText() : "heatmap " + (i + 1), rows,
                    cols, v));
        }
        return out;
    }

    private static List<String> labels(JsonNode node, String field) {
        if (node == null || !node.isArray() || node.isEmpty()) {
            throw new IllegalArgumentException("field '" + field + "' must be a non-empty list of labels");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode label = node.get(i);
            if (!label.isTextual() && !label.isNumber()) { // an object or a list was shown as an empty label, null as "null"
                throw new IllegalArgumentException("field '" + field + "[" + i + "]' must be a string or a number, got "
                        + label);
            }
            out.add(label.asText());
        }
        return out;
    }

    private static final String CSS = """
            body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto;
                   max-width: 1120px; padding: 0 16px; line-height: 1.4; }
            h1 { font-size: 1.5em; margin-bottom: 0.2em; }
            h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 1.6em; }
            h3 { font-size: 1em; margin: 1em 0 0.4em; }
            .sub { color: #555; margin-top: 0; }
            .note { color: #555; font-size: 0.9em; }
            table { border-collapse: collapse; font-size: 0.9em; margin: 0.4em 0; }
            table.kv th { text-align: left; font-weight: 600; padding: 2px 16px 2px 0; vertical-align: top; white-space: nowrap; }
            table.kv td { padding: 2px 0; word-break: break-all; }
            table.grid th, table.grid td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
            table.grid tr:nth-child(even) td { background: #f7f7f7; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            .mono { font-family: ui-monospace, Menlo, Consolas, monospace; }
            .pos { color: #2166ac; } .neg { color: #b2182b; }
            .yes { color: #fff; background: #1a9850; padding: 0 6px; border-radius: 3px; }
            .no { color: #fff; background: #999; padding: 0 6px; border-radius: 3px; }
            .diagram { overflow-x: auto; border: 1px solid #eee; padding: 8px; background: #fff; }
            svg.circuit { max-width: 100%; height: auto; }
            .cols { display: flex; flex-wrap: wrap; gap: 8px 48px; } .cols section { flex: 1 1 420px; min-width: 0; }
            .charts { display: flex; flex-wrap: wrap; gap: 24px; }
            figure { margin: 0.6em 0; } figcaption { font-weight: 600; font-size: 0.95em; }
            svg .lab { font-size: 10px; fill: #333; } svg .val { font-size: 9px; }
            footer { margin-top: 2em; color: #888; font-size: 0.8em; }
            """;
}
