package io.circuitscope.circuits.known;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.reference.KnownCircuits;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.generate.Generated;
import io.circuitscope.core.task.generate.Generators;
import io.circuitscope.discovery.EapIg;
import io.circuitscope.validation.RocCurve;
import org.junit.jupiter.api.Test;

/**
 * Greater-Than in real GPT-2 small (Hanna et al. 2023), when a local copy exists (CIRCUITSCOPE_GPT2=DIR or
 * openai-community/gpt2 in the Hugging Face cache), with the paper's metric: the probability of the years after
 * YY minus that of the years up to YY, on the "01" corruption. Our generator follows the EAP-IG data set's
 * wording, centuries (11..17) and tokenization, with BOS, but draws its own nouns; the numbers asserted against,
 * with margin, are those of that data set in the EAP-IG authors' released results (eap-ig-faithfulness,
 * results/pareto/gpt2/csv/greater-than.csv): the model's probability difference 0.814 clean and -0.457
 * corrupted, and 0.935 faithfulness for EAP-IG's top ~190 of 32,491 edges. (ACDC's App. G reports 0.84 on
 * ACDC's own data set, "... lasted from the year CCYY to CC" without the second "the year" and without BOS; it
 * is not this data set.) The ROC AUC against the reference circuit is printed, not asserted: ACDC's paper
 * measured 0.853 optimising KL but 0.461 optimising this metric (Table 2).
 */
class Gpt2SmallGreaterThanTest {
    @Test
    void theModelPrefersLaterYearsAndEapIgsTopEdgesKeepThatBehaviour() {
        try (LoadedModel gpt2 = LocalModels.require("CIRCUITSCOPE_GPT2", "openai-community/gpt2")) {
            Generated gt = Generators.byName("greater-than").generate(gpt2.requireTokenizer(),
                    gpt2.model().config().vocabSize(), 40, 0);
            Target first = gt.task().examples().get(0).targets().get(0);
            System.out.printf("GPT-2 small Greater-Than: %d prompts, %d of 100 years in the answer sets, skipped %s%n",
                    gt.task().size(), first.correctIds().size() + first.wrongIds().size(), gt.skipped());
            assertTrue(gt.task().size() == 40, "40 prompts whose CCYY is the two tokens ' CC' + 'YY': " + gt.skipped());
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(gpt2.model()), gt.task(), Metrics.PROB_DIFF,
                    Ablation.RESAMPLE, 20)) {
                EdgeScores scores = new EapIg(5, EapIg.Interpolation.INPUTS).score(tp, Progress.NONE);
                int edges = 190;
                double faithfulness = tp.normalized(tp.evaluateKeep(scores.topK(edges)));
                double auc = RocCurve.of(scores, KnownCircuits.greaterThan().circuit().keepMask()).auc();
                System.out.printf("  prob-diff clean %.3f, corrupted %.3f; EAP-IG-inputs top %d of %d edges: "
                        + "faithfulness %.3f; ROC AUC %.3f vs the reference circuit%n", tp.cleanValue(),
                        tp.corruptedValue(), edges, scores.size(), faithfulness, auc);
                // margins: our nouns and a 40-prompt sample differ from EAP-IG's data set
                assertTrue(tp.cleanValue() >= 0.6, "GPT-2 small's probability difference is 0.814 on EAP-IG's "
                        + "Greater-Than data set, here " + tp.cleanValue());
                assertTrue(tp.corruptedValue() < tp.cleanValue() - 0.3, "the 01 corruption should remove most of it "
                        + "(EAP-IG's data set: -0.457 vs 0.814 clean), here " + tp.corruptedValue() + " vs clean "
                        + tp.cleanValue());
                assertTrue(faithfulness >= 0.8, "EAP-IG's ~190-edge circuit is 0.935 faithful on EAP-IG's data set in "
                        + "the authors' results, here " + faithfulness);
            }
        }
    }
}
