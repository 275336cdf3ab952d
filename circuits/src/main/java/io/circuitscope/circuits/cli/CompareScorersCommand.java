package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.ExactEffectsFile;
import io.circuitscope.circuits.io.JsonNumbers;
import io.circuitscope.circuits.io.Provenance;
import io.circuitscope.circuits.run.CallerNames;
import io.circuitscope.circuits.run.ExactEffectsStore;
import io.circuitscope.circuits.run.ScorerComparison;
import io.circuitscope.core.Decimals;
import io.circuitscope.core.Hashes;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.AtomicFile;
import io.circuitscope.core.io.ModelFingerprint;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.Methods;
import io.circuitscope.validation.ScoreAgreement;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/** How well do the cheap scorers agree with exact patching on this model and task? */
@Command(name = "compare-scorers", mixinStandardHelpOptions = true,
        description = "Patch every edge and node exactly and report each scorer's agreement with it: ROC AUC, "
                + "Pearson and Spearman correlation of edge and node scores, recall of the exact top nodes and edges.")
final class CompareScorersCommand implements Callable<Integer> {
    /** What --out's JSON is and which version of its layout, in circuit.json's style ("circuitscope.circuit/1"). */
    static final String SCHEMA = "circuitscope.scorer-comparison/1";

    @CommandLine.Mixin
    ModelTaskOptions input;

    @Option(names = "--scorers", split = ",", defaultValue = "eap,eap-ig,atp-star,relp",
            description = "Scorers to compare, comma separated; relp:RULES is RelP with only the LRP rules named (ln, "
                    + "identity, half, ah joined by '+', or none), to measure each rule (default: ${DEFAULT-VALUE}).")
    List<String> scorers;

    @Option(names = "--metric", defaultValue = "logit-diff",
            description = "logit-diff, logit-diff-swapped, logprob, prob, prob-diff (default: ${DEFAULT-VALUE}); kl "
                    + "only with eap-ig or eap-ig-inputs: its gradient vanishes at the clean run.")
    String metric;

    @Option(names = "--ablation", defaultValue = "resample", description = "resample, mean or zero (default: ${DEFAULT-VALUE}).")
    String ablation;

    @Option(names = "--ig-steps", defaultValue = "5", description = "EAP-IG steps (default: ${DEFAULT-VALUE}).")
    int igSteps;

    @Option(names = "--top-edges", defaultValue = "50", description = "Exact top edges for AUC and recall (default: ${DEFAULT-VALUE}).")
    int topEdges;

    @Option(names = "--top-nodes", defaultValue = "10", description = "Exact top nodes for recall (default: ${DEFAULT-VALUE}).")
    int topNodes;

    @Option(names = "--exact-edges", paramLabel = "N",
            description = "Patch every node, every scorer's top 2 x --top-edges edges and a uniform sample of N of the "
                    + "other edges exactly, not every edge: edge correlations weighted to estimate those over every "
                    + "edge, exact top edges taken among the patched ones, with a bound on those missed. For graphs too "
                    + "large to patch every edge (GPT-2 small: 32,491). Default: every edge.")
    Integer exactEdges;

    @Option(names = "--sample-seed", defaultValue = "1", description = "Seed of the --exact-edges sample (default: ${DEFAULT-VALUE}).")
    long sampleSeed;

    @Option(names = "--exact-cache", paramLabel = "FILE",
            description = "Keep the exact effects in FILE (JSON, rewritten after every layer) and reuse those it holds: "
                    + "a rerun with other scorers, a larger --exact-edges sample or after a crash patches only what is "
                    + "missing. Refused if FILE belongs to another model, task, metric, ablation or graph.")
    Path exactCache;

    @Option(names = "--material-fraction", paramLabel = "F", defaultValue = "0.001",
            description = "Edges whose exact effect reaches F of the task's effect |clean - corrupted| are the edges that "
                    + "matter; their correlations are reported besides those over every edge (default: ${DEFAULT-VALUE}, "
                    + "below which no edge alone moves a faithfulness reported to three decimals).")
    double materialFraction;

    @Option(names = "--batch-size", defaultValue = "32", description = "Examples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of a planted model's task (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--by-position", description = "Split every edge by token position (prompts must all have one length).")
    boolean byPosition;

