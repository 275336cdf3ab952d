package io.circuitscope.discovery;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** RelP with any set of its LRP rules against {@link EdgeOracle}'s frozen forward. */
class RelpRulesAgainstOracleTest {
    static Stream<Arguments> ruleCases() {
        List<Arguments> out = new ArrayList<>();
        TinyCheckpoint[] models = {TinyCheckpoint.gpt2(87, 2, 2, 4, 23, 8, false),
                TinyCheckpoint.llamaFamily("llama", 89, 2, 4, 2, 4, 8, 12, 23, 8, false, false),
                TinyCheckpoint.llamaFamily("gemma2", 91, 2, 4, 2, 4, 8, 12, 23, 8, true, false)};
        for (TinyCheckpoint ck : models) {
            for (String rules : new String[] {"ln+identity+half+ah", "ln", "identity", "half", "ah", "identity+half"}) {
                out.add(Arguments.of(ck.config().get("model_type"), rules, ck));
            }
        }
        return out.stream();
    }

    /**
     * RelP with the AH-rule ({@code relp-ah}) and with single rules ({@code relp:RULES}): each rule freezes its own
     * quantity at the clean run (1/sigma, f(x0)/x0, half of each gate factor, the attention pattern), the others
     * differentiated exactly.
     */
    @ParameterizedTest(name = "{0}, {1}")
    @MethodSource("ruleCases")
    void relpWithAnySetOfRulesEqualsTheFrozenForwardsSlope(String family, String rules, TinyCheckpoint checkpoint) {
        GradientRules parsed = GradientRules.parse(rules);
        try (LoadedModel loaded = TestModels.load(checkpoint)) {
            Task task = RandomTasks.make(loaded.model(), 41, 4, 5, false);
            OraclePrompts prompts =
                    new OraclePrompts(EdgeOracle.of(checkpoint), task, Ablation.RESAMPLE, Metrics.LOGIT_DIFF);
            ComputationGraph g = ComputationGraph.of(loaded.model().config());
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model(), g), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 3)) {
                EdgeScorer relp = Methods.scorer("relp:" + rules, 1);
                double[] scores = relp.score(tp, Progress.NONE).values();
                String what = family + ", " + relp.key();
                ScorersAgainstDoubleOracleTest.compare(what, scores, g, e -> prompts.slope(e, parsed));
            }
        }
    }
}
