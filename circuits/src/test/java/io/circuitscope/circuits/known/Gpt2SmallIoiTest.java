package io.circuitscope.circuits.known;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.reference.KnownCircuits;
import io.circuitscope.circuits.run.ExactEffectsStore;
import io.circuitscope.circuits.run.ScorerComparison;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.generate.Generated;
import io.circuitscope.core.task.generate.Generators;
import io.circuitscope.core.task.generate.IoiGenerator;
import io.circuitscope.discovery.Acdc;
import io.circuitscope.discovery.AtpStar;
import io.circuitscope.discovery.Eap;
import io.circuitscope.discovery.RelP;
import io.circuitscope.discovery.CandidateBudget;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.discovery.Pipeline;
import io.circuitscope.validation.RocCurve;
import io.circuitscope.validation.ScoreAgreement;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * IOI in real GPT-2 small (Wang et al. 2022), when a local copy exists (CIRCUITSCOPE_GPT2=DIR or
 * openai-community/gpt2 in the Hugging Face cache): the pipeline's circuit must contain the name
 * movers and S-inhibition heads, and its edge ranking must reach the ACDC paper's ROC AUC level
 * (0.869 with KL on IOI, Table 2) against the reference circuit. That comparison is run on ACDC's data
 * set as far as we can rebuild it: its one ABBA template ({@code IoiGenerator.Templates.ACDC}), 100 prompts
 * of one length, the ABC corruption, no BOS token; the names, places and objects are our own lists, not
 * ACDC's. Also issue #5's scorer evidence on this real checkpoint (default templates, with BOS), with every
 * node and a sample of edges patched exactly.
 */
class Gpt2SmallIoiTest {
    @Test
    void pipelineFindsTheNameMoversAndSInhibitionHeads() {
        // ACDC's prompts have no BOS token (prepend_bos=False)
        try (LoadedModel gpt2 = LocalModels.require("CIRCUITSCOPE_GPT2", "openai-community/gpt2").withoutBos()) {
            Generated ioi = new IoiGenerator(IoiGenerator.Templates.ACDC).generate(gpt2.requireTokenizer(),
                    gpt2.model().config().vocabSize(), 100, 0);
            assertEquals(100, ioi.task().size(), "ACDC's 100 prompts: " + ioi.skipped());
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(gpt2.model()), ioi.task(), Metrics.KL,
                    Ablation.RESAMPLE, 10)) {
                Pipeline.Result r = new Pipeline(new EapIg(5), new CandidateBudget.TopK(1500), new Acdc(0.0575))
                        .run(tp, Progress.NONE);
                Set<String> heads = r.circuit().nodes().stream().map(Node::name).collect(Collectors.toSet());
                for (String h : List.of("a9.h9", "a10.h0", "a9.h6", "a7.h3", "a7.h9", "a8.h6", "a8.h10")) {
                    assertTrue(heads.contains(h), "IOI circuit lacks " + h + "; found " + heads);
                }
                Circuit reference = KnownCircuits.ioi().circuit();
                double auc = RocCurve.of(r.scores(), reference.keepMask()).auc();
                System.out.printf("GPT-2 small IOI (ACDC's template, 100 prompts, no BOS): %d edges, ROC AUC %.3f "
                        + "vs the reference circuit%n", r.circuit().edgeCount(), auc);
                assertTrue(auc >= 0.85, "AUC " + auc + " on ACDC's setup, where ACDC's paper reports 0.869");
            }
        }
    }

    /**
     * Issue #5's evidence on GPT-2 small: every node, each scorer's top 100 edges and a weighted sample
     * of 500 others patched exactly (all 32,491 would take about 6 hours on 2 cores; this about 11
     * minutes), each scorer's agreement
     * printed with the verdict against EAP. Asserted are the claims the methods' papers make at node
     * level: RelP's node scores correlate with exact patching at least as well as EAP's (RelP: Pearson
     * on GPT-2 IOI components), and AtP* misses no more of the exact top nodes than EAP (AtP*: fewer
     * false negatives).
     */
    @Test
    void relpAndAtpStarAgreeWithExactPatchingAtLeastAsWellAsEap() {
        try (LoadedModel gpt2 = LocalModels.require("CIRCUITSCOPE_GPT2", "openai-community/gpt2")) {
            Generated ioi = Generators.byName("ioi").generate(gpt2.requireTokenizer(), gpt2.model().config().vocabSize(),
                    20, 0);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(gpt2.model()), ioi.task(), Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 20)) {
                ScorerComparison.Result r = ScorerComparison.run(tp, List.of(new Eap(), new AtpStar(), new RelP(false)),
                        50, 10, 500, 1, ExactEffectsStore.NONE, Progress.NONE);
                java.io.PrintWriter out = new java.io.PrintWriter(System.out, true);
                out.printf("GPT-2 small IOI, 20 prompts, logit difference: %d of %d edges and every node patched "
                        + "exactly (%.0f s)%n", r.exactEdges(), r.edges(), r.exactSeconds());
                ScorerComparison.printMarkdown(out, r, ScorerComparison.subject("openai-community/gpt2", tp));
                ScorerComparison.printVersusBaseline(out, r);
                ScoreAgreement eap = r.byScorer().get("eap").agreement();
                ScoreAgreement relp = r.byScorer().get("relp").agreement();
                ScoreAgreement star = r.byScorer().get("atp-star").agreement();
                assertTrue(relp.nodePearson() >= eap.nodePearson() - ScoreAgreement.ROUNDING,
                        "RelP node Pearson " + relp.nodePearson() + " < EAP's " + eap.nodePearson());
                assertTrue(star.nodesInTop2K() >= eap.nodesInTop2K(), "AtP* finds " + star.nodesInTop2K()
                        + " of the exact top nodes in its top 20, EAP " + eap.nodesInTop2K());
            }
        }
    }
}
