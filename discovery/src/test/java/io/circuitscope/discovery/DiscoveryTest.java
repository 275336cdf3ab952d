package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import org.junit.jupiter.api.Test;

/** Discovery chooses the method by its key; what it says about the result names settings as its caller does. */
class DiscoveryTest {
    /** A caller whose names no command line or plan has, so that a name discovery made up itself would show. */
    private static final SettingNames ANGLED = setting -> "<" + setting + ">";

    @Test
    void eachMethodSaysWhyItsCircuitIsEmptyInTheCallersNames() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 5, 4, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 8)) {
                Discovery.Found acdc = find(tp, "ACDC", "200", 1e308, 100, 10);
                assertEquals("ACDC kept no path from input to logits at tau 1.0E308 (a smaller <tau> keeps more)",
                        acdc.whyEmpty());
                assertEquals(-1, acdc.candidatesVerified());
                Discovery.Found eap = find(tp, "eap", "200", 0.01, 0, 10);
                assertEquals("<edges> 0 keeps no edge", eap.whyEmpty());
                assertEquals(0, eap.circuit().edgeCount());
                assertNotNull(eap.bound(), "a scorer-only run samples the edges it left out");
                assertEquals("<nodes> 0 keeps no node", find(tp, "atp", "200", 0.01, 100, 0).whyEmpty());
                Discovery.Found pipeline = find(tp, "pipeline", "0", 0.01, 100, 10);
                assertEquals("<candidates> 0 selected no edge, so ACDC had nothing to verify", pipeline.whyEmpty());
                assertEquals(0, pipeline.candidatesVerified());
                assertNull(pipeline.fewScored());
                for (Discovery.Found f : new Discovery.Found[] {acdc, eap, pipeline}) {
                    assertFalse(f.whyEmpty().contains("--"), "no command-line option: " + f.whyEmpty());
                }
            }
        }
    }

    private static Discovery.Found find(TaskPatcher tp, String method, String candidates, double tau, int edges,
            int nodes) {
        return Discovery.find(tp, new DiscoveryOptions(method, "eap", candidates, tau, 2, edges, nodes, 0), ANGLED,
                Progress.NONE);
    }
}