    @Option(names = "--markdown", description = "Also print the table as markdown.")
    boolean markdown;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the numbers as JSON to FILE.")
    Path out;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // each named with its value, and before the scorers are made: --ig-steps 0 was reported as "--scorers: EAP-IG
        // needs at least one step", and --top-edges -1 as "--ig-steps, --batch-size, ... must be positive"
        String[] names = {"--ig-steps", "--batch-size", "--top-edges", "--top-nodes", "--exact-edges"};
        Integer[] values = {igSteps, batchSize, topEdges, topNodes, exactEdges};
        for (int i = 0; i < names.length; i++) {
            if (values[i] != null && values[i] < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), names[i] + " must be >= 1, got " + values[i]);
            }
        }
        Metric m;
        Ablation a;
        List<EdgeScorer> chosen;
        try {
            m = Metrics.byName(metric);
            a = Ablation.parse(ablation);
            ScorerList list = ScorerList.parse(scorers, igSteps);
            chosen = list.scorers();
            if (list.repeatNote() != null) {
                spec.commandLine().getErr().println("note: " + list.repeatNote());
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        noteUnreadSeeds();
        for (EdgeScorer scorer : chosen) {
            if (scorer.usesGradients() && !m.differentiable()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--metric " + m.name() + ": a step function, "
                        + "its gradient is zero almost everywhere, so " + scorer.key() + " would score 0; use logit-diff, "
                        + "logprob or another task metric");
            }
            if (scorer.differentiatesAtClean() && m.needsCleanReference()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--metric " + m.name() + ": its gradient is "
                        + "zero at the clean run, so " + scorer.key() + (scorer instanceof EapIg ? " with one step" : "")
                        + " would score 0; " + Methods.insteadOfCleanGradient(scorer.key(), CallerNames.flags()));
            }
        }
        try {
            ScorerComparison.requireMaterialFraction(materialFraction, "--material-fraction");
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        // before the exact patching, which can take hours, not after it, when its numbers would have nowhere to go
        PathChecks.fileForWriting(spec, "--out", out);
        PathChecks.fileForWriting(spec, "--exact-cache", exactCache);
        PathChecks.distinctFiles(spec, "--out", out, "--exact-cache", exactCache,
                "the results would overwrite the exact effects kept there; give --out another file");
        PrintWriter stdout = spec.commandLine().getOut();
        ProgressBar progress = new ProgressBar(spec.commandLine().getErr(), quiet);
        try (ModelAndTask mt = input.open(spec, seed, quiet)) {
            if (a == Ablation.MEAN) {
                MeanAblationCheck.check(spec, mt.task(), "--ablation");
            }
            input.noteAlignPadding(spec, mt, byPosition); // as discover: rows padded unevenly mix tokens at a position
            for (EdgeScorer scorer : chosen) { // here, not after the exact patching, which can take hours
                String why = scorer instanceof EapIg ig ? EapIg.whyUndefined(ig.key(), ig.steps(), a, mt.model().config())
                        : null;
                if (why != null) {
                    throw new CommandLine.ParameterException(spec.commandLine(), "--ablation " + a.key() + ": " + why
                            + " (--scorers chooses the scorers)");
                }
            }
            ComputationGraph graph = byPosition
                    ? ComputationGraph.byPosition(mt.model().config(), mt.task().commonLength("--by-position"))
                    : ComputationGraph.of(mt.model().config());
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(mt.model(), graph), mt.task(), m, a, batchSize)) {
                tp.requireEffect(); // exact effects of a corruption that does nothing are round-off to rank
                topEdges = topBelow("--top-edges", topEdges, tp.graph().nEdges(), "edges");
                // the input left out, as the comparison leaves it out
                topNodes = topBelow("--top-nodes", topNodes, tp.graph().nSources() - 1, "component nodes");
                int patched = exactEdges == null ? tp.graph().nEdges() : Math.min(exactEdges, tp.graph().nEdges());
                ExactEffectsStore store = exactCache == null ? ExactEffectsStore.NONE
                        : new ExactEffectsFile(exactCache, tp.graph(), new ExactEffectsFile.Identity(input.model,
                                Hashes.of(mt.model().config()), Hashes.of(mt.task()), m.name(), a.key(), tp.cleanValue(),
                                tp.corruptedValue()));
                ScorerComparison.Result r = ScorerComparison.run(tp, chosen, topEdges, topNodes, patched, sampleSeed,
                        store, materialFraction, progress);
                io.circuitscope.validation.ScoreAgreement used = r.entries().get(0).agreement();
                noteTrivialTop2k("--top-edges", topEdges, used.topEdges(), tp.graph().nEdges(), "edges");
                noteTrivialTop2k("--top-nodes", topNodes, used.topNodes(), tp.graph().nSources() - 1, "component nodes");
                String subject = ScorerComparison.subject(input.model, tp);
                stdout.printf(Locale.ROOT, "compare-scorers: %s: clean %s, corrupted %s%n", subject,
                        Decimals.fixed(tp.cleanValue(), 4), Decimals.fixed(tp.corruptedValue(), 4));
                // counted as the table's caption counts them: the component nodes, and the input beside them
                stdout.printf(Locale.ROOT, "exact patching of %s, %d component nodes and the input: %s, %.1f s%n",
                        r.exactEdges() == r.edges() ? r.edges() + " edges"
                                : r.exactEdges() + " of " + r.edges() + " edges (every scorer's top " + 2 * topEdges
                                        + " and a uniform sample of " + patched + " others, seed " + sampleSeed + ")",
                        r.componentNodes(), io.circuitscope.circuits.run.CircuitCounts.passes(r.exactPasses(), "forward"),
                        r.exactSeconds());
                if (exactCache != null) {
                    stdout.printf(Locale.ROOT, "  exact effects kept in %s (%d edges%s reused from it)%n", exactCache, r.reusedEdges(),
                            r.reusedNodes() ? " and every node" : "");
                }
                ScorerComparison.print(stdout, r);
                if (markdown) {
                    ScorerComparison.printMarkdown(stdout, r, subject);
                }
                ScorerComparison.printVersusBaseline(stdout, r);
                if (out != null) {
                    write(out, r, tp, mt);
                    stdout.printf(Locale.ROOT, "wrote %s%n", out);
                }
            }
        }
        stdout.flush();
        return 0;
    }

    /**
     * The top k for recall: below the graph's {@code available} (a top k of all of them makes recall trivially full).
     * A k the user gave is refused when too large; the default is lowered, with a note, to (available - 1) / 2, so
     * that the top 2k is not all of it either (planted:induction and planted:greater-than have 10 component nodes).
     */
    private int topBelow(String option, int k, int available, String what) {
        if (k < available) {
            return k;
        }
        if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + k + " must be below the graph's "
                    + available + " " + what + "; give a smaller " + option);
        }
        int lowered = Math.max(1, (available - 1) / 2);
        spec.commandLine().getErr().printf(Locale.ROOT, "compare-scorers: note: %s %d here, not the default %d: the graph "
                + "has %d %s, and a top k of all of them makes recall trivially full%n", option, lowered, k, available, what);
        return lowered;
    }

    /**
     * Notes that the recall "in the top 2k" counts every edge (node) when the k the comparison used, {@code used}, has a
     * 2k that covers all of them. That k is the option's {@code k} or, when fewer edges (nodes) have an exact effect, that
     * many (ScoreAgreement leaves the others out of the exact top): so the note waits for the exact effects. Given before
     * them, from the option alone, it said planted:ioi's default 10 of 15 nodes made the recall trivially full beside a
     * table whose k was 4 (only 4 heads there have an effect) and whose top 2k was 8 of the 15.
     */
    private void noteTrivialTop2k(String option, int k, int used, int available, String what) {
        if (used <= 0 || used >= available || 2L * used < available) {
            return;
        }
        spec.commandLine().getErr().printf(Locale.ROOT, "compare-scorers: note: %s %d: %sits top 2k (%d) covers all %d %s, "
                + "so recall in the top 2k is trivially full; %s %d or less avoids that%n", option, k, used == k ? ""
                        : "k is " + used + " (only " + used + " have an exact effect), and ", 2 * used, available, what,
                option, (available - 1) / 2);
    }

    /**
     * Says so, as {@link ModelTaskOptions#noteIgnoredOptions} does for --examples, when a seed given is not read:
     * --seed draws a planted model's task only (the bootstrap intervals have a fixed seed, so that recorded numbers
     * stay reproducible), and --sample-seed draws the --exact-edges sample only.
     */
    private void noteUnreadSeeds() {
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        PrintWriter err = spec.commandLine().getErr();
        if (given.hasMatchedOption("--seed") && input.taskFile != null) {
            err.println("note: --seed does not apply with --task (it draws a planted model's task; the bootstrap "
                    + "intervals have a fixed seed); ignored");
        }
        if (given.hasMatchedOption("--sample-seed") && exactEdges == null) {
            err.println("note: --sample-seed does not apply without --exact-edges (every edge is patched, none drawn); "
                    + "ignored");
        }
        err.flush();
    }

    /** The difference from the baseline, with its bootstrap interval when there is one. */
    private static void putGap(ObjectNode o, io.circuitscope.validation.Estimate gap) {
        o.put("difference", gap.value());
        if (!Double.isNaN(gap.low())) {
            o.put("low", gap.low());
            o.put("high", gap.high());
        }
    }

    private void write(Path file, ScorerComparison.Result r, TaskPatcher tp, ModelAndTask mt)
            throws java.io.IOException {
        ObjectNode root = AnalysisSupport.JSON.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("model", input.model);
        // as parsed, whatever case was typed: the names the cache's identity holds too
        root.put("metric", tp.metric().name());
        root.put("ablation", tp.ablation().key());
        // what the numbers depend on besides the model's name, metric and ablation: enough to rerun them
        ObjectNode model = root.putObject("model_provenance");
        model.put("config_hash", Hashes.of(mt.model().config()));
        if (mt.planted() != null) {
            model.put("planted", true); // its weights follow from its name; --seed draws its task (settings.seed)
        } else if (mt.source() != null) {
            model.setAll((ObjectNode) AnalysisSupport.JSON.valueToTree(ModelFingerprint.provenance(mt.source())));
        }
        ObjectNode task = root.putObject("task");
        task.put("name", mt.task().name());
        task.put("hash", Hashes.of(mt.task()));
        task.put("examples", mt.task().size());
        ObjectNode settings = root.putObject("settings");
        // each scorer once, by key, as the table names them (not as typed)
        settings.set("scorers", AnalysisSupport.JSON.valueToTree(r.entries().stream().map(ScorerComparison.Entry::scorer).toList()));
        settings.put("seed", seed);
        settings.put("sample_seed", sampleSeed);
        settings.put("ig_steps", igSteps);
        settings.put("batch_size", batchSize);
        settings.put("material_fraction", materialFraction);
        settings.put("top_edges", topEdges);
        settings.put("top_nodes", topNodes);
        settings.put("by_position", byPosition);
        root.set("software", Provenance.software());
        root.set("command", Provenance.command(spec));
        root.put("clean", tp.cleanValue());
        root.put("corrupted", tp.corruptedValue());
        root.put("edges", r.edges());
        root.put("exact_edges", r.exactEdges());
        if (r.topCoverage() != null) {
            root.put("sample_seed", sampleSeed);
            ObjectNode c = root.putObject("top_edge_coverage"); // could unpatched edges belong to the exact top edges?
            c.put("threshold", r.topCoverage().threshold());
            c.put("sampled_others", r.topCoverage().sampled());
            c.put("sampled_reaching_threshold", r.topCoverage().reaching());
            c.put("unpatched", r.topCoverage().unpatched());
            c.put("unpatched_reaching_at_most", r.topCoverage().upperCount());
            c.put("confidence", 0.95);
        }
        root.put("component_nodes", r.componentNodes());
        root.put("exact_forward_passes", r.exactPasses());
        if (exactCache != null) {
            root.put("exact_cache", exactCache.toAbsolutePath().toString());
            root.put("reused_edges", r.reusedEdges());
            root.put("reused_nodes", r.reusedNodes());
        }
        root.put("exact_seconds", r.exactSeconds());
        ObjectNode scorersNode = root.putObject("scorers");
        for (ScorerComparison.Entry e : r.entries()) {
            ScoreAgreement a = e.agreement();
            ObjectNode o = scorersNode.putObject(e.scorer());
            o.put("auc", a.auc()); // NaN, written as null: not measured (a sample) or undefined (no edge has an exact effect)
            o.put("edge_pearson", a.edgePearson());
            o.put("edge_spearman", a.edgeSpearman());
            o.put("node_pearson", a.nodePearson());
            o.put("node_spearman", a.nodeSpearman());
            o.put("top_nodes", a.topNodes());
            o.put("nodes_in_top_k", a.nodesInTopK());
            o.put("nodes_in_top_2k", a.nodesInTop2K());
            o.put("top_edges", a.topEdges());
            o.put("edges_in_top_k", a.edgesInTopK());
            o.put("edges_in_top_2k", a.edgesInTop2K());
            o.put("forward_passes", e.cost().forwardPasses()); // counted as discover's summary counts them
            o.put("gradient_passes", e.cost().gradientPasses());
            o.put("seconds", e.seconds());
            ObjectNode material = o.putObject("material_edges"); // edges whose exact effect matters on the task
            material.put("threshold", e.material().threshold());
            material.put("fraction_of_task_effect", r.materialFraction());
            material.put("edges", e.material().edges());
            material.put("pearson", e.material().pearson());
            material.put("spearman", e.material().spearman());
            if (e.edgeGap() != null) { // differences from the baseline with 95% bootstrap intervals
                ObjectNode gaps = o.putObject("minus_" + ScorerComparison.BASELINE);
                putGap(gaps.putObject("edge_pearson"), e.edgeGap().pearson());
                putGap(gaps.putObject("edge_spearman"), e.edgeGap().spearman());
                putGap(gaps.putObject("node_pearson"), e.nodeGap().pearson());
                putGap(gaps.putObject("node_spearman"), e.nodeGap().spearman());
                putGap(gaps.putObject("material_edge_pearson"), e.materialGap().pearson());
                putGap(gaps.putObject("material_edge_spearman"), e.materialGap().spearman());
            }
        }
        // as circuit.json: an undefined number (NaN, infinity) is null, as JSON has no NaN, and a -0.0 is 0.0
        JsonNumbers.normalise(root);
        AtomicFile.write(file, tmp -> AnalysisSupport.JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root));
    }
}
