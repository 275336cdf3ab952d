package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Greedy decoding equals repeatedly taking the argmax of the model's own logits. */
class GreedyDecoderTest {
    @TempDir
    Path dir;

    static int argmax(float[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) {
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    @Test
    void matchesArgmaxOfRepeatedLogitsAndStopsAtTheContext() throws Exception {
        TinyCheckpoint.gpt2(9, 2, 2, 8, 40, 12, false).write(dir, TensorDtype.F32);
        try (LoadedModel loaded = ModelLoader.load(dir)) {
            HookedTransformer model = loaded.model();
            int[] prompt = {3, 17, 5};
            GreedyDecoder.Result result = GreedyDecoder.generate(model, prompt, 6);
            int[] expected = prompt;
            for (int i = 0; i < 6; i++) {
                float[][] logits = model.logits(expected);
                expected = Arrays.copyOf(expected, expected.length + 1);
                expected[expected.length - 1] = argmax(logits[logits.length - 1]);
            }
            assertArrayEquals(expected, result.tokens());
            assertArrayEquals(Arrays.copyOfRange(expected, 3, 9), result.newTokens());
            assertFalse(result.stoppedAtContext());

            GreedyDecoder.Result full = GreedyDecoder.generate(model, prompt, 50);
            assertEquals(12, full.tokens().length, "stops at the context window of 12");
            assertEquals(9, full.newTokens().length);
            assertTrue(full.stoppedAtContext());
            assertArrayEquals(result.tokens(), Arrays.copyOf(full.tokens(), 9));
        }
    }
}
