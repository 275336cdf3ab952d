package io.circuitscope.circuits.toy;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.circuitscope.circuits.run.ScorerComparison;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.discovery.Acdc;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.Pipeline;
import io.circuitscope.discovery.RelP;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evidence on the trained IOI-like toy model (issues #5 and #7): every cheap scorer's edge ranking
 * against exact patching of every edge, edge and node correlations, and the pipeline's
 * faithfulness. Numbers are printed and recorded in benchmarks/RESULTS.md.
 */
class IoiEvidenceTest {
    /** Seed 1 by default; {@code -Dcircuitscope.toy.seed=S} reruns the evidence on another seed. */
    static final long SEED = Long.getLong("circuitscope.toy.seed", 1);

    /** One training run shared by the tests. */
    @TempDir
    static Path dir;
    private static ToyRun.Outcome outcome;

    private static synchronized ToyRun.Outcome trained() throws Exception {
        if (outcome == null) {
            outcome = ToyRun.run(ToyTask.IOI, SEED, ToyTask.IOI.defaultSteps(), dir,
                    "./circuitscope train-toy --task ioi --seed " + SEED + " --out DIR",
                    new PrintWriter(System.out, true));
        }
        return outcome;
    }

    @Test
    void scorersAgreeWithExactPatchingAndThePipelineCircuitIsFaithful() throws Exception {
        PrintWriter out = new PrintWriter(System.out, true);
        ToyRun.Outcome o = trained();
        assertTrue(o.evaluation().accuracy() > 0.9, "accuracy " + o.evaluation().accuracy());
        try (LoadedModel loaded = ModelLoader.load(dir);
             TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), o.task(), Metrics.LOGIT_DIFF,
                     Ablation.RESAMPLE, 32)) {
            long start = System.nanoTime();
            ScorerComparison.Result scored = ScorerEvidence.measureAndPrint(out, tp, o.exact(), o.nodeEffects());
            out.printf("scorers: %.1f s%n", (System.nanoTime() - start) / 1e9);

            start = System.nanoTime();
            Pipeline.Result r = new Pipeline(new EapIg(5), new CandidateBudget.TopK(200), new Acdc(0.01))
                    .run(tp, Progress.NONE);
            Circuit c = r.circuit();
            double faithfulness = tp.normalized(tp.evaluateKeep(c.keepMask()));
            out.printf("pipeline (eap-ig 5 steps, 200 candidates, ACDC tau 0.01, logit-diff): %d of %d edges, "
                    + "%d nodes, faithfulness %.3f (%.1f s)%n", c.edgeCount(), tp.graph().nEdges(), c.nodes().size(),
                    faithfulness, (System.nanoTime() - start) / 1e9);
            out.printf("reference circuit: %d edges, faithfulness %.3f%n", o.reference().edgeCount(),
                    o.referenceFaithfulness());
            StringBuilder failures = new StringBuilder(ScorerEvidence.aucFailures(scored, 0.9))
                    .append(ScorerEvidence.correlationFailures(scored));
            if (!(faithfulness >= 0.85)) {
                failures.append("pipeline faithfulness ").append(faithfulness).append(" < 0.85; ");
            }
            assertTrue(failures.isEmpty(), failures.toString() + scored.entries());
        }
    }

    /**
     * RelP's LRP rules one at a time (benchmarks/RESULTS.md, "Which rule does it"): on this GPT-2-shaped
     * toy the LN-rule alone brings RelP's node gains and its lost edge order, while the Identity-rule
     * alone keeps EAP's edge order. If this stops holding, RESULTS.md and the README need rewriting.
     */
    @Test
    void theLnRuleAloneBringsRelpsNodeGainsAndItsLostEdgeOrder() throws Exception {
        PrintWriter out = new PrintWriter(System.out, true);
        ToyRun.Outcome o = trained();
        try (LoadedModel loaded = ModelLoader.load(dir);
             TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), o.task(), Metrics.LOGIT_DIFF,
                     Ablation.RESAMPLE, 32)) {
            ScorerComparison.Result r = ScorerComparison.compare(tp, List.of(new Eap(),
                    new RelP(GradientRules.parse("ln")), new RelP(GradientRules.parse("identity"))),
                    o.exact(), o.nodeEffects(), ScorerEvidence.TOP_EDGES, ScorerEvidence.TOP_NODES, Progress.NONE);
            ScorerComparison.print(out, r);
            var eap = r.byScorer().get("eap").agreement();
            var ln = r.byScorer().get("relp:ln").agreement();
            var identity = r.byScorer().get("relp:identity").agreement();
            assertTrue(ln.nodesAtLeast(eap), "LN-rule node correlations at least EAP's: " + r.entries());
            assertTrue(ln.edgeSpearman() < eap.edgeSpearman() - 0.2, "LN-rule edge Spearman well below EAP's: " + r.entries());
            assertTrue(Math.abs(identity.edgeSpearman() - eap.edgeSpearman()) < 0.05,
                    "Identity-rule edge Spearman within 0.05 of EAP's: " + r.entries());
        }
    }

    @Test
    void theCommittedReferenceCircuitIsWhatTrainingProduces() throws Exception {
        assumeTrue(SEED == 1, "the committed reference is seed 1's");
        CommittedReference.assertSameEdges("toy-ioi-seed1.json", trained().reference());
    }

    /**
     * The mechanism of seed 1 (see benchmarks/RESULTS.md): the head with the largest exact effect
     * attends from the last position to the second mention of the subject, i.e. it tells the end
     * position which name not to predict (the S-inhibition role of IOI). Seed 3 has such a head
     * too (a1.h0, 0.95); in seed 2 the role is spread over several heads.
     */
    @Test
    void theHeadWithTheLargestEffectAttendsToTheRepeatedSubject() throws Exception {
        assumeTrue(SEED == 1, "seed 1's mechanism");
        ToyRun.Outcome o = trained();
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            ComputationGraph g = ComputationGraph.of(loaded.model().config());
            Node top = ToyRun.topNodes(g, o.nodeEffects(), g.nSources()).stream()
                    .filter(n -> n.kind() == NodeKind.HEAD).findFirst().orElseThrow();
            double toS2 = o.ioiHeads().endToS2()[top.layer()][top.head()];
            assertTrue(toS2 > 0.5, top.name() + " attends from END to S2 with " + toS2 + " <= 0.5");
        }
    }
}
