package io.circuitscope.circuits.known;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.planted.PlantedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.discovery.Acdc;
import io.circuitscope.discovery.AtpStar;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.EdgeScorer;
import io.circuitscope.discovery.Pipeline;
import io.circuitscope.discovery.RelP;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The regression suite on models whose circuit is known by construction: every scorer ranks the
 * planted edges first (ROC AUC >= 0.95), and ACDC at its default tau and the pipeline recover
 * exactly the planted edge set. Failures print the missing and the extra edges.
 */
class PlantedRecoveryTest {

    @ParameterizedTest
    @ValueSource(strings = {"induction", "ioi", "greater-than"})
    void scorersAcdcAndPipelineRecoverThePlantedCircuit(String name) {
        PlantedModel planted = PlantedModels.byName(name);
        try (HookedTransformer model = planted.build()) {
            Task task = planted.task(3, 16);
            ComputationGraph g = ComputationGraph.of(model.config());
            Set<String> truth = planted.groundTruthEdges();
            boolean[] reference = Circuit.ofEdgeNames(g, truth).keepMask();
            EdgePatcher patcher = new EdgePatcher(model, g);
            try (TaskPatcher logitDiff = new TaskPatcher(patcher, task, Metrics.LOGIT_DIFF, Ablation.RESAMPLE, 16)) {
                for (EdgeScorer scorer : List.of(new Eap(), new EapIg(5), new AtpStar(), new RelP(false))) {
                    EdgeScores scores = scorer.score(logitDiff, Progress.NONE);
                    double auc = io.circuitscope.validation.RocCurve.of(scores.values(), reference).auc();
                    System.out.printf("planted %s, %s: ROC AUC %.4f%n", name, scorer.key(), auc);
                    assertTrue(auc >= 0.95, name + " " + scorer.key() + ": AUC " + auc + "; top edges "
                            + top(g, scores, truth.size()) + " vs planted " + new TreeSet<>(truth));
                }
            }
            try (TaskPatcher kl = new TaskPatcher(patcher, task, Metrics.KL, Ablation.RESAMPLE, 16)) {
                assertSameEdges(name + " ACDC (tau 0.01, KL)", truth, new Acdc(0.01).search(kl, null, Progress.NONE));
                assertSameEdges(name + " pipeline (EAP-IG, 200 candidates)", truth,
                        new Pipeline(new EapIg(5), new CandidateBudget.TopK(200), new Acdc(0.01)).run(kl, Progress.NONE)
                                .circuit());
            }
        }
    }

    /**
     * Greater-Than with the paper's answers and metric: every year after the start year against every other year,
     * prob-diff summing their probabilities. The scorers still rank the planted edges first and ACDC, judging
     * edges by the summed probabilities, still recovers exactly them.
     */
    @org.junit.jupiter.api.Test
    void greaterThanWithTheYearSetsAndProbDiffRecoversThePlantedCircuit() {
        PlantedModel planted = PlantedModels.byName("greater-than");
        try (HookedTransformer model = planted.build()) {
            Task task = withYearSets(planted, planted.task(3, 16));
            ComputationGraph g = ComputationGraph.of(model.config());
            Set<String> truth = planted.groundTruthEdges();
            boolean[] reference = Circuit.ofEdgeNames(g, truth).keepMask();
            EdgePatcher patcher = new EdgePatcher(model, g);
            try (TaskPatcher probDiff = new TaskPatcher(patcher, task, Metrics.PROB_DIFF, Ablation.RESAMPLE, 16)) {
                double clean = probDiff.cleanValue();
                double corrupted = probDiff.corruptedValue();
                System.out.printf("planted greater-than, year sets: prob-diff clean %.4f, corrupted %.4f%n", clean, corrupted);
                assertTrue(clean > 0.9 && corrupted < 0.5, "clean " + clean + ", corrupted " + corrupted);
                for (EdgeScorer scorer : List.of(new Eap(), new EapIg(5), new RelP(false))) {
                    double auc = io.circuitscope.validation.RocCurve.of(scorer.score(probDiff, Progress.NONE).values(),
                            reference).auc();
                    System.out.printf("planted greater-than, year sets, %s: ROC AUC %.4f%n", scorer.key(), auc);
                    assertTrue(auc >= 0.95, scorer.key() + ": AUC " + auc);
                }
                assertSameEdges("greater-than year sets ACDC (tau 0.01, prob-diff)", truth,
                        new Acdc(0.01).search(probDiff, null, Progress.NONE));
            }
        }
    }

    /** The task with each target's answers replaced by the years after the start year and the rest. */
    private static Task withYearSets(PlantedModel planted, Task task) {
        List<Integer> years = new java.util.ArrayList<>();
        for (int id = 0; id < planted.vocabulary().size(); id++) {
            if (planted.vocabulary().get(id).matches("\\d\\d")) {
                years.add(id);
            }
        }
        List<io.circuitscope.core.task.Example> out = new java.util.ArrayList<>();
        for (io.circuitscope.core.task.Example e : task.examples()) {
            int[] clean = e.clean();
            int[] corrupt = e.corrupt();
            int start = -1;
            for (int i = 0; i < clean.length; i++) {
                if (clean[i] != corrupt[i]) {
                    start = clean[i]; // the start year, the one token the corruption changes
                }
            }
            int yy = Integer.parseInt(planted.vocabulary().get(start));
            List<Integer> later = years.stream().filter(y -> Integer.parseInt(planted.vocabulary().get(y)) > yy).toList();
            List<Integer> rest = years.stream().filter(y -> !later.contains(y)).toList();
            out.add(new io.circuitscope.core.task.Example(clean, corrupt,
                    List.of(new io.circuitscope.core.task.Target(-1, later, rest))));
        }
        return new Task(task.name() + "-year-sets", out);
    }

    private static List<String> top(ComputationGraph g, EdgeScores scores, int k) {
        int[] order = scores.ranking();
        return java.util.Arrays.stream(order).limit(k).mapToObj(i -> g.edges().get(i).name()).toList();
    }

    private static void assertSameEdges(String what, Set<String> truth, Circuit found) {
        Set<String> got = new TreeSet<>(found.edgeNames());
        Set<String> missing = new TreeSet<>(truth);
        missing.removeAll(got);
        Set<String> extra = new TreeSet<>(got);
        extra.removeAll(truth);
        System.out.printf("%s: %d edges, missing %s, extra %s%n", what, got.size(), missing, extra);
        assertTrue(missing.isEmpty() && extra.isEmpty(), what + ": missing " + missing + ", extra " + extra);
    }
}
