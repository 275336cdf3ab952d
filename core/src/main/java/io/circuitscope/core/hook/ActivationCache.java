package io.circuitscope.core.hook;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Activations kept from forward passes, by hook name. The cache owns its tensors through its own
 * manager: closing the cache frees them, independently of the run that produced them.
 */
public final class ActivationCache implements AutoCloseable {
    private final NDManager manager;
    private final Predicate<HookName> filter;
    /** The names asked for by name ({@link #of}), so a pass can refuse those it never reaches; empty for a filter. */
    private final Set<HookName> requested;
    private final Map<HookName, NDArray> activations = new LinkedHashMap<>();

    /** A cache under {@code parent} that keeps the activations {@code filter} accepts. */
    public ActivationCache(NDManager parent, Predicate<HookName> filter) {
        this(parent, filter, Set.of());
    }

    private ActivationCache(NDManager parent, Predicate<HookName> filter, Set<HookName> requested) {
        this.manager = parent.newSubManager();
        this.filter = filter;
        this.requested = requested;
    }

    /**
     * A cache that keeps every activation, including the per-head sites a pass computes only when asked
     * (hook_q_input/k_input/v_input and attn.hook_result): they switch every layer to a per-head path
     * that materialises several [batch, seq, heads, d_model] tensors per layer, heads times the residual
     * stream each (GPT-2 small, batch 8 x 64, every hook cached: 5.9 GiB (6,076 MiB) peak resident
     * instead of 2.0 GiB (2,080 MiB) without hooks and 1.6 times the time, mostly that path;
     * benchmarks/RESULTS.md). Prefer {@link #of} with the names you read.
     */
    public static ActivationCache all(NDManager parent) {
        return new ActivationCache(parent, name -> true);
    }

    /** A cache of exactly {@code names}; a forward pass refuses one its model never reaches. */
    public static ActivationCache of(NDManager parent, Set<HookName> names) {
        Set<HookName> copy = Set.copyOf(names);
        return new ActivationCache(parent, copy::contains, copy);
    }

    /** The names this cache was asked for by name (empty for a cache made with a filter). */
    public Set<HookName> requested() {
        return requested;
    }

    public boolean wants(HookName name) {
        return filter.test(name);
    }

    /**
     * Records {@code value} as a zero-copy view owned by this cache, so the forward pass keeps owning
     * the original (and everything computed from it) while the cache outlives the run. The view shares
     * memory with the pass, which is why hooks never hand a function edit the live tensor unless it
     * promises to read only ({@link Edit.Apply}).
     */
    void put(HookName name, NDArray value) {
        NDArray view = value.reshape(value.getShape());
        view.attach(manager);
        NDArray old = activations.put(name, view);
        if (old != null) {
            old.close();
        }
    }

    /**
     * The cached activation, a view that may share memory with other entries (resid_post L is resid_pre
     * L+1 of the same pass): {@code duplicate()} it before changing it in place.
     */
    public NDArray get(HookName name) {
        NDArray value = activations.get(name);
        if (value == null) {
            throw new IllegalArgumentException("activation " + name + " was not cached (cached: "
                    + activations.keySet() + ")");
        }
        return value;
    }

    public NDArray get(HookSite site, int layer) {
        return get(HookName.of(site, layer));
    }

    public boolean contains(HookName name) {
        return activations.containsKey(name);
    }

    public Set<HookName> names() {
        return Collections.unmodifiableSet(activations.keySet());
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        activations.clear();
        manager.close();
    }
}
