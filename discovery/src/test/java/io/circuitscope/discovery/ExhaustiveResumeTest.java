package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exhaustive patching stopped after any destination layer and run again from the effects its journal recorded
 * patches only the missing layers, to the effects the uninterrupted run finds, bit for bit.
 */
class ExhaustiveResumeTest {
    /** Records every layer's effects, stops the run after the {@code stopAfter}-th, resumes from {@code from}. */
    private static final class Journal implements EffectsJournal {
        final List<double[]> records = new ArrayList<>();
        final int stopAfter;
        final double[] from;

        Journal(int stopAfter, double[] from) {
            this.stopAfter = stopAfter;
            this.from = from;
        }

        @Override
        public double[] resume(int edges) {
            return from;
        }

        @Override
        public void record(double[] effects) {
            records.add(effects);
            if (records.size() == stopAfter) {
                throw new IllegalStateException("stopped");
            }
        }
    }

    @Test
    void aResumedRunPatchesOnlyTheMissingLayersToTheSameEffects() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(23, 3, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 23, 6, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 4)) {
                Journal whole = new Journal(0, null);
                long start = tp.forwardPasses();
                double[] expected = new ExhaustivePatching(64).withJournal(whole).score(tp, Progress.NONE).values();
                long wholePasses = tp.forwardPasses() - start;
                int layers = whole.records.size();
                assertEquals(tp.graph().config().nLayers() + 1, layers, "a record after each destination layer, logits too");
                for (int stop = 1; stop < layers; stop++) {
                    Journal stopped = new Journal(stop, null);
                    assertThrows(IllegalStateException.class,
                            () -> new ExhaustivePatching(64).withJournal(stopped).score(tp, Progress.NONE));
                    Journal resumed = new Journal(0, stopped.records.get(stop - 1));
                    long before = tp.forwardPasses();
                    double[] got = new ExhaustivePatching(64).withJournal(resumed).score(tp, Progress.NONE).values();
                    assertArrayEquals(expected, got, "stopped after layer record " + stop + ": the same effects bit for bit");
                    assertEquals(layers - stop, resumed.records.size(), "only the missing layers recorded again");
                    assertTrue(tp.forwardPasses() - before < wholePasses, "fewer passes after " + stop);
                }
            }
        }
    }
}
