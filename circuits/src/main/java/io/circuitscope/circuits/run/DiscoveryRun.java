package io.circuitscope.circuits.run;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.Hashes;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.ModelFingerprint;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.Discovery;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.FalseNegativeBound;
import io.circuitscope.discovery.SettingNames;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Runs one discovery (model, task, settings) to a {@link CircuitDocument}. */
public final class DiscoveryRun {
    private DiscoveryRun() {
    }

    /**
     * Refuses settings no model or task can make work ({@link Discovery#check}) or an unknown metric, naming the
     * settings as {@code names} does: discover's options or a batch plan's fields. Returns the metric.
     */
    public static Metric check(DiscoverySettings s, SettingNames names) {
        Metric metric = Metrics.byName(s.metric());
        Discovery.check(s.options(), metric, names);
        return metric;
    }

    public static CircuitDocument run(HookedTransformer model, String modelName, Task task, DiscoverySettings s,
            SettingNames names, Progress progress) {
        return run(model, modelName, null, task, s, names, progress);
    }

    /**
     * With {@code source}, where the model was loaded from (null: planted or unknown), recorded in the model
     * block with its fingerprint ({@link ModelFingerprint#provenance}); a planted model, whose weights follow from
     * its name alone, records {@code "planted": true} (the seed that drew its task is the method's). Messages, and
     * summary.empty_circuit, name settings as {@code names} does: discover's options or a batch plan's fields.
     */
    public static CircuitDocument run(HookedTransformer model, String modelName, Path source, Task task,
            DiscoverySettings s, SettingNames names, Progress progress) {
        return run(model, modelName, source, task, s, names, progress, RunJournal.none());
    }

