package io.circuitscope.core.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one forward call does at its hook points: the interventions to apply (in the order given)
 * and the cache to fill. Immutable and scoped to the call, so nothing can stay installed on the
 * model after an exception (TransformerLens' "main footgun").
 */
public final class Hooks {
    private static final Hooks NONE = new Hooks(Map.of(), null);

    private final Map<HookName, List<Intervention>> interventions;
    private final ActivationCache cache;

    private Hooks(Map<HookName, List<Intervention>> interventions, ActivationCache cache) {
        this.interventions = interventions;
        this.cache = cache;
    }

    public static Hooks none() {
        return NONE;
    }

    public static Hooks caching(ActivationCache cache) {
        return builder().cache(cache).build();
    }

    public static Hooks of(Intervention... interventions) {
        Builder b = builder();
        for (Intervention i : interventions) {
            b.add(i);
        }
        return b.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Every hook name this call names: the interventions' targets and the names its cache was asked for
     * by name. A forward pass checks them against its model, so none is silently never reached.
     */
    public Set<HookName> named() {
        if (cache == null || cache.requested().isEmpty()) {
            return interventions.keySet();
        }
        Set<HookName> all = new LinkedHashSet<>(interventions.keySet());
        all.addAll(cache.requested());
        return all;
    }

    /** Whether anything happens at {@code name}; lets the model skip optional per-head tensors. */
    public boolean touches(HookName name) {
        return interventions.containsKey(name) || (cache != null && cache.wants(name));
    }

    /** Applies the interventions registered at {@code name} to {@code value}, caches the result, returns it. */
    public NDArray at(HookName name, NDArray value, NDManager run) {
        List<Intervention> here = interventions.get(name);
        NDArray x = value;
        if (here != null) {
            for (Intervention intervention : here) {
                // x is shared: with the cache, with other hooks (resid_post L is resid_pre L+1) and with the rest
                // of the pass (x + (edited - x) * mask below), so a function that may edit its argument in place
                // works on a copy
                boolean mayMutate = intervention.edit() instanceof Edit.Apply apply && !apply.readsOnly();
                NDArray input = mayMutate ? copy(x, run) : x;
                NDArray edited = intervention.edit().apply(input, name);
                if (intervention.selection().isAll()) {
                    x = edited;
                } else {
                    NDArray mask = selectionMask(run, name, x.getShape(), intervention.selection());
                    x = x.add(edited.sub(x).mul(mask));
                }
            }
        }
        if (cache != null && cache.wants(name)) {
            cache.put(name, x);
        }
        return x;
    }

    /** A copy of {@code x} owned by this pass (x may belong to a caller, e.g. a cached resid_pre passed to forwardFrom). */
    private static NDArray copy(NDArray x, NDManager run) {
        NDArray copy = x.duplicate();
        copy.attach(run);
        return copy;
    }

    /** A 0/1 tensor, broadcastable to the activation, that is 1 on the selected heads and positions. */
    static NDArray selectionMask(NDManager run, HookName name, Shape shape, Selection selection) {
        HookSite site = name.site();
        int rank = shape.dimension();
        long[] maskShape = new long[rank];
        java.util.Arrays.fill(maskShape, 1L);
        int posAxis = site.positionAxis();
        int headAxis = site.headAxis();
        int nPos = (int) shape.get(posAxis);
        boolean[] posOn = chosen(selection.positions(), nPos, "position", name);
        boolean[] headOn = null;
        int nHeads = 1;
        if (headAxis >= 0) {
            nHeads = (int) shape.get(headAxis);
            headOn = chosen(selection.heads(), nHeads, "head", name);
        }
        maskShape[posAxis] = nPos;
        if (headAxis >= 0) {
            maskShape[headAxis] = nHeads;
        }
        float[] values = new float[nPos * nHeads];
        for (int p = 0; p < nPos; p++) {
            for (int h = 0; h < nHeads; h++) {
                boolean on = posOn[p] && (headOn == null || headOn[h]);
                int index = headAxis >= 0 && headAxis < posAxis ? h * nPos + p : p * nHeads + h;
                values[index] = on ? 1f : 0f;
            }
        }
        return run.create(values, new Shape(maskShape));
    }

    private static boolean[] chosen(int[] indices, int size, String what, HookName name) {
        boolean[] on = new boolean[size];
        if (indices == null) {
            java.util.Arrays.fill(on, true);
            return on;
        }
        for (int raw : indices) {
            int i = raw < 0 ? size + raw : raw;
            if (i < 0 || i >= size) {
                throw new IllegalArgumentException(what + " " + raw + " is out of range for " + name
                        + " (size " + size + ")");
            }
            on[i] = true;
        }
        return on;
    }

    /** Collects interventions and an optional cache. */
    public static final class Builder {
        private final Map<HookName, List<Intervention>> interventions = new LinkedHashMap<>();
        private ActivationCache cache;

        public Builder add(Intervention intervention) {
            interventions.computeIfAbsent(intervention.target(), k -> new ArrayList<>()).add(intervention);
            return this;
        }

        public Builder addAll(Iterable<Intervention> all) {
            for (Intervention i : all) {
                add(i);
            }
            return this;
        }

        public Builder cache(ActivationCache cache) {
            this.cache = cache;
            return this;
        }

        public Hooks build() {
            Map<HookName, List<Intervention>> copy = new LinkedHashMap<>();
            interventions.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return new Hooks(Map.copyOf(copy), cache);
        }
    }
}
