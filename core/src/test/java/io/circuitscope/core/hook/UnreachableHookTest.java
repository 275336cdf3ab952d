package io.circuitscope.core.hook;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyFamilies;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Interventions and cache requests at hooks a model never reaches are refused, not silently ignored. */
class UnreachableHookTest {
    static final int[][] TOKENS = {{1, 5, 9, 12, 3, 7, 40}, {2, 2, 30, 11, 0, 8, 19}};

    static Stream<TinyCheckpoint> families() {
        return TinyFamilies.all();
    }

    @ParameterizedTest
    @MethodSource("families")
    void everyEntryPointRefusesALayerBeyondTheModel(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            int layers = model.config().nLayers();
            HookName beyond = HookName.of(HookSite.RESID_PRE, layers);
            Hooks zero = Hooks.of(Intervention.zero(beyond, Selection.all()));
            NDArray resid = model.residualBefore(run, TOKENS, 0, Hooks.none());
            refused(beyond, "layers", () -> model.forward(run, TOKENS, zero));
            refused(beyond, "layers", () -> model.forwardFrom(run, 0, resid, zero));
            refused(beyond, "layers", () -> model.residualBefore(run, TOKENS, layers, zero));
            HookName z = HookName.of(HookSite.Z, layers + 3);
            try (ActivationCache cache = ActivationCache.of(run, Set.of(z, HookName.of(HookSite.Z, 0)))) {
                refused(z, "layers", () -> model.forward(run, TOKENS, Hooks.caching(cache)));
            }
            HookName last = HookName.of(HookSite.RESID_PRE, layers - 1);
            assertDoesNotThrow(() -> model.forward(run, TOKENS, Hooks.of(Intervention.zero(last, Selection.all()))));
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void sitesAModelLacksAreRefusedWithTheReason(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            ModelConfig config = model.config();
            check(model, run, HookName.of(HookSite.POS_EMBED), config.learnedPositions(), "no learned position embeddings");
            check(model, run, HookName.of(HookSite.RESID_MID, 0), !config.parallelAttnMlp(), "in parallel");
        }
    }

    /** {@code name} must work as an intervention and a cache request when {@code exists}, else be refused naming {@code why}. */
    private static void check(HookedTransformer model, NDManager run, HookName name, boolean exists, String why) {
        Consumer<Executable> expect = exists ? UnreachableHookTest::works : pass -> refused(name, why, pass);
        expect.accept(() -> model.forward(run, TOKENS, Hooks.of(Intervention.zero(name, Selection.all()))));
        try (ActivationCache cache = ActivationCache.of(run, Set.of(name))) {
            expect.accept(() -> model.forward(run, TOKENS, Hooks.caching(cache)));
            if (exists) {
                assertTrue(cache.contains(name), name + " was not cached");
            }
        }
    }

    private static void works(Executable pass) {
        assertDoesNotThrow(pass);
    }

    private static void refused(HookName name, String why, Executable pass) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, pass, name + " must be refused");
        assertTrue(e.getMessage().contains(name.toString()) && e.getMessage().contains(why), e.getMessage());
    }
}
