package io.circuitscope.circuits.run;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.core.Hashes;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.NodeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.ModelFingerprint;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.Acdc;
import io.circuitscope.discovery.Atp;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.FalseNegativeBound;
import io.circuitscope.discovery.Methods;
import io.circuitscope.discovery.Pipeline;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** Runs one discovery (model, task, settings) to a {@link CircuitDocument}. */
public final class DiscoveryRun {
    /** Unverified edges patched exactly, one at a time, for the false-negative bound. */
    private static final int FALSE_NEGATIVE_SAMPLES = 50;

    private DiscoveryRun() {
    }

    /**
     * Refuses settings no model or task can make work: an unknown method, scorer, candidate budget or metric
     * (a misspelt scorer or budget is refused even where the method does not use it, since it shows the user
     * meant something else), or a scorer that differentiates at the clean run under KL. Returns the metric.
     */
    public static Metric check(DiscoverySettings s) {
        Metric metric = Metrics.byName(s.metric());
        Methods.checkMethod(s.method());
        Methods.scorer(s.scorer(), s.igSteps());
        CandidateBudget.parse(s.candidates());
        String scorerKey = s.method().equals(Methods.PIPELINE) ? s.scorer() : s.method();
        if (Methods.usesGradients(scorerKey) && !metric.differentiable()) {
            throw new IllegalArgumentException(scorerKey + " differentiates the metric, and " + metric.name() + " is a "
                    + "step function whose gradient is zero almost everywhere; use --metric logit-diff (or another task "
                    + "metric), or --method acdc or exact, which only evaluate it");
        }
        if (Methods.differentiatesAtClean(scorerKey, s.igSteps()) && metric.needsCleanReference()) {
            throw new IllegalArgumentException(scorerKey + (Methods.takesIgSteps(scorerKey) ? " with one step" : "")
                    + " takes the gradient at the clean model, where KL divergence is at its minimum and every gradient "
                    + "is zero; " + Methods.insteadOfCleanGradient(scorerKey));
        }
        return metric;
    }

    public static CircuitDocument run(HookedTransformer model, String modelName, Task task, DiscoverySettings s,
            Progress progress) {
        return run(model, modelName, null, task, s, progress);
    }

