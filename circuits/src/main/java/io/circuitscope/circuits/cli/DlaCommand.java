package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.discovery.analysis.DirectLogitAttribution;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Direct logit attribution of the logit difference per layer and per head. */
@Command(name = "dla", mixinStandardHelpOptions = true,
        description = "Direct logit attribution of the logit difference (final norm, and Gemma's post-attention norms, "
                + "fixed at their clean scale; with a final soft-cap, of the difference before the cap).")
final class DlaCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--task", description = "Task JSONL with wrong answers (planted models bring their own task when "
            + "omitted).")
    Path task;

    @CommandLine.Mixin
    LayerHeadOutput output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        AnalysisSupport.requireTask(task, modelOptions.model, spec, "dla");
        output.checkPng(spec, task, modelOptions.model);
        try (LoadedModel loaded = modelOptions.load()) {
            DirectLogitAttribution.Result r = DirectLogitAttribution.run(loaded.model(),
                    AnalysisSupport.task(task, modelOptions.model, loaded));
            PrintWriter out = spec.commandLine().getOut();
            if (output.json) {
                ObjectNode root = AnalysisSupport.JSON.createObjectNode();
                root.put("logit_diff", r.logitDiff());
                if (r.softcap() > 0) {
                    root.put("softcap", r.softcap()); // logit_diff is then the difference before the cap
                }
                root.put("sum", r.sum());
                ObjectNode comps = root.putObject("components");
                r.components().forEach(comps::put);
                ArrayNode layers = root.putArray("layers");
                for (int l = 0; l < r.attnLayers().length; l++) {
                    ObjectNode o = layers.addObject();
                    o.put("layer", l);
                    o.put("attn", r.attnLayers()[l]);
                    o.put("mlp", r.mlpLayers()[l]);
                }
                out.println(AnalysisSupport.JSON.writeValueAsString(root));
            } else {
                out.printf(Locale.ROOT, "logit difference%s %.4f = sum of components %.4f%n", r.softcap() > 0
                        ? String.format(Locale.ROOT, " before the final soft-cap (%.1f)", r.softcap()) : "", r.logitDiff(), r.sum());
                out.printf(Locale.ROOT, "  %-6s %10s %10s%n", "layer", "attn", "mlp");
                out.printf(Locale.ROOT, "  %-6s %10.4f%n", "embed", r.embed());
                for (int l = 0; l < r.attnLayers().length; l++) {
                    out.printf(Locale.ROOT, "  L%-5d %10.4f %10.4f%n", l, r.attnLayers()[l], r.mlpLayers()[l]);
                }
                out.printf(Locale.ROOT, "  %-6s %10.4f%n", "bias", r.bias());
                out.println("heads (rows: layers):");
                for (double[] row : r.heads()) {
                    StringBuilder sb = new StringBuilder("  ");
                    for (double v : row) {
                        sb.append(String.format(Locale.ROOT, " %8.4f", v));
                    }
                    out.println(sb);
                }
            }
            output.writeHeatmap(r.heads(), "direct logit attribution per head");
            out.flush();
        }
        return 0;
    }
}
