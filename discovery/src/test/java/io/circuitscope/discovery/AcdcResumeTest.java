package io.circuitscope.discovery;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An ACDC search stopped after any destination and resumed from the state its journal recorded decides every later
 * edge as the uninterrupted search does, with bit-identical effects, and makes fewer forward passes. A stop is an
 * exception thrown from the journal right after it recorded, as a kill right after a checkpoint was written.
 */
class AcdcResumeTest {
    /** Records every state, and stops the search after the {@code stopAfter}-th (0: never). */
    private static class StoppingJournal implements AcdcJournal {
        final List<AcdcState> states = new ArrayList<>();
        final int stopAfter;
        final AcdcState resumeFrom;

        StoppingJournal(int stopAfter, AcdcState resumeFrom) {
            this.stopAfter = stopAfter;
            this.resumeFrom = resumeFrom;
        }

        @Override
        public AcdcState resume(boolean[] candidates) {
            return resumeFrom;
        }

        @Override
        public void record(AcdcState state) {
            states.add(state);
            if (states.size() == stopAfter) {
                throw new IllegalStateException("stopped");
            }
        }
    }

    @ParameterizedTest(name = "metric {0}")
    @ValueSource(strings = {"kl", "logit-diff"})
    void aResumedSearchEndsAsTheUninterruptedOne(String metricName) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(17, 3, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 17, 6, 5, false);
            EdgePatcher patcher = new EdgePatcher(loaded.model());
            try (TaskPatcher tp = new TaskPatcher(patcher, task, Metrics.byName(metricName), Ablation.RESAMPLE, 4)) {
                double tau = 0.05 * Math.abs(tp.cleanValue() - tp.corruptedValue());
                boolean[] candidates = null;
                check(tp, tau, candidates);
                // the pipeline's case: some edges are not candidates
                candidates = new boolean[tp.graph().nEdges()];
                for (int e = 0; e < candidates.length; e++) {
                    candidates[e] = e % 3 != 1;
                }
                check(tp, tau, candidates);
            }
        }
    }

    private static void check(TaskPatcher tp, double tau, boolean[] candidates) {
        StoppingJournal whole = new StoppingJournal(0, null);
        long before = tp.forwardPasses();
        Circuit uninterrupted = new Acdc(tau).search(tp, candidates, Progress.NONE, whole);
        long wholePasses = tp.forwardPasses() - before;
        int destinations = tp.graph().nDestinations();
        assertEquals(destinations, whole.states.size(), "a state after every destination");
        assertEquals(-1, whole.states.get(destinations - 1).nextDestination());
        boolean someRemovedSomeKept = uninterrupted.edgeCount() > 0
                && uninterrupted.edgeCount() < (candidates == null ? tp.graph().nEdges() : count(candidates));
        assertTrue(someRemovedSomeKept, "tau should keep some edges and remove others: " + uninterrupted.edgeCount());
        for (int stop : new int[] {1, 2, destinations / 2, destinations - 1, destinations}) {
            StoppingJournal stopped = new StoppingJournal(stop, null);
            assertThrows(IllegalStateException.class, () -> new Acdc(tau).search(tp, candidates, Progress.NONE, stopped));
            AcdcState saved = stopped.states.get(stop - 1);
            StoppingJournal resumedJournal = new StoppingJournal(0, saved);
            long start = tp.forwardPasses();
            Circuit resumed = new Acdc(tau).search(tp, candidates, Progress.NONE, resumedJournal);
            long resumedPasses = tp.forwardPasses() - start;
            String what = "stopped after destination " + stop + " of " + destinations;
            assertEquals(uninterrupted.edgeNames(), resumed.edgeNames(), what);
            assertArrayEquals(uninterrupted.scores().values(), resumed.scores().values(), what + ": effects bit for bit");
            assertEquals(destinations - stop, resumedJournal.states.size(), what + ": states recorded after resuming");
            assertTrue(resumedPasses < wholePasses, what + ": " + resumedPasses + " passes resumed, " + wholePasses
                    + " whole");
        }
    }

    /**
     * A journal that wants no state until the end is offered only the last one: the search copies its keep-mask and
     * effects into a state only when the journal will keep it (by position, GPT-2 small's 650,000 edges at each of
     * 8,900 destinations).
     */
    @org.junit.jupiter.api.Test
    void aJournalThatIsNotDueIsOfferedOnlyTheLastState() {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(17, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 17, 4, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 4)) {
                double tau = 0.05 * Math.abs(tp.cleanValue() - tp.corruptedValue());
                StoppingJournal notDue = new StoppingJournal(0, null) {
                    @Override
                    public boolean due() {
                        return false;
                    }
                };
                Circuit found = new Acdc(tau).search(tp, null, Progress.NONE, notDue);
                assertEquals(1, notDue.states.size(), "only the last state");
                assertEquals(-1, notDue.states.get(0).nextDestination());
                assertEquals(new Acdc(tau).search(tp, null, Progress.NONE).edgeNames(), found.edgeNames());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"other candidates", "another graph"})
    void aStateOfAnotherSearchIsRefused(String which) {
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(17, 2, 2, 4, 23, 8, false))) {
            Task task = RandomTasks.make(loaded.model(), 17, 4, 5, false);
            try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(loaded.model()), task, Metrics.LOGIT_DIFF,
                    Ablation.RESAMPLE, 4)) {
                int n = tp.graph().nEdges();
                AcdcState state = which.equals("other candidates")
                        ? new AcdcState(new boolean[n], 3, new boolean[n], new double[n], 0.0, 0, 0, 0)
                        : new AcdcState(null, 3, new boolean[n + 1], new double[n + 1], 0.0, 0, 0, 0);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> new Acdc(0.1).search(tp, null, Progress.NONE, new StoppingJournal(0, state)));
                assertTrue(e.getMessage().contains(which.equals("other candidates") ? "other candidates" : "another graph"),
                        e.getMessage());
            }
        }
        assertNull(AcdcJournal.NONE.resume(null));
    }

    private static int count(boolean[] flags) {
        int n = 0;
        for (boolean f : flags) {
            n += f ? 1 : 0;
        }
        return n;
    }
}
