package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.run.ProgressFile;
import io.circuitscope.circuits.run.DiscoveryRun;
import io.circuitscope.circuits.run.RunJournal;
import io.circuitscope.discovery.Discovery;
import java.util.function.Function;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.io.RecordedModel;
import io.circuitscope.circuits.io.Provenance;
import io.circuitscope.circuits.run.RunValidation;
import io.circuitscope.circuits.render.ComparisonText;
import io.circuitscope.circuits.run.CallerNames;
import io.circuitscope.circuits.run.CircuitCounts;
import io.circuitscope.circuits.run.DiscoverySettings;
import io.circuitscope.core.Decimals;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.validation.ValidationReport;
import io.circuitscope.validation.ValidationSettings;
import java.nio.file.Files;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.discovery.Methods;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Finds a circuit for a task and writes DIR/circuit.json. */
@Command(name = "discover", mixinStandardHelpOptions = true,
        description = "Find the circuit that carries a task's behaviour and write DIR/circuit.json.")
final class DiscoverCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelTaskOptions input;

    @Option(names = "--reference", paramLabel = "R.json",
            description = "Reference circuit to compare with (planted models use their ground truth).")
    Path referenceFile;

    @Option(names = "--no-validate", description = "Skip validation.")
    boolean noValidate;

    @CommandLine.Mixin
    ValidationOptions validation;

    @Option(names = "--no-render", description = "Skip the diagrams and the HTML report.")
    boolean noRender;

    /** Where the run's progress (ACDC's, exact patching's) is kept until circuit.json is written ({@link ProgressFile}). */
    static final String PROGRESS = ProgressFile.NAME;

    /** The least time between two writes of the progress file; tests set 0 to record every destination. */
    static double progressSeconds = ProgressFile.INTERVAL_SECONDS;

    /** The journal ACDC and exact patching are given, from the progress file; tests wrap it to stop a run part-way. */
    static Function<ProgressFile, RunJournal> journalSeam = f -> f;

    /** Relative completeness error of EAP-IG above which discover suggests more steps. */
    static final double ROUGH_INTEGRAL = 0.1;

    @Option(names = "--method", defaultValue = "pipeline",
            description = "acdc, atp, eap, eap-ig, eap-ig-inputs, atp-star, relp, relp-ah, exact or pipeline; relp:RULES runs RelP with "
                    + "the LRP rules named (ln, identity, half, ah joined by '+', or none) (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--scorer", defaultValue = "eap-ig", description = "Scorer of the pipeline: eap, eap-ig, eap-ig-inputs, "
            + "atp-star, relp, relp-ah, exact, or relp:RULES as in --method (default: ${DEFAULT-VALUE}).")
    String scorer;

    @Option(names = "--candidates", defaultValue = "200",
            description = "Edges the pipeline verifies: a count, '>=SCORE', 'all', or 'bound[:F]': as many top-ranked "
                    + "edges as AtP*'s false-negative bound asks for, so that at most F (default 0.05) of the rest "
                    + "damage the metric by tau or more, at 95%% confidence (default: ${DEFAULT-VALUE}).")
    String candidates;

    @Option(names = "--tau", defaultValue = "0.01", description = "ACDC threshold (default: ${DEFAULT-VALUE}).")
    double tau;

    @Option(names = "--metric", defaultValue = "kl",
            description = "kl, logit-diff, logit-diff-swapped, logprob, prob, prob-diff, accuracy or rank (default: "
                    + "${DEFAULT-VALUE}); accuracy and rank are step functions, which no gradient scorer can follow: use "
                    + "them with acdc, exact, or the pipeline with --scorer exact.")
    String metric;

    @Option(names = "--ablation", defaultValue = "resample", description = "resample, mean or zero (default: ${DEFAULT-VALUE}).")
    String ablation;

    @Option(names = "--ig-steps", defaultValue = "5", description = "EAP-IG steps, for eap-ig and eap-ig-inputs (default: ${DEFAULT-VALUE}).")
    int igSteps;

    @Option(names = "--edges", defaultValue = "100",
            description = "Edges kept by scorer-only methods before pruning (default: ${DEFAULT-VALUE}).")
    int edges;

    @Option(names = "--nodes", defaultValue = "10",
            description = "Nodes (node-positions with --by-position) kept by atp (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of every random choice: a planted model's task, the "
            + "samples of --candidates bound, the false-negative sample, validation's resampling and knock-out subsets; "
            + "recorded with the run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--by-position",
            description = "Split every edge by token position: a position-aware circuit (prompts must all have one length).")
    boolean byPosition;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/discover-TIMESTAMP).")
    Path out;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        try {
            Methods.checkMethod(method);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--method: " + e.getMessage());
        }
        requireAtLeast("--ig-steps", igSteps, "ig_steps");
        requireAtLeast("--batch-size", batchSize, "batch_size");
        requireAtLeast("--edges", edges, "edges");
        requireAtLeast("--nodes", nodes, "nodes");
        String tauProblem = DiscoverySettings.tauProblem(tau);
        if (tauProblem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--tau " + tauProblem);
        }
        DiscoverySettings settings;
        try {
            settings = new DiscoverySettings(method, scorer, candidates, tau, metric,
                    Ablation.parse(ablation), igSteps, edges, nodes, batchSize, seed, byPosition);
            io.circuitscope.circuits.run.DiscoveryRun.check(settings, CallerNames.flags());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ValidationSettings checkedValidation = validation.settings(spec, settings.seed()); // before any work is done
        warnAboutIgnoredOptions(settings);
        String tauZeroNote = settings.tauZeroNote(CallerNames.flags());
        if (tauZeroNote != null) {
            spec.commandLine().getErr().println("note: " + tauZeroNote);
        }
        Path dir = out != null ? out
                : Path.of("runs", "discover-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        // found before the discovery runs, not after, when its result would have nowhere to go
        PathChecks.readable(spec, "--reference", referenceFile);
        RunFolder folder = RunFolder.forDiscover(spec, "--out", dir);
        PrintWriter stdout = spec.commandLine().getOut();
        ProgressBar progress = new ProgressBar(spec.commandLine().getErr(), quiet);
        try (ModelAndTask mt = input.open(spec, seed, quiet)) {
            if (settings.ablation() == Ablation.MEAN) {
                MeanAblationCheck.check(spec, mt.task(), "--ablation");
            }
            if (byPosition) { // before the discovery, which names the setting in words
                mt.task().commonLength("--by-position");
            }
            input.noteAlignPadding(spec, mt, byPosition);
            // read against the model's graph (split as the file says) before the discovery, so a bad file costs no run
            Circuit reference = referenceFile != null ? RecordedModel.readReference(referenceFile,
                    ComputationGraph.of(mt.model().config()), mt.model().config(), "--reference").circuit()
                    : mt.reference(settings.ablation());
            ProgressFile progressFile = new ProgressFile(dir.resolve(PROGRESS),
                    DiscoveryRun.fingerprint(mt.model(), input.model, mt.source(), mt.task(), settings),
                    spec.commandLine().getErr(), progressSeconds);
            boolean recorded = Discovery.keepsProgress(settings.options());
            RunJournal journal = recorded ? journalSeam.apply(progressFile) : RunJournal.none();
            CircuitDocument doc = DiscoveryRun.run(mt.model(), input.model, mt.source(), mt.task(), settings,
                    CallerNames.flags(), progress, journal);
            Path file = dir.resolve("circuit.json");
            doc = doc.withExtra("software", Provenance.software()).withExtra("command", Provenance.command(spec));
            if (!mt.roles().isEmpty()) {
                doc = doc.withExtra("roles", new ObjectMapper().valueToTree(mt.roles()));
            }
            printSummary(stdout, doc, noValidate ? Double.NaN : checkedValidation.sufficiencyThreshold());
            if (!noValidate) {
                doc = validate(mt, doc, settings, checkedValidation, reference, progress);
            }
            Files.createDirectories(dir);
            folder.clearEarlierRun(List.of("circuit.json", "task.jsonl"), noRender ? List.of() : RunFolder.DRAWINGS,
                    spec.commandLine().getErr());
            // the task first: a circuit.json beside a task it was not found on would mislead a later validate
            TaskFile.write(dir.resolve("task.jsonl"), mt.task());
            CircuitJson.write(file, doc);
            if (!recorded && Files.isRegularFile(progressFile.file())) { // said, as any replaced file is
                spec.commandLine().getErr().printf(Locale.ROOT, "note: removed %s, an interrupted run's progress: "
                        + "this run's circuit replaces that run%n", progressFile.file());
            }
            progressFile.delete(); // the circuit is safe (a progress file of another run here is stale too)
            stdout.printf(Locale.ROOT, "  wrote %s%n", file);
            if (!noRender) {
                RunDrawings.write(file, doc, stdout, spec.commandLine().getErr());
            }
            stdout.flush();
        }
        return 0;
    }

    /** The option's value against the least its setting takes ({@link DiscoverySettings#LEAST}). */
    private void requireAtLeast(String option, int value, String setting) {
        int least = DiscoverySettings.LEAST.get(setting);
        if (value < least) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " must be >= " + least + ", got " + value);
        }
    }

    /**
     * Options given on the command line that the chosen method does not read, said rather than silently dropped:
     * those the settings leave out of circuit.json ({@link DiscoverySettings#asMap}, null when unused).
     */
    private void warnAboutIgnoredOptions(DiscoverySettings settings) {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        Map<String, Object> recorded = settings.asMap();
        for (String key : List.of("scorer", "candidates", "tau", "edges", "nodes", "ig_steps")) {
            String option = "--" + key.replace('_', '-');
            if (given.hasMatchedOption(option) && recorded.get(key) == null) {
                // the pipeline reads --ig-steps; it is its scorer that may not
                String reader = key.equals("ig_steps") && settings.method().equals(Methods.PIPELINE)
                        ? "--scorer " + settings.scorer() : "--method " + settings.method();
                spec.commandLine().getErr().println("note: " + option + " does not apply to " + reader + "; ignored");
            }
        }
    }

    /**
     * What the comparison is with: the --reference file, else the model's own ground truth (planted models) under the
     * run's ablation.
     */
    private String referenceName(ModelAndTask mt, Ablation ablation) {
        return referenceFile != null ? referenceFile.getFileName().toString() : mt.referenceName(ablation);
    }

    /**
     * The components that fail minimality, with their drops, so the summary says which ones (at most three); the rest
     * are counted, and {@code where} names the file that lists them all.
     */
    static String notMinimal(List<ValidationReport.ComponentScore> failing, double threshold, String where) {
        if (failing.isEmpty()) {
            return "";
        }
        StringBuilder text = new StringBuilder("; |drop| below " + Decimals.threshold(threshold) + ": ");
        List<ValidationReport.ComponentScore> shown = ValidationNotes.notMinimalShown(failing);
        for (int i = 0; i < shown.size(); i++) {
            ValidationReport.ComponentScore c = shown.get(i);
            text.append(i > 0 ? ", " : "").append(c.name()).append(' ').append(ValidationNotes.drop(c.score(), threshold));
        }
        String leftOut = ValidationNotes.notMinimalLeftOut(failing, where);
        if (!leftOut.isEmpty()) {
            text.append(' ').append(leftOut);
        }
        return text.toString();
    }

    private CircuitDocument validate(ModelAndTask mt, CircuitDocument doc, DiscoverySettings settings,
            ValidationSettings vs, Circuit reference, ProgressBar progress) {
        String referenceName = reference == null ? null : referenceName(mt, settings.ablation());
        RunValidation.Result validated = RunValidation.validate(mt.model(), mt.task(), doc, settings, vs, reference,
                referenceName, progress);
        ValidationReport report = validated.report();
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "  validation: faithfulness %s, sufficient %s, necessary %s, minimal %s%s%n",
                report.faithfulness().toString(vs.sufficiencyThreshold()), report.sufficient(), report.necessary(), !report.minimalityApplies()
                        ? "n/a (the circuit has no components)"
                        : report.minimal() + String.format(Locale.ROOT, " (%d of %d components: %s)",
                                report.components().size() - report.nonMinimal().size(), report.components().size(),
                                io.circuitscope.circuits.run.CircuitCounts.components(report.components())),
                // --no-render writes no report.html: only circuit.json's validation section lists them all
                notMinimal(report.nonMinimal(), vs.minimalityThreshold(), noRender ? "circuit.json" : "report.html"));
        if (report.overshoots()) {
            out.println("  " + ValidationNotes.OVERSHOOT);
        }
        if (!report.intervalsStable()) {
            out.println("  " + ValidationNotes.UNSTABLE);
        }
        ValidationNotes.fragileVerdicts(report).forEach(note -> out.println("  " + note));
        if (validated.comparison() != null) {
            com.fasterxml.jackson.databind.node.ObjectNode cmp = validated.comparison();
            out.printf(Locale.ROOT, "  vs %s: edge precision %s, recall %s, ROC AUC %s%s%n", referenceName,
                    ComparisonText.ratioWithCounts(cmp, "edge", false), ComparisonText.ratioWithCounts(cmp, "edge", true),
                    ComparisonText.ratio(cmp.get("auc")),
                    ComparisonText.acrossPositionsNote(cmp));
            if (referenceFile == null && mt.replacesPlantedTask(settings.seed())) {
                out.println("  " + mt.plantedTaskNote());
            }
        }
        return validated.document();
    }

    /**
     * @param sufficiency the sufficiency threshold the validation that follows compares the faithfulness with (NaN:
     *                    none follows); the faithfulness prints with the decimals the validation line gives it
     */
    static void printSummary(PrintWriter out, CircuitDocument doc, double sufficiency) {
        Map<String, Object> s = doc.summary();
        out.printf(Locale.ROOT, "circuitscope discover: %s on %s, task %s (%s example%s)%n", doc.method().get("key"),
                doc.model().get("name"), doc.task().get("name"), doc.task().get("examples"),
                Integer.valueOf(1).equals(doc.task().get("examples")) ? "" : "s");
        out.printf(Locale.ROOT, "  circuit: %s of %s edges, %s%n", s.get("edges_in_graph"), s.get("edges_total"),
                io.circuitscope.circuits.run.CircuitCounts.nodes(doc.circuit()));
        if (s.get("few_scored") != null) {
            out.printf(Locale.ROOT, "  note: %s%n", s.get("few_scored"));
        }
        if (s.get("empty_circuit") != null) {
            out.printf(Locale.ROOT, "  note: the circuit is empty: %s%n", s.get("empty_circuit"));
        }
        out.printf(Locale.ROOT, "  metric %s: clean %s, corrupted %s, circuit %s -> faithfulness %s%n", s.get("metric"),
                Decimals.fixed((Double) s.get("clean"), 4), Decimals.fixed((Double) s.get("corrupted"), 4),
                Decimals.fixed((Double) s.get("circuit"), 4), Decimals.against((Double) s.get("faithfulness"), sufficiency, 4));
        if (s.get("candidate_rounds") instanceof Map<?, ?> rounds) {
            out.println("  " + io.circuitscope.circuits.run.CandidateRoundsSummary.line(rounds));
        }
        if (s.get("false_negative_bound") instanceof Map<?, ?> b && b.get("sampled_unverified_edges")
                .equals(b.get("unverified_edges"))) {
            // under --candidates bound the last round may have patched them all: its count, not a check of its own
            int round = s.get("candidate_rounds") instanceof Map<?, ?> rounds
                    ? io.circuitscope.circuits.run.CandidateRoundsSummary.boundingRound(rounds) : 0;
            out.printf(Locale.ROOT, "  false negatives: %s of all %s unverified edges damage the metric by >= tau (every one "
                    + "patched%s)%n", b.get("found_above_tau"), b.get("unverified_edges"), round == 0 ? ""
                            : " by the bound's last round, round " + round + " above, not again");
        } else if (s.get("false_negative_bound") instanceof Map<?, ?> b) {
            out.printf(Locale.ROOT, "  false negatives: %s of %s sampled unverified edges damage the metric by >= tau; at most %.1f%% "
                    + "of the %s unverified edges do (%.0f%% confidence)%n", b.get("found_above_tau"),
                    b.get("sampled_unverified_edges"), 100 * (Double) b.get("max_fraction_missed"), b.get("unverified_edges"),
                    100 * (Double) b.get("confidence"));
        }
        if (s.get("ig_completeness") instanceof Map<?, ?> c) {
            double error = (Double) c.get("relative_error");
            // the pipeline sums the scorer's estimates; circuit.json holds ACDC's exact effects for the candidates
            Object verified = s.get("candidates_verified");
            String whose = verified != null
                    ? String.format(Locale.ROOT, "EAP-IG's estimates for %s, before ACDC's exact effects replaced the %s "
                            + "verified candidates' scores in circuit.json,", c.get("summed"), verified)
                    : "the scores of " + c.get("summed");
            out.printf(Locale.ROOT, "  EAP-IG completeness: %s sum to %s, m(corrupted) - m(clean) is %s: %.1f%% off with %s steps%s%n",
                    whose, Decimals.fixed((Double) c.get("sum"), 4), Decimals.fixed((Double) c.get("gap"), 4),
                    100 * error, c.get("steps"), error > ROUGH_INTEGRAL ?  " (a coarse integral: more --ig-steps "
                            + "bring it closer in the end, though not at every step)" : "");
        }
        out.printf(Locale.ROOT, "  cost: %s, %s (forward and backward), %.1f s%n",
                CircuitCounts.passes(((Number) s.get("forward_passes")).longValue(), "forward"),
                CircuitCounts.passes(((Number) s.get("gradient_passes")).longValue(), "gradient"), (Double) s.get("seconds"));
        out.flush();
    }
}
