package io.circuitscope.core.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Native memory stays flat over many cached passes, and autograd flows through the forward. */
class ForwardMemoryTest {

    static long residentKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS");
    }

    @Test
    void thousandCachedForwardPassesDoNotGrowNativeMemory() throws Exception {
        // Each pass caches ~1 MB of activations: a leak of the cache or the run would add ~1 GB.
        try (LoadedModel loaded = TestModels.load(TinyCheckpoint.gpt2(5, 2, 4, 16, 50, 32, false))) {
            HookedTransformer model = loaded.model();
            int[][] tokens = new int[4][32];
            for (int b = 0; b < 4; b++) {
                for (int p = 0; p < 32; p++) {
                    tokens[b][p] = (b * 7 + p * 3) % 50;
                }
            }
            int weightsBefore = model.weights().manager().getManagedArrays().size();
            // The allocator's resident size wobbles by tens of MiB from pass to pass, so compare the
            // smallest of several late readings against an early one.
            long baseline = 0;
            long lateMinimum = Long.MAX_VALUE;
            for (int i = 0; i < 1000; i++) {
                try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.all(run)) {
                    model.forward(run, tokens, Hooks.caching(cache)).sum().getFloat();
                }
                if (i == 99) {
                    System.gc();
                    baseline = residentKiB();
                } else if (i >= 800 && i % 40 == 39) {
                    System.gc();
                    lateMinimum = Math.min(lateMinimum, residentKiB());
                }
            }
            long growthMiB = (lateMinimum - baseline) / 1024;
            assertTrue(growthMiB < 100, "resident memory grew by " + growthMiB + " MiB over 900 cached passes");
            assertEquals(weightsBefore, model.weights().manager().getManagedArrays().size());
        }
    }

    @Test
    void gradientsOfTheLogitsReachAnInterventionTensor() {
        try (LoadedModel loaded = TestModels.tinyGpt2(9)) {
            HookedTransformer model = loaded.model();
            int[][] tokens = {{1, 2, 3, 4, 5}};
            HookName z = HookName.of(HookSite.Z, 0);
            try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.of(run, java.util.Set.of(z))) {
                model.forward(run, tokens, Hooks.caching(cache));
                NDArray delta = run.zeros(cache.get(z).getShape());
                delta.setRequiresGradient(true);
                try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(run, tokens,
                            Hooks.of(io.circuitscope.core.hook.Intervention.add(z, io.circuitscope.core.hook.Selection.all(), delta)));
                    gc.backward(logits.get("0, -1, 7"));
                }
                NDArray grad = delta.getGradient();
                // the last position's logit depends on z at every position through attention
                assertTrue(grad.abs().sum().getFloat() > 0f);
                // finite-difference check on one coordinate
                float eps = 1e-2f;
                float g = grad.getFloat(0, 4, 1, 2);
                NDArray bump = run.zeros(delta.getShape());
                bump.set(new ai.djl.ndarray.index.NDIndex("0, 4, 1, 2"), eps);
                float plus = model.forward(run, tokens, Hooks.of(io.circuitscope.core.hook.Intervention.add(z,
                        io.circuitscope.core.hook.Selection.all(), bump))).getFloat(0, 4, 7);
                float minus = model.forward(run, tokens, Hooks.of(io.circuitscope.core.hook.Intervention.add(z,
                        io.circuitscope.core.hook.Selection.all(), bump.neg()))).getFloat(0, 4, 7);
                assertEquals((plus - minus) / (2 * eps), g, 2e-3);
            }
        }
    }
}
