package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitFileException;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.io.RecordedModel;
import io.circuitscope.circuits.io.ValidationSections;
import io.circuitscope.circuits.render.ComparisonText;
import io.circuitscope.core.Decimals;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.task.TaskFileException;
import io.circuitscope.core.task.UnequalPromptLengthsException;
import io.circuitscope.validation.CircuitValidator;
import io.circuitscope.validation.ValidationReport;
import io.circuitscope.validation.ValidationSettings;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Tests a circuit's faithfulness, necessity, sufficiency, minimality and completeness, and compares it to a reference. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = "Validate a circuit on a task; results are added to the circuit.json and printed.")
final class ValidateCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "Model directory, .bin file, hub id or planted:NAME.")
    String model;

    @Option(names = "--task", required = true, paramLabel = "T.jsonl", description = "Task file.")
    Path taskFile;

    @Option(names = "--circuit", required = true, paramLabel = "circuit.json", description = "The circuit to validate: a circuit.json, or an EAP-IG graph file "
            + "(Graph.to_json), judged after EAP-IG's prune; its result is written beside it as NAME.circuitscope.json.")
    Path circuitFile;

    @Option(names = "--reference", paramLabel = "R.json", description = "A reference circuit (circuit.json, or an EAP-IG graph file).")
    Path referenceFile;

    @Option(names = "--metric", description = "Metric (default: the one circuit.json was found with, else kl).")
    String metric;

    @Option(names = "--ablation", description = "resample, mean or zero (default: the one circuit.json was found with, "
            + "else resample).")
    String ablation;

    @CommandLine.Mixin
    ValidationOptions validation;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of every random choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--no-bos", description = ModelOptions.NO_BOS)
    boolean noBos;

    @Option(names = "--json", description = "Print the validation section as JSON (as circuit.json holds it), with the "
            + "comparison the console prints (precision, recall, AUC, CPR, CMD) under \"comparison\" when there is one.")
    boolean json;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ValidationSettings settings = validation.settings(spec, seed);
        if (batchSize < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--batch-size must be positive, got " + batchSize);
        }
        try { // the ones given; those recorded in circuit.json are checked when it is read
            if (metric != null) {
                Metrics.byName(metric);
            }
            if (ablation != null) {
                Ablation.parse(ablation);
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        PathChecks.readable(spec, "--reference", referenceFile); // before the model is loaded and the circuit validated
        TaskFile.requireReadable(taskFile); // a missing task named before the model is loaded, not after it
        PathChecks.readable(spec, "--circuit", circuitFile); // a usage error before the model is loaded, as --reference
        boolean eapIgFile = Files.isRegularFile(circuitFile) && CircuitJson.isEapIgGraphFile(circuitFile);
        // another tool's file is left as it was: the result goes into a circuitscope file beside it
        Path written = eapIgFile ? importedResultFile(circuitFile) : circuitFile;
        PathChecks.fileForWriting(spec, eapIgFile ? "--circuit's result file" : "--circuit", written);
        try (ModelAndTask loaded = openModelAndTask()) {
            CircuitDocument doc = CircuitJson.read(circuitFile, ComputationGraph.of(loaded.model().config()));
            RecordedModel.requireSame(circuitFile, doc.model(), loaded.model().config());
            if (eapIgFile) {
                ValidationNotes.eapIgImport(spec.commandLine().getErr(), "validate: ", circuitFile, doc, "judging");
            }
            // a circuit is judged by the metric and ablation it was found with, unless the user asks otherwise
            Object recordedMetric = doc.method().get("metric");
            Object recordedAblation = doc.method().get("ablation");
            boolean metricGiven = metric != null;
            boolean ablationGiven = ablation != null;
            if (!metricGiven) {
                checkRecorded(circuitFile, "metric", recordedMetric, Metrics::byName);
            }
            if (!ablationGiven) {
                checkRecorded(circuitFile, "ablation", recordedAblation, Ablation::parse);
            }
            // a file whose method records neither (validate's rewrite of an EAP-IG file) holds the validation that judged
            // it: judged again by the same, not by the defaults, which silently replaced a logit-diff verdict with KL's
            JsonNode earlier = doc.extra().get("validation");
            String earlierMetric = metricGiven || recordedMetric != null ? null
                    : earlierSetting(earlier, "metric", Metrics::byName);
            String earlierAblation = ablationGiven || recordedAblation != null ? null
                    : earlierSetting(earlier, "ablation", Ablation::parse);
            metric = metricGiven ? metric : recordedMetric != null ? recordedMetric.toString()
                    : earlierMetric != null ? earlierMetric : "kl";
            ablation = ablationGiven ? ablation : recordedAblation != null ? recordedAblation.toString()
                    : earlierAblation != null ? earlierAblation : "resample";
            if (earlierMetric != null || earlierAblation != null) {
                java.util.List<String> taken = new java.util.ArrayList<>();
                if (earlierMetric != null) {
                    taken.add("metric " + earlierMetric + " (validation.metric)");
                }
                if (earlierAblation != null) {
                    taken.add(earlierAblation + " ablation (validation.ablation)");
                }
                spec.commandLine().getErr().printf(Locale.ROOT, "validate: %s records no %s in its method, so it is judged "
                        + "with %s, as its earlier validation was; --metric and --ablation choose others%n", circuitFile,
                        earlierMetric != null && earlierAblation != null ? "metric or ablation"
                                : earlierMetric != null ? "metric" : "ablation", String.join(" and ", taken));
            }
            JudgingChoice metricChoice = JudgingChoice.metric(metric, metricGiven, recordedMetric);
            JudgingChoice ablationChoice = JudgingChoice.ablation(ablation, ablationGiven, recordedAblation);
            String provenance = JudgingChoice.provenance(circuitFile, metricChoice, ablationChoice);
            if (provenance != null) {
                spec.commandLine().getErr().println("validate: " + provenance);
            }
            if (eapIgFile && recordedMetric == null && recordedAblation == null && !(metricGiven && ablationGiven)) {
                // EAP-IG's file says nothing of how its circuit was found: a default may not be what found it
                spec.commandLine().getErr().printf(Locale.ROOT, "validate: note: %s records no metric or ablation (EAP-IG graph "
                        + "files do not), so it is judged with %s and %s; --metric and --ablation choose the ones it was "
                        + "found with%n", circuitFile, metricChoice.describe(circuitFile), ablationChoice.describe(circuitFile));
            }
            ComputationGraph graph = doc.circuit().graph(); // split by position when the circuit is
            CircuitDocument reference = referenceFile == null ? null
                    : RecordedModel.readReference(referenceFile, graph, loaded.model().config(), "--reference");
            Task task = loaded.task();
            checkPositions(circuitFile, graph, task, taskFile);
            Object foundOn = doc.task().get("hash");
            if (foundOn != null && !foundOn.equals(io.circuitscope.core.Hashes.of(task))) {
                // legitimate for a held-out task; a surprise when the same text was tokenized another way
                Object examples = doc.task().get("examples");
                boolean otherSize = examples instanceof Number n && n.intValue() != task.size();
                spec.commandLine().getErr().printf(Locale.ROOT, "validate: note: %s is not the task the circuit was found on (%s)%n",
                        taskFile, otherSize ? task.size() + " examples where it was found on " + examples
                                + ": a held-out task judges it on other prompts"
                                : "its token ids differ; for the same text, check --no-bos");
            }
            if (Ablation.parse(ablation) == Ablation.MEAN) {
                MeanAblationCheck.check(spec, task, "--ablation");
            }
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), graph), task, Metrics.byName(metric),
                    Ablation.parse(ablation), batchSize)) {
                ValidationReport report = new CircuitValidator(settings).validate(tp, doc.circuit(),
                        new ProgressBar(spec.commandLine().getErr(), quiet));
                ObjectNode section = ValidationSections.validation(report);
                section.put("metric", metric);
                section.put("ablation", ablation);
                // the command and build that judged it, beside the top-level ones that found it (discover's, kept)
                section.set("command", io.circuitscope.circuits.io.Provenance.command(spec));
                section.set("software", io.circuitscope.circuits.io.Provenance.software());
                doc = doc.withExtra("validation", section);
                // the circuit's scores rank by signed score (CPR) as the metric they were computed with reads them;
                // EAP-IG's file records none, but its scores are always a loss's (higher supports the behaviour)
                Metric scoresMetric = scoresMetric(recordedMetric);
                boolean eapIgScores = recordedMetric == null && CircuitJson.recordsEapIgImport(doc.method());
                if (reference != null) {
                    doc = doc.withExtra("comparison", ValidationSections.comparison(tp, doc.circuit(), reference.circuit(),
                            referenceFile.getFileName().toString(), scoresMetric, eapIgScores));
                } else if (loaded.planted() != null) {
                    // a planted model's ground truth under the ablation judging the circuit, as discover compares with it
                    Ablation judgedBy = Ablation.parse(ablation);
                    doc = doc.withExtra("comparison", ValidationSections.comparison(tp, doc.circuit(),
                            loaded.reference(judgedBy), loaded.referenceName(judgedBy), scoresMetric, eapIgScores));
                    // the planted task is the one made with the seed the circuit's run recorded, else with --seed
                    if (loaded.replacesPlantedTask(doc.method().get("seed") instanceof Number n ? n.longValue() : seed)) {
                        spec.commandLine().getErr().println("validate: " + loaded.plantedTaskNote());
                    }
                } else if (doc.extra().containsKey("comparison")) {
                    // its CPR and CMD were measured under the metric of an earlier run, against a reference not given now
                    doc = doc.withoutExtra("comparison");
                    spec.commandLine().getErr().printf(Locale.ROOT, "validate: the comparison %s held is dropped; pass --reference "
                            + "to compare again under %s%n", circuitFile, metric);
                }
                CircuitJson.write(written, doc);
                if (!written.equals(circuitFile)) {
                    spec.commandLine().getErr().printf(Locale.ROOT, "validate: wrote %s (the circuit with its validation)%n", written);
                }
                print(spec.commandLine().getOut(), report, doc.extra().get("comparison"), section, written,
                        task.examples().size());
            }
        }
        return 0;
    }

    /**
     * A metric or ablation circuit.json records, which judges the circuit when its option is not given: refused
     * naming the file and field when this version cannot read it ("unknown ablation 'bogus'" named neither).
     */
    /** A previous validation's metric or ablation, when the file holds one this version reads; else null. */
    private static String earlierSetting(JsonNode validation, String key, java.util.function.Consumer<String> parse) {
        JsonNode v = validation == null ? null : validation.get(key);
        if (v == null || !v.isTextual()) {
            return null;
        }
        try {
            parse.accept(v.asText());
            return v.asText();
        } catch (IllegalArgumentException e) {
            return null; // not one this version knows: the default, as before
        }
    }

    private static void checkRecorded(Path file, String key, Object recorded, java.util.function.Consumer<String> parse) {
        if (recorded == null) {
            return;
        }
        if (!(recorded instanceof String text)) {
            throw new CircuitFileException(file + ": field 'method." + key + "' must be a string, got " + recorded
                    + "; --" + key + " judges the circuit with another");
        }
        try {
            parse.accept(text);
        } catch (IllegalArgumentException e) {
            throw new CircuitFileException(file + ": field 'method." + key + "': " + e.getMessage()
                    + "; --" + key + " judges the circuit with another");
        }
    }

    /**
     * The metric the circuit's scores were computed with, as its file records it; null when it records none or one
     * this version does not know, and the scores then rank as the judging metric reads them, except an imported EAP-IG
     * file's, which rank as a loss's ({@link CircuitJson#recordsEapIgImport}).
     */
    static Metric scoresMetric(Object recordedMetric) {
        if (recordedMetric == null) {
            return null;
        }
        try {
            return Metrics.byName(recordedMetric.toString());
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The model and task; prompts are judged as given, so unequal lengths point to the task discover aligned. */
    private ModelAndTask openModelAndTask() {
        try {
            return ModelAndTask.open(model, taskFile, 0, seed, false, quiet, !noBos,
                    spec.commandLine().getErr());
        } catch (UnequalPromptLengthsException e) {
            throw new TaskFileException(e.getMessage() + "; a circuit found with discover --align has the aligned task "
                    + "beside it (task.jsonl)");
        }
    }

    /**
     * A position-aware circuit fits prompts of one length, its {@code positions}: a task of another length is refused
     * here, naming the circuit file, rather than deep in the patcher, which knows neither file.
     */
    static void checkPositions(Path circuitFile, ComputationGraph graph, Task task, Path taskFile) {
        if (!graph.isByPosition()) {
            return;
        }
        int length;
        try {
            length = task.commonLength("a position-aware circuit");
        } catch (IllegalArgumentException e) {
            throw new TaskFileException(circuitFile + " is position-aware (\"positions\": " + graph.positions() + "), so "
                    + e.getMessage());
        }
        if (length != graph.positions()) {
            throw new TaskFileException(String.format(Locale.ROOT, "%s is position-aware, found on prompts of %d tokens "
                    + "(its \"positions\": %d), but the prompts of %s have %d tokens: validate it on a task of its prompt "
                    + "length", circuitFile, graph.positions(), graph.positions(), taskFile, length));
        }
    }

    /** Where the validation of an imported circuit goes: NAME.json becomes NAME.circuitscope.json beside it. */
    static Path importedResultFile(Path imported) {
        String name = imported.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - ".json".length()) : name;
        return imported.resolveSibling(stem + ".circuitscope.json");
    }

    /** What the header says of the intervals: none is computed over one prompt, whatever --bootstrap asks. */
    private String intervals(ValidationReport r, int prompts) {
        if (validation.bootstrap == 0) {
            return "no bootstrap intervals (--bootstrap 0)";
        }
        if (prompts < 2) { // the resamples draw prompts: one prompt gives every resample the same value
            // incompleteness still has one when measured: it resamples the node subsets, not the prompts
            return "no bootstrap intervals over prompts: one prompt, nothing to resample"
                    + (validation.completenessSamples > 0 ? " (incompleteness's interval is over its subsets)" : "");
        }
        if (Double.isNaN(r.faithfulness().low())) { // most resamples had no clean-corrupted gap (Bootstrap)
            return "no bootstrap intervals: on most of the " + validation.bootstrap + " resamples the faithfulness is "
                    + "undefined (no clean-corrupted gap)";
        }
        return "95% bootstrap intervals over " + validation.bootstrap + " resamples";
    }

    private void print(PrintWriter out, ValidationReport r, JsonNode comparison, ObjectNode section, Path written,
            int prompts) throws Exception {
        if (json) {
            // the section as circuit.json holds it: CircuitJson.write normalises its numbers (-0.0 as 0.0, NaN as null);
            // the comparison too, which the console prints and which was left out of the JSON
            ObjectNode shown = section.deepCopy();
            if (comparison != null) {
                shown.set("comparison", comparison.deepCopy());
            }
            io.circuitscope.circuits.io.JsonNumbers.normalise(shown);
            out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(shown));
            out.flush();
            return;
        }
        out.printf(Locale.ROOT, "validation (%s, %s ablation; %s):%n", metric, ablation, intervals(r, prompts));
        if (!r.minimalityApplies()) {
            out.println("  " + ValidationNotes.EMPTY);
        }
        // thresholds as given, values with the decimals that keep them on their side of the threshold
        double sufficiency = r.settings().sufficiencyThreshold();
        double necessity = r.settings().necessityThreshold();
        double minimality = r.settings().minimalityThreshold();
        out.printf(Locale.ROOT, "  faithfulness              %s  sufficient: %s (>= %s)%n", r.faithfulness().toString(sufficiency),
                r.sufficient(), Decimals.threshold(sufficiency));
        if (r.overshoots()) {
            out.println("  " + ValidationNotes.OVERSHOOT);
        }
        if (!r.intervalsStable()) {
            out.println("  " + ValidationNotes.UNSTABLE);
        }
        ValidationNotes.fragileVerdicts(r).forEach(note -> out.println("  " + note));
        out.printf(Locale.ROOT, "  circuit corrupted         %s  necessary: %s (<= %s)%n", r.complementFaithfulness().toString(necessity),
                r.necessary(), Decimals.threshold(necessity));
        if (Double.isNaN(r.incompleteness().value())) {
            out.println("  incompleteness            not measured (--completeness-samples 0)");
        } else {
            out.printf(Locale.ROOT, "  incompleteness            %s  (max %.4f over %d subsets)%n", r.incompleteness(),
                    r.maxIncompleteness(), validation.completenessSamples);
        }
        if (r.minimalityApplies()) {
            out.printf(Locale.ROOT, "  minimal: %s (%d of %d components (%s) change faithfulness by >= %s when removed)%n",
                    r.minimal(), r.components().size() - r.nonMinimal().size(), r.components().size(),
                    io.circuitscope.circuits.run.CircuitCounts.components(r.components()), Decimals.threshold(minimality));
        } else {
            out.println("  minimal: n/a (the circuit has no components)");
        }
        for (ValidationReport.ComponentScore c : ValidationNotes.notMinimalShown(r.nonMinimal())) {
            out.printf(Locale.ROOT, "    not minimal: %-28s drop %s%n", c.name(), ValidationNotes.drop(c.score(), minimality));
        }
        String leftOut = ValidationNotes.notMinimalLeftOut(r.nonMinimal(), written.getFileName().toString());
        if (!leftOut.isEmpty()) {
            out.println("    " + leftOut);
        }
        if (comparison != null) {
            out.printf(Locale.ROOT, "  vs %s: edge precision %s recall %s, node (head and MLP) precision %s recall %s, AUC %s, CPR %s, CMD %s%s%n",
                    comparison.get("reference").asText(), ComparisonText.ratioWithCounts(comparison, "edge", false),
                    ComparisonText.ratioWithCounts(comparison, "edge", true),
                    ComparisonText.ratioWithCounts(comparison, "node", false),
                    ComparisonText.ratioWithCounts(comparison, "node", true),
                    ComparisonText.ratio(comparison.get("auc")),
                    ComparisonText.ratio(comparison.get("cpr")), ComparisonText.ratio(comparison.get("cmd")),
                    ComparisonText.acrossPositionsNote(comparison));
            String ranking = ComparisonText.scoresMetricNote(comparison);
            if (comparison.path("unranked").isTextual()) {
                out.println("    note: " + comparison.get("unranked").asText()); // its n/a's, said why
            }
            if (ranking != null) {
                out.println("    " + ranking);
            }
        }
        out.flush();
    }
}
