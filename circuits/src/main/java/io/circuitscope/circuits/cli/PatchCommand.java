package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.render.HeatmapPng;
import io.circuitscope.core.Decimals;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Corruption;
import io.circuitscope.core.task.Direction;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskEffect;
import io.circuitscope.discovery.analysis.ActivationPatching;
import io.circuitscope.discovery.analysis.PatchResult;
import io.circuitscope.discovery.analysis.PathPatching;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Activation patching of every node (or edge, or sender head along direct paths only) with normalized effects. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = "Activation patching: effect of patching each node (or edge) on the task metric.")
final class PatchCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--task", description = "Task JSONL (planted models bring their own task when omitted).")
    Path task;

    @Option(names = "--nodes", defaultValue = "heads", description = "heads | mlps | attn | resid | q | k | v "
            + "(default ${DEFAULT-VALUE}).")
    String nodes;

    @Option(names = "--direction", defaultValue = "denoise", description = "denoise | noise (default ${DEFAULT-VALUE}).")
    String direction;

    @Option(names = "--corruption", defaultValue = "resample",
            description = "resample | zero | mean | noise (default ${DEFAULT-VALUE}). mean averages over the task's "
                    + "prompts of each length, so it needs at least two examples of every length.")
    String corruption;

    @Option(names = "--seed", defaultValue = "0",
            description = "Seed of the noise corruption (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--by-position", description = "One variant per node (or, with --edges, per edge) and position.")
    boolean byPosition;

    @Option(names = "--edges", description = "Patch every edge of the graph alone instead of nodes.")
    boolean edges;

    @Option(names = "--edge-filter", description = "With --edges: only edges whose name contains this text.")
    String edgeFilter;

    @Option(names = "--receivers", split = ",", description = "Direct-path patching: every head as sender into "
            + "these receivers (logits, aL.hH, aL.hH<q>), comma separated. The sender's change reaches only the "
            + "receivers' q/k/v inputs (or, for logits, the final residual stream); heads and MLPs in between do not "
            + "see it (unlike Wang et al.'s path patching, where MLPs recompute), so with logits it is each head's "
            + "direct effect.")
    List<String> receivers;

    @Option(names = "--metric", defaultValue = "logit-diff", description = "Metric (default ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--max-rows", defaultValue = "256", description = "Rows per batched pass (default ${DEFAULT-VALUE}).")
    int maxRows;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @Option(names = "--png", description = "Also write a heatmap of the normalized effects (rows: layers).")
    Path png;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Metric m;
        Direction d;
        Corruption c;
        ActivationPatching.Site site;
        try {
            m = Metrics.byName(metric);
            d = Direction.byName(direction);
            c = Corruption.byName(corruption, seed);
            site = ActivationPatching.Site.byName(nodes);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (maxRows <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-rows must be positive");
        }
        if (!c.isRun() && d == Direction.DENOISE) { // a usage error, found before the model is loaded
            throw new CommandLine.ParameterException(spec.commandLine(), "--corruption " + corruption + " has no "
                    + "corrupted run to denoise; use --direction noise (or the resample / noise corruption)");
        }
        AnalysisSupport.requireTask(task, modelOptions.model, spec, "patch");
        refuseOptionsTheModeIgnores(site);
        if (png != null && edges) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--png draws the effects of nodes by layer; "
                    + "it does not apply to --edges");
        }
        PathChecks.fileForWriting(spec, "--png", png); // before the patching, not after it
        PathChecks.notAnInput(spec, "--png", png, task, modelOptions.model);
        try (LoadedModel loaded = modelOptions.load()) {
            Task t = AnalysisSupport.task(task, modelOptions.model, loaded);
            if (c.kind() == Corruption.Kind.MEAN) {
                MeanAblationCheck.check(spec, t, "--corruption");
            }
            if (c.kind() == Corruption.Kind.NOISE) {
                requireNoisePositions(t);
            }
            if (byPosition && receivers == null) { // before the analyses, which name the setting in words
                t.commonLength(edges ? "--edges --by-position" : "--by-position");
            }
            PatchResult r;
            boolean edgeKeys = false;
            if (edges) {
                r = PathPatching.edges(loaded.model(), t, m, d, c, edgeFilter, maxRows, byPosition);
                edgeKeys = true;
            } else if (receivers != null) {
                List<PathPatching.Receiver> rs = new ArrayList<>();
                for (String s : receivers) {
                    try {
                        rs.addAll(PathPatching.Receiver.parse(s.trim(), loaded.model().config()));
                    } catch (IllegalArgumentException e) {
                        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
                    }
                }
                r = PathPatching.senders(loaded.model(), t, m, d, c, rs, maxRows);
            } else {
                r = ActivationPatching.sweep(loaded.model(), t,
                        new ActivationPatching.Options(m, d, c, site, byPosition, maxRows, 64));
            }
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode root = AnalysisSupport.JSON.createObjectNode();
                root.put("metric", r.metric());
                root.put("direction", r.direction());
                root.put("clean", r.clean());
                root.put("corrupted", r.corrupted());
                ArrayNode effects = root.putArray("effects");
                for (PatchResult.Effect e : r.effects()) {
                    ObjectNode o = effects.addObject();
                    o.put(edgeKeys ? "edge" : "node", e.name());
                    o.put("layer", e.layer());
                    if (e.head() >= 0) {
                        o.put("head", e.head());
                    }
                    if (e.position() >= 0) {
                        o.put("position", e.position());
                    }
                    o.put("value", e.value());
                    o.put("effect", e.effect());
                    if (Double.isNaN(e.normalized())) {
                        o.putNull("normalized"); // undefined: the corruption does not move the metric
                    } else {
                        o.put("normalized", e.normalized());
                    }
                }
                out.println(AnalysisSupport.JSON.writeValueAsString(root));
            } else {
                out.printf(Locale.ROOT, "%s, %s: clean %s, corrupted %s%n", r.metric(), r.direction(), Decimals.fixed(r.clean(), 4),
                        Decimals.fixed(r.corrupted(), 4));
                if (!TaskEffect.measurable(r.clean(), r.corrupted())) {
                    out.println("  note: the corrupted prompts barely change the metric, so normalized effects are "
                            + "undefined (n/a); the effects are still the metric's changes");
                }
                out.printf(Locale.ROOT, "  %-28s %12s %12s%n", edgeKeys ? "edge" : "node", "effect", "normalized");
                for (PatchResult.Effect e : r.effects()) {
                    out.printf(Locale.ROOT, "  %-28s %12s %12s%n", e.name(), Decimals.fixed(e.effect(), 4),
                            Double.isNaN(e.normalized()) ? "n/a" : Decimals.fixed(e.normalized(), 4));
                }
            }
            if (png != null) {
                HeatmapPng.write(png, grid(r, loaded.model().config().nLayers()), 16,
                        "normalized effect (" + r.metric() + ", " + r.direction() + ")",
                        "columns: " + (receivers != null ? "sender heads" : site.isPerHead()
                                ? (byPosition ? "heads x positions" : "heads")
                                : (byPosition ? "positions" : "one per layer")));
            }
            out.flush();
        }
        return 0;
    }

    /**
     * Options the chosen mode would silently ignore, refused as usage errors: --edges patches the graph's edges and
     * --receivers sends every head along direct paths, neither by --nodes; senders are not split by position.
     */
    private void refuseOptionsTheModeIgnores(ActivationPatching.Site site) {
        String problem = null;
        if (receivers != null && edges) {
            problem = "--receivers (direct-path patching from every head) and --edges (every edge alone) are two modes; "
                    + "give one";
        } else if (receivers != null && byPosition) {
            problem = "--by-position does not apply to --receivers: direct-path patching patches each sender head at every "
                    + "position at once";
        } else if ((receivers != null || edges) && site != ActivationPatching.Site.HEADS) {
            problem = "--nodes " + nodes + " does not apply to " + (edges ? "--edges (it patches the graph's edges)"
                    : "--receivers (the senders are always every head)");
        } else if (edgeFilter != null && !edges) {
            problem = "--edge-filter applies only with --edges";
        }
        if (problem != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), problem);
        }
    }

    /** Normalized effects as [layer][column] in the order they come (heads, positions or heads x positions). */
    private static double[][] grid(PatchResult r, int layers) {
        int perLayer = Math.max(1, r.effects().size() / layers);
        double[][] g = new double[layers][perLayer];
        for (int i = 0; i < r.effects().size() && i / perLayer < layers; i++) {
            double n = r.effects().get(i).normalized();
            g[i / perLayer][i % perLayer] = Double.isNaN(n) ? 0 : n; // no behaviour: a blank map
        }
        return g;
    }

    /**
     * Noise is added at each example's noise_positions only, so an example without them would run uncorrupted and
     * pull every effect towards 0 without a word (the engine only noticed a batch with none at all, and named no file).
     */
    private void requireNoisePositions(Task t) {
        for (int i = 0; i < t.size(); i++) {
            if (t.examples().get(i).noisePositions().length == 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), (task != null ? task + ": example "
                        : modelOptions.model + "'s own task: example ") + (i + 1)
                        + " has no noise_positions; --corruption noise adds noise at each example's noise_positions "
                        + "(e.g. the subject tokens), so every example needs them");
            }
        }
    }
}
