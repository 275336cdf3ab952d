package io.circuitscope.circuits.toy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.task.Task;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ToyTrainerTest {

    @Test
    void trainingIsDeterministicLowersTheLossAndTheSavedCheckpointGivesTheSameLogits(@TempDir Path dir)
            throws Exception {
        ToyTrainer.Result a = ToyTrainer.train(ToyTask.IOI, 5, 60, null, (step, loss, avg) -> {
            if (step == 1 || step % 20 == 0) {
                System.out.printf("ioi step %d loss %.4f%n", step, loss);
            }
        });
        ToyTrainer.Result b = ToyTrainer.train(ToyTask.IOI, 5, 60, null, null);
        System.out.printf("60 IOI steps in %.1f s (%d parameters)%n", a.seconds(), a.parameters().parameterCount());
        for (String name : a.parameters().names()) {
            assertArrayEquals(a.parameters().values(name), b.parameters().values(name), name);
        }
        Task task = ToyTask.IOI.task(new Random(99), 64);
        a.parameters().writeCheckpoint(dir);
        int[] prompt = task.examples().get(0).clean();
        float[][] inMemory;
        try (NDManager m = DjlRuntime.newManager()) {
            ToyParameters.Built built = a.parameters().build(m.newSubManager(), false);
            inMemory = built.model().logits(prompt);
            ToyTrainer.Evaluation before = ToyTrainer.evaluate(
                    ToyParameters.init(ToyTask.IOI, 5).build(m.newSubManager(), false).model(), task);
            ToyTrainer.Evaluation after = ToyTrainer.evaluate(built.model(), task);
            System.out.printf("eval loss %.4f -> %.4f, accuracy %.3f -> %.3f%n", before.loss(), after.loss(),
                    before.accuracy(), after.accuracy());
            assertTrue(after.loss() < before.loss() - 0.5, "loss must fall");
        }
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            float[][] reloaded = loaded.model().logits(prompt);
            for (int p = 0; p < prompt.length; p++) {
                for (int v = 0; v < reloaded[p].length; v++) {
                    assertEquals(inMemory[p][v], reloaded[p][v], 1e-4, "position " + p + " token " + v);
                }
            }
        }
    }

    /** --layers: a deeper (or shallower) model than the task's default, written and reloaded with that depth. */
    @Test
    void aToyModelCanHaveAnotherDepthThanItsTasksDefault(@TempDir Path dir) throws Exception {
        ToyTrainer.Result r = ToyTrainer.train(ToyTask.IOI, 5, 5, 3, null, null, 0, null);
        assertEquals(5, r.parameters().layers());
        assertEquals(5, r.parameters().configJson().get("n_layer").asInt());
        assertTrue(r.parameters().names().contains("h.4.mlp.c_fc.weight"), r.parameters().names().toString());
        assertTrue(!r.parameters().names().contains("h.5.ln_1.weight"));
        r.parameters().writeCheckpoint(dir);
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            assertEquals(5, loaded.model().config().nLayers());
        }
        assertEquals(ToyTask.IOI.layers(), ToyParameters.init(ToyTask.IOI, 5).layers(), "default depth: the task's");
        IllegalArgumentException none = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ToyParameters.init(ToyTask.IOI, 0, 5));
        assertTrue(none.getMessage().contains("at least one layer"), none.getMessage());
    }

    /**
     * What ToyTask's and ToyRun's comments say of the induction targets: one per position of the second copy but its
     * last, 7 to 15 per prompt (ToyRun said 3 to 9), correct answer the next token of the first copy, and the loss of
     * training on exactly those positions.
     */
    @Test
    void inductionTargetsAreThePositionsOfTheSecondCopyButItsLast() {
        Task task = ToyTask.INDUCTION.task(new Random(3), 200);
        int fewest = Integer.MAX_VALUE;
        int most = 0;
        for (var e : task.examples()) {
            int n = e.targets().size();
            fewest = Math.min(fewest, n);
            most = Math.max(most, n);
            for (var t : e.targets()) {
                int p = t.resolvedPosition(e.length());
                int earlier = -1;
                for (int j = 1; j < p; j++) {
                    if (e.clean()[j] == e.clean()[p]) {
                        earlier = j;
                    }
                }
                assertTrue(earlier > 0, "the target's token occurred before");
                assertEquals(e.clean()[earlier + 1], t.correctId(), "the answer is the token after that occurrence");
                assertEquals(e.corrupt()[earlier + 1], t.wrongId(), "the wrong answer is the corrupted first copy's");
            }
        }
        assertEquals(ToyTask.INDUCTION_MIN_REPEAT - 1, fewest);
        assertEquals(ToyTask.INDUCTION_MAX_REPEAT - 1, most);
        assertEquals(7, fewest);
        assertEquals(15, most);
        ToyTask.TrainBatch batch = ToyTask.asTrainBatch(task.examples());
        assertEquals(task.examples().stream().mapToInt(e -> e.targets().size()).sum(), batch.labels().length,
                "training's loss positions are the targets");
    }
}
