package io.circuitscope.core.hook;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.testing.TestModels;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyFamilies;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A function edit may change its argument in place without that leaking past its selection or its hook. */
class ApplyEditTest {
    static final int[][] TOKENS = {{1, 5, 9, 12, 3, 7, 40}, {2, 2, 30, 11, 0, 8, 19}};

    static Stream<TinyCheckpoint> families() {
        return TinyFamilies.all();
    }

    static float maxAbsDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @ParameterizedTest
    @MethodSource("families")
    void anInPlaceFunctionOnlyEditsTheSelectedHeadsAndPositions(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            // z and k of one query head (k is a grouped head expanded per query head on GQA families), and one
            // position of the residual stream
            HookName[] names = {HookName.of(HookSite.Z, 1), HookName.of(HookSite.K, 0), HookName.of(HookSite.RESID_PRE, 1)};
            Selection[] selections = {Selection.heads(1), Selection.heads(1), Selection.positions(2)};
            for (int i = 0; i < names.length; i++) {
                NDArray zeroed = model.forward(run, TOKENS, Hooks.of(Intervention.zero(names[i], selections[i])));
                NDArray inPlace = model.forward(run, TOKENS,
                        Hooks.of(Intervention.apply(names[i], selections[i], "zero in place", x -> x.muli(0f))));
                NDArray everywhere = model.forward(run, TOKENS, Hooks.of(Intervention.zero(names[i], Selection.all())));
                assertTrue(maxAbsDiff(zeroed, everywhere) > 1e-4f, "the test needs a selection that matters at " + names[i]);
                assertTrue(maxAbsDiff(zeroed, inPlace) < 1e-5f,
                        "x -> x.muli(0) on " + selections[i] + " at " + names[i] + " must equal zeroing only them");
            }
        }
    }

    @ParameterizedTest
    @MethodSource("families")
    void anInPlaceFunctionChangesNeitherTheCacheNorOtherHooksSharingItsTensor(TinyCheckpoint checkpoint) {
        try (LoadedModel loaded = TestModels.load(checkpoint); NDManager run = loaded.model().newRunManager()) {
            HookedTransformer model = loaded.model();
            // resid_pre 1 is resid_post 0's tensor; q/k/v_input are one tensor; mlp_in is the stream the MLP's
            // output is added to
            HookName[] names = {HookName.of(HookSite.RESID_PRE, 1), HookName.of(HookSite.Q_INPUT, 0),
                    HookName.of(HookSite.MLP_IN, 0)};
            HookName residPost = HookName.of(HookSite.RESID_POST, 0);
            for (HookName name : names) {
                try (ActivationCache inPlace = ActivationCache.of(run, Set.of(residPost));
                        ActivationCache copied = ActivationCache.of(run, Set.of(residPost))) {
                    NDArray inPlaceLogits = model.forward(run, TOKENS, Hooks.builder().cache(inPlace)
                            .add(Intervention.apply(name, Selection.all(), "double in place", x -> x.muli(2f))).build());
                    NDArray copiedLogits = model.forward(run, TOKENS, Hooks.builder().cache(copied)
                            .add(Intervention.apply(name, Selection.all(), "double", x -> x.mul(2f))).build());
                    assertTrue(maxAbsDiff(inPlaceLogits, copiedLogits) < 1e-5f,
                            "doubling " + name + " in place must equal doubling it into a new tensor");
                    assertTrue(maxAbsDiff(inPlace.get(residPost), copied.get(residPost)) < 1e-6f,
                            "doubling " + name + " in place changed the cached " + residPost);
                }
            }
        }
    }
}
