package io.circuitscope.discovery;

import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.progress.Progress;
import java.util.List;

/**
 * Relevance patching (Rezaei Jafari et al. 2025): EAP with the local gradients replaced by LRP
 * propagation coefficients, as a modified backward pass on the same forward (values unchanged):
 * normalisation scales constant (LN-rule), activations pass f(x)/x (Identity-rule), gated products
 * split relevance in half (Half-rule), and optionally attention patterns constant (AH-rule).
 * Same cost as EAP: one forward and one backward pass per batch.
 */
public final class RelP implements EdgeScorer {
    private final GradientRules rules;

    /**
     * @param constantAttention add the AH-rule (key {@code relp-ah}). Off by default, as in the RelP
     *                          authors' code: with it every edge into a query or key input scores 0.
     */
    public RelP(boolean constantAttention) {
        this(GradientRules.relevance(constantAttention));
    }

    /** Any set of the LRP rules, for ablating them one at a time (key {@code relp:RULES}, e.g. {@code relp:identity+half}). */
    public RelP(GradientRules rules) {
        this.rules = rules;
    }

    /** {@code relp} and {@code relp-ah} for the RelP authors' rule sets; {@code relp:RULES} for any other. */
    @Override
    public String key() {
        if (rules.equals(GradientRules.relevance(false))) {
            return "relp";
        }
        return rules.equals(GradientRules.relevance(true)) ? "relp-ah" : "relp:" + rules.names();
    }

    @Override
    public boolean differentiatesAtClean() {
        return true;
    }

    @Override
    public EdgeScores score(TaskPatcher task, Progress progress) {
        progress.start("scoring edges (RelP)", task.batches().size());
        StagePasses passes = StagePasses.from(task);
        double[] grad = EdgeGradients.atClean(task, rules, List.of());
        for (int i = 0; i < grad.length; i++) {
            grad[i] = -grad[i];
        }
        passes.advance(progress, task.batches().size());
        progress.finish();
        return new EdgeScores(task.graph(), grad);
    }
}
