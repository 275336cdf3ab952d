package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.tokenize.TextTokenizer;
import io.circuitscope.discovery.analysis.LogitLens;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The logit lens at the task's targets. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = "Logit lens: top tokens and the correct token's rank after the embedding and every layer.")
final class LensCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--task", description = "Task JSONL (planted models bring their own task when omitted).")
    Path task;

    @Option(names = "--top-k", defaultValue = "5", description = "Top tokens per target (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--json", description = "Print JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (topK <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--top-k must be positive, got " + topK);
        }
        AnalysisSupport.requireTask(task, modelOptions.model, spec, "lens");
        try (LoadedModel loaded = modelOptions.load()) {
            List<LogitLens.Layer> layers = LogitLens.run(loaded.model(),
                    AnalysisSupport.task(task, modelOptions.model, loaded), topK);
            TextTokenizer tok = loaded.tokenizer();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectNode root = AnalysisSupport.JSON.createObjectNode();
                ArrayNode arr = root.putArray("layers");
                for (LogitLens.Layer l : layers) {
                    ObjectNode o = arr.addObject();
                    o.put("layer", l.name());
                    o.put("mean_rank", l.meanRank());
                    o.put("mean_logprob", l.meanLogProb());
                    ArrayNode ts = o.putArray("targets");
                    for (LogitLens.TargetView t : l.targets()) {
                        ObjectNode tn = ts.addObject();
                        tn.put("example", t.example());
                        tn.put("position", t.position());
                        TaskFile.putAnswer(tn, "correct", java.util.Arrays.stream(t.correctIds()).boxed().toList());
                        tn.put("rank", t.rank());
                        tn.put("logprob", t.logProb());
                        ArrayNode top = tn.putArray("top");
                        for (int i = 0; i < t.topIds().length; i++) {
                            ObjectNode x = top.addObject();
                            x.put("id", t.topIds()[i]);
                            if (tok != null) {
                                x.put("token", tok.token(t.topIds()[i]));
                            }
                            x.put("prob", t.topProbs()[i]);
                        }
                    }
                }
                out.println(AnalysisSupport.JSON.writeValueAsString(root));
            } else {
                out.printf(Locale.ROOT, "  %-6s %10s %12s   top tokens of the first target%n", "layer", "mean rank", "mean logp");
                for (LogitLens.Layer l : layers) {
                    LogitLens.TargetView t = l.targets().get(0);
                    StringBuilder top = new StringBuilder();
                    for (int i = 0; i < t.topIds().length; i++) {
                        top.append(i == 0 ? "" : ", ").append(tok == null ? String.valueOf(t.topIds()[i])
                                : "'" + tok.token(t.topIds()[i]).replace("\n", "\\n") + "'")
                                .append(String.format(Locale.ROOT, " %.2f", t.topProbs()[i]));
                    }
                    out.printf(Locale.ROOT, "  %-6s %10.1f %12.3f   %s%n", l.name(), l.meanRank(), l.meanLogProb(), top);
                }
            }
            out.flush();
        }
        return 0;
    }
}
