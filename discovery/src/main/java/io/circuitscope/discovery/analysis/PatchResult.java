package io.circuitscope.discovery.analysis;

import java.util.List;

/**
 * The outcome of a patching experiment: the metric on the clean and corrupted runs and, per patched node or edge,
 * the metric with the patch, its change from the base run and the normalized effect (see
 * {@link io.circuitscope.core.task.Direction#normalized}). Values are means over the task's targets.
 */
public record PatchResult(String metric, String direction, double clean, double corrupted, List<Effect> effects) {
    /**
     * @param name     node ({@code a3.h1}, {@code a3.h1<q>}, {@code m2}, {@code a2}, {@code resid_pre4},
     *                 with {@code @p} for a position) or edge ({@code a0.h1->a2.h3<k>})
     * @param layer    layer of the patched node (-1 for the input embedding)
     * @param head     head index or -1
     * @param position position or -1 for all positions
     * @param value    metric with the patch
     * @param effect   value minus the metric of the unpatched base run
     */
    public record Effect(String name, int layer, int head, int position, double value, double effect,
            double normalized) {
    }
}