    /**
     * As above; a method that runs ACDC or patches every edge exactly goes on from what {@code journal} holds and records
     * its progress there. When the journal is an {@link ProgressFile} this run resumed from, the summary says so
     * ({@code resumed}): its passes and seconds are this run's part only.
     */
    public static CircuitDocument run(HookedTransformer model, String modelName, Path source, Task task,
            DiscoverySettings s, SettingNames names, Progress progress, RunJournal journal) {
        long start = System.nanoTime();
        Metric metric = check(s, names);
        EdgePatcher patcher = new EdgePatcher(model, graph(model, task, s));
        try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, s.ablation(), s.batchSize())) {
            tp.requireEffect();
            Discovery.Found found = Discovery.find(tp, s.options(), names, progress, journal, journal);
            Circuit circuit = found.circuit();
            double circuitValue = tp.evaluateKeep(circuit.keepMask());
            Map<String, Object> modelInfo = modelBlock(model, modelName, source);
            modelInfo.putAll(io.circuitscope.circuits.io.ModelShape.of(model.config()));
            Map<String, Object> taskInfo = new LinkedHashMap<>();
            taskInfo.put("name", task.name());
            taskInfo.put("hash", Hashes.of(task));
            taskInfo.put("examples", task.size());
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("metric", metric.name());
            summary.put("clean", tp.cleanValue());
            summary.put("corrupted", tp.corruptedValue());
            summary.put("circuit", circuitValue);
            summary.put("faithfulness", tp.normalized(circuitValue));
            summary.put("edges_in_graph", circuit.edgeCount());
            summary.put("edges_total", tp.graph().nEdges());
            if (tp.graph().isByPosition()) {
                summary.put("positions", tp.graph().positions());
            }
            summary.put("nodes_in_graph", circuit.nodes().size());
            if (circuit.edgeCount() == 0) {
                summary.put("empty_circuit", found.whyEmpty());
            }
            summary.put("forward_passes", tp.forwardPasses());
            summary.put("gradient_passes", tp.gradientPasses()); // a forward and a backward pass each, of the scorers
            summary.put("seconds", (System.nanoTime() - start) / 1e9);
            if (journal instanceof ProgressFile f && (f.resumedTried() >= 0 || f.resumedExact() >= 0)) {
                Map<String, Object> resumed = new LinkedHashMap<>();
                resumed.put("from", f.file().toString());
                if (f.resumedExact() >= 0) {
                    resumed.put("edges_patched_exactly_before", f.resumedExact());
                }
                if (f.resumedTried() >= 0) {
                    resumed.put("edges_decided_before", f.resumedTried());
                }
                resumed.put("note", "this run went on from an interrupted one: forward_passes, gradient_passes and "
                        + "seconds count this run's part only");
                summary.put("resumed", resumed);
            }
            putFindings(summary, found);
            return new CircuitDocument(circuit, modelInfo, taskInfo, s.asMap(), summary, Map.of());
        }
    }

    /** The model block's identity: name, family, config hash, and where it was loaded from (or that it is planted). */
    private static Map<String, Object> modelBlock(HookedTransformer model, String modelName, Path source) {
        Map<String, Object> modelInfo = new LinkedHashMap<>();
        modelInfo.put("name", modelName);
        modelInfo.put("family", model.config().family());
        modelInfo.put("config_hash", Hashes.of(model.config()));
        if (PlantedModels.isPlanted(modelName)) {
            // built from its name alone (fixed weights, no seed); the run's seed draws its task and is in method
            modelInfo.put("planted", true);
        } else if (source != null) {
            modelInfo.putAll(ModelFingerprint.provenance(source));
        }
        return modelInfo;
    }

    /**
     * What a run's ACDC decisions depend on, for {@link ProgressFile}: the model (as the model block names it),
     * the task's hash, every setting, and the software (a resumed run must decide as the interrupted one would have).
     */
    public static Map<String, Object> fingerprint(HookedTransformer model, String modelName, Path source, Task task,
            DiscoverySettings s) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model", modelBlock(model, modelName, source));
        f.put("task_hash", Hashes.of(task));
        f.put("settings", s.asMap());
        f.put("software", io.circuitscope.circuits.io.Provenance.identity());
        // the graph's size, so that a state's lists and next destination are checked against it before they are read
        ComputationGraph g = graph(model, task, s);
        Map<String, Object> graph = new LinkedHashMap<>();
        graph.put(ProgressFile.GRAPH_EDGES, g.nEdges());
        graph.put(ProgressFile.GRAPH_DESTINATIONS, g.nDestinations());
        f.put(ProgressFile.GRAPH, graph);
        return f;
    }

    /** The graph the run patches: split by position when the settings ask (prompts must then share one length). */
    private static ComputationGraph graph(HookedTransformer model, Task task, DiscoverySettings s) {
        return s.byPosition() ? ComputationGraph.byPosition(model.config(), task.commonLength("a position-aware discovery"))
                : ComputationGraph.of(model.config());
    }

    /**
     * What the discovery learnt on the way, in circuit.json's summary after its counts: EAP-IG's completeness check, the
     * pipeline's verified candidates and rounds, too few scored edges or nodes, the false-negative bound.
     */
    private static void putFindings(Map<String, Object> summary, Discovery.Found found) {
        if (found.completeness() != null) {
            summary.put("ig_completeness", completeness(found.completeness(), found.candidatesVerified()));
        }
        if (found.candidatesVerified() >= 0) {
            summary.put("candidates_verified", found.candidatesVerified());
        }
        if (found.rounds() != null) {
            summary.put("candidate_rounds", CandidateRoundsSummary.of(found.rounds()));
        }
        if (found.fewScored() != null) {
            summary.put("few_scored", found.fewScored());
        }
        if (found.bound() != null) {
            summary.put("false_negative_bound", summary(found.bound()));
        }
    }

    /**
     * EAP-IG's completeness check ({@link EapIg#completeness}) as circuit.json's {@code ig_completeness}.
     * With {@code verified} >= 0 (the pipeline) the sum is of the scorer's estimates, which ACDC's exact effects then
     * replace for the {@code verified} candidates in circuit.json: its edge scores do not add up to it, and
     * {@code scores_summed} says so. -1: a scorer-only run, whose file holds the summed scores themselves.
     */
    private static Map<String, Object> completeness(EapIg.Completeness c, int verified) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("summed", c.summed());
        m.put("scores_summed", verified >= 0 ? scoresBeforeVerification(verified) : "the edge scores in this file");
        m.put("sum", c.sum());
        m.put("gap", c.gap());
        m.put("relative_error", c.relativeError());
        m.put("steps", c.steps());
        return m;
    }

    /** What the pipeline's completeness sum adds up: the scorer's estimates, not the file's scores. */
    public static String scoresBeforeVerification(int verified) {
        return String.format(Locale.ROOT, "the scorer's estimates before verification; this file's scores of the %d "
                + "verified candidate%s are ACDC's exact effects instead, so its edge scores do not add up to this sum",
                verified, verified == 1 ? "" : "s");
    }

    /** The false-negative bound as recorded in circuit.json's summary. */
    private static Map<String, Object> summary(FalseNegativeBound bound) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("sampled_unverified_edges", bound.sampled());
        b.put("unverified_edges", bound.unverified());
        b.put("found_above_tau", bound.found());
        b.put("found_edges", bound.foundEdges());
        b.put("confidence", bound.confidence());
        b.put("max_fraction_missed", bound.upperFraction());
        return b;
    }
}