    /**
     * With {@code source}, where the model was loaded from (null: planted or unknown), recorded in the model
     * block with its fingerprint ({@link ModelFingerprint#provenance}); a planted model, whose weights follow from
     * its name alone, records {@code "planted": true} (the seed that drew its task is the method's).
     */
    public static CircuitDocument run(HookedTransformer model, String modelName, Path source, Task task,
            DiscoverySettings s, Progress progress) {
        long start = System.nanoTime();
        Metric metric = check(s);
        EdgePatcher patcher = new EdgePatcher(model, s.byPosition()
                ? ComputationGraph.byPosition(model.config(), task.commonLength("a position-aware discovery")) : ComputationGraph.of(model.config()));
        try (TaskPatcher tp = new TaskPatcher(patcher, task, metric, s.ablation(), s.batchSize())) {
            tp.requireEffect();
            Circuit circuit;
            EdgeScores scores;
            Map<String, Object> extraSummary = new LinkedHashMap<>();
            String whyEmpty; // what an empty circuit means for this method
            if (s.method().equals(Methods.ACDC)) {
                circuit = new Acdc(s.tau()).search(tp, null, progress);
                scores = circuit.scores();
                whyEmpty = "ACDC kept no path from input to logits at tau " + s.tau() + " (a smaller --tau keeps more)";
            } else if (s.method().equals(Methods.ATP)) {
                // node scores choose the circuit; edges carry EAP scores, whose sums per node are the AtP scores
                NodeScores nodes = new Atp().score(tp, progress);
                scores = new Eap().score(tp, progress);
                // a node whose score is zero is no evidence: filling --nodes with them by tie order misleads
                int nodesKept = Math.min(s.nodes(), nodes.withEvidence());
                noteFewScored(extraSummary, "node", s.nodes(), nodesKept, nodes.values().length);
                circuit = nodes.circuitOfTop(nodesKept, scores, task.targetPositions()).pruned(s.ablation());
                whyEmpty = s.nodes() == 0 ? "--nodes 0 keeps no node" : nodesKept == 0 ? "no node has a non-zero "
                        + "AtP score" : "the edges of the " + nodesKept + " top AtP "
                        + "nodes form " + noPath(s.ablation()) + ", so pruning removed them all (more --nodes keeps more)";
            } else if (s.method().equals(Methods.PIPELINE)) {
                EdgeScorer scorer = Methods.scorer(s.scorer(), s.igSteps());
                Pipeline.Result r = new Pipeline(scorer,
                        CandidateBudget.parse(s.candidates()), new Acdc(s.tau())).withSeed(s.seed())
                        .withFalseNegativeCheck(FALSE_NEGATIVE_SAMPLES, s.seed())
                        .run(tp, progress);
                putCompleteness(extraSummary, scorer, tp, r.estimates(), r.candidates());
                circuit = r.circuit().withScores(r.scores());
                scores = r.scores();
                extraSummary.put("candidates_verified", r.candidates());
                if (r.rounds() != null) {
                    extraSummary.put("candidate_rounds", CandidateRoundsSummary.of(r.rounds()));
                }
                whyEmpty = r.candidates() == 0 ? "--candidates " + s.candidates() + " selected no edge, so ACDC had "
                        + "nothing to verify" : "ACDC kept no path from input to logits among the " + r.candidates()
                        + " candidate edges at tau " + s.tau() + " (a smaller --tau, or more --candidates, keeps more)";
                if (r.bound() != null) {
                    extraSummary.put("false_negative_bound", summary(r.bound()));
                }
            } else {
                EdgeScorer scorer = Methods.scorer(s.method(), s.igSteps());
                scores = scorer.score(tp, progress);
                putCompleteness(extraSummary, scorer, tp, scores, -1);
                // an edge whose score is zero is no evidence: filling --edges with them by tie order misleads
                int edgesKept = Math.min(Math.min(s.edges(), tp.graph().nEdges()), scores.withEvidence());
                noteFewScored(extraSummary, "edge", s.edges(), edgesKept, tp.graph().nEdges());
                noteTinyScores(extraSummary, scores.importances());
                boolean[] kept = scores.topK(edgesKept);
                circuit = Circuit.of(tp.graph(), kept, scores).pruned(s.ablation());
                whyEmpty = s.edges() == 0 ? "--edges 0 keeps no edge" : edgesKept == 0 ? "no edge has a non-zero score"
                        : "the " + edgesKept + " top-scored edges form " + noPath(s.ablation()) + ", so pruning removed "
                        + "them all (more --edges keeps more)";
                if (!s.method().equals("exact") && edgesKept < tp.graph().nEdges()) {
                    // AtP*'s diagnostic for any cheap scorer: how many edges with an effect of tau or more
                    // could the ranking have left out?
                    extraSummary.put("false_negative_bound", summary(FalseNegativeBound.estimate(tp, kept, s.tau(),
                            FALSE_NEGATIVE_SAMPLES, 0.95, s.seed(), progress)));
                }
            }
            double circuitValue = tp.evaluateKeep(circuit.keepMask());
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
                summary.put("empty_circuit", whyEmpty);
            }
            summary.put("forward_passes", tp.forwardPasses());
            summary.put("gradient_passes", tp.gradientPasses()); // a forward and a backward pass each, of the scorers
            summary.put("seconds", (System.nanoTime() - start) / 1e9);
            summary.putAll(extraSummary);
            return new CircuitDocument(circuit, modelInfo, taskInfo, s.asMap(), summary, Map.of());
        }
    }

    /**
     * Records (as summary.few_scored) that fewer than the {@code asked} edges or nodes have a non-zero
     * score, so only those were kept.
     */
    private static void noteFewScored(Map<String, Object> summary, String what, int asked, int kept, int total) {
        if (kept < Math.min(asked, total)) {
            summary.put("few_scored", String.format(Locale.ROOT, "only %d %s%s %s a non-zero score; kept %d of the %d "
                    + "asked", kept, what, kept == 1 ? "" : "s", kept == 1 ? "has" : "have",
                    kept, asked));
        }
    }

    /** A score at most this fraction of the largest is named as tiny beside the count of non-zero scores. */
    static final double TINY = 1e-6;

    /**
     * Appends to summary.few_scored how many of the non-zero scores are tiny (|score| at most {@link #TINY} of the
     * largest): "only 12 edges have a non-zero score" counted EAP's 1e-33 beside its 10.0. They are kept all the same:
     * on planted:ioi exactly such scores (gradients through saturated attention) sit on planted edges.
     */
    private static void noteTinyScores(Map<String, Object> summary, double[] importances) {
        if (!(summary.get("few_scored") instanceof String note)) {
            return;
        }
        double max = 0;
        for (double v : importances) {
            max = v > max ? v : max;
        }
        int tiny = 0;
        for (double v : importances) {
            tiny += v > 0 && v <= TINY * max ? 1 : 0;
        }
        if (tiny > 0) {
            int at = note.indexOf("; kept ");
            summary.put("few_scored", note.substring(0, at) + String.format(Locale.ROOT, " (%d of them at most 1e-6 of the "
                    + "largest |score|, kept all the same: only exact zeros are no evidence)", tiny) + note.substring(at));
        }
    }

    /** What pruning removes all of a circuit for under {@code ablation} (see {@link Circuit#pruned}). */
    private static String noPath(Ablation ablation) {
        return ablation == Ablation.RESAMPLE ? "no path from input to logits" : "no path to the logits";
    }

    /**
     * EAP-IG's completeness check ({@link EapIg#completeness}) as circuit.json's {@code ig_completeness}.
     * With {@code verified} >= 0 (the pipeline) the sum is of the scorer's estimates, which ACDC's exact effects then
     * replace for the {@code verified} candidates in circuit.json: its edge scores do not add up to it, and
     * {@code scores_summed} says so. -1: a scorer-only run, whose file holds the summed scores themselves.
     */
    static void putCompleteness(Map<String, Object> summary, EdgeScorer scorer, TaskPatcher tp,
            EdgeScores estimates, int verified) {
        if (scorer instanceof EapIg ig) {
            EapIg.Completeness c = ig.completeness(tp, estimates);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("summed", c.summed());
            m.put("scores_summed", verified >= 0 ? scoresBeforeVerification(verified) : "the edge scores in this file");
            m.put("sum", c.sum());
            m.put("gap", c.gap());
            m.put("relative_error", c.relativeError());
            m.put("steps", c.steps());
            summary.put("ig_completeness", m);
        }
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
