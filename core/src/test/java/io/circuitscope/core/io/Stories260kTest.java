package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.NormType;
import io.circuitscope.core.model.RotaryStyle;
import io.circuitscope.core.reference.ReferenceForward;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared stories260K llama2.c checkpoint (8 query heads over 4 key/value heads) against the reference. */
class Stories260kTest {
    static final double TOLERANCE = 1e-4;
    static LoadedModel model;
    static Path bin;

    @BeforeAll
    static void load() {
        bin = Path.of(System.getProperty("circuitscope.sharedDir", "../../shared"))
                .resolve("models/stories260K/stories260K.bin");
        assumeTrue(Files.isRegularFile(bin), "stories260K.bin not found at " + bin.toAbsolutePath()
                + " (set -Dcircuitscope.sharedDir); skipping");
        model = ModelLoader.load(bin);
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void configComesFromTheHeader() {
        ModelConfig c = model.model().config();
        assertEquals("llama", c.family());
        assertEquals(64, c.dModel());
        assertEquals(5, c.nLayers());
        assertEquals(8, c.nHeads());
        assertEquals(4, c.nKvHeads());
        assertEquals(8, c.dHead());
        assertEquals(172, c.dMlp());
        assertEquals(512, c.vocabSize());
        assertEquals(512, c.contextLength());
        assertEquals(NormType.RMS_NORM, c.normType());
        assertEquals(1e-5, c.normEps());
        assertEquals(RotaryStyle.CONSECUTIVE_PAIRS, c.rotary().style());
        assertEquals(8, c.rotary().rotaryDim());
        assertEquals(1.0 / Math.pow(10000, 2.0 / 8), c.rotary().inverseFrequencies()[1], 1e-15);
        assertNull(model.tokenizer());
    }

    @Test
    void shortSequenceMatchesReference() throws Exception {
        assertMatches(new int[] {1, 50, 100, 200});
    }

    @Test
    void twentyTokenSequenceMatchesReference() throws Exception {
        Random rng = new Random(260);
        int[] tokens = new int[20];
        tokens[0] = 1;
        for (int i = 1; i < tokens.length; i++) {
            tokens[i] = rng.nextInt(512);
        }
        assertMatches(tokens);
    }

    @Test
    void bosAloneMatchesReference() throws Exception {
        assertMatches(new int[] {1});
    }

    private static void assertMatches(int[] tokens) throws Exception {
        double[][] expected = ReferenceForward.logitsLlama2c(bin, tokens);
        float[][] actual = model.model().logits(tokens);
        assertEquals(expected.length, actual.length);
        for (int p = 0; p < expected.length; p++) {
            for (int v = 0; v < expected[p].length; v++) {
                double diff = Math.abs(expected[p][v] - actual[p][v]);
                if (diff > TOLERANCE) {
                    throw new AssertionError("stories260K logit[" + p + "][" + v + "] = " + actual[p][v]
                            + " but reference " + expected[p][v]);
                }
            }
        }
    }
}
