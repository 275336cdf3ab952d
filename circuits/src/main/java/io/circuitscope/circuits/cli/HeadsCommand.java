package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.generate.TranslationGenerator;
import io.circuitscope.discovery.analysis.HeadScores;
import io.circuitscope.discovery.analysis.TranslationScore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Attention-pattern head scores. */
@Command(name = "heads", mixinStandardHelpOptions = true,
        description = "Score every head from its attention patterns: induction, previous-token, duplicate-token, "
                + "translation (the built-in aligned sentence pairs; no task needed).")
final class HeadsCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @Option(names = "--task", description = "Task JSONL (its clean prompts are scored; translation takes none; "
            + "planted models bring their own task when omitted).")
    Path task;

    @Option(names = "--score", required = true, description = "induction | previous-token | duplicate-token | translation")
    String score;

    @Option(names = "--threshold", defaultValue = "0.075", description = "With --score translation only: minimum difference "
            + "(default ${DEFAULT-VALUE}, the seed's value for Qwen2.5-3B).")
    double threshold;

    @CommandLine.Mixin
    LayerHeadOutput output;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean translation = score.equalsIgnoreCase("translation");
        if (!Double.isFinite(threshold)) { // NaN selected no head and printed "heads above NaN: []"
            throw new CommandLine.ParameterException(spec.commandLine(), "--threshold must be a finite number, got "
                    + threshold);
        }
        // an option the score does not read is a usage error, as patch's modes refuse theirs, not silently dropped
        if (!translation && spec.commandLine().getParseResult().hasMatchedOption("--threshold")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threshold applies only to --score "
                    + "translation (it selects the heads above it); --score " + score + " prints every head's score");
        }
        if (translation && task != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--task does not apply to --score translation: "
                    + "it scores the built-in aligned sentence pairs, not a task's prompts");
        }
        output.checkPng(spec, task, modelOptions.model);
        HeadScores.Kind kind = null;
        if (!translation) {
            try {
                kind = HeadScores.Kind.byName(score);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            AnalysisSupport.requireTask(task, modelOptions.model, spec, "--score " + score);
        }
        try (LoadedModel loaded = modelOptions.load()) {
            double[][] values;
            TranslationScore.Result tr = null;
            if (translation) {
                tr = TranslationScore.compute(loaded.model(), loaded.requireTokenizer("the translation score "
                        + "tokenizes its word pairs; use a model with its tokenizer.json, or another --score"),
                        TranslationGenerator.PAIRS,
                        threshold);
                values = tr.difference();
            } else {
                values = HeadScores.compute(loaded.model(), AnalysisSupport.task(task, modelOptions.model, loaded), kind);
            }
            PrintWriter out = spec.commandLine().getOut();
            if (output.json) {
                ObjectNode root = AnalysisSupport.JSON.createObjectNode();
                root.put("score", score.toLowerCase(Locale.ROOT));
                ArrayNode heads = root.putArray("heads");
                for (int l = 0; l < values.length; l++) {
                    for (int h = 0; h < values[l].length; h++) {
                        ObjectNode o = heads.addObject();
                        o.put("head", "a" + l + ".h" + h);
                        o.put("layer", l);
                        o.put("index", h);
                        o.put("score", values[l][h]);
                        if (tr != null) {
                            o.put("translation", tr.translation()[l][h]);
                            o.put("random", tr.random()[l][h]);
                        }
                    }
                }
                if (tr != null) {
                    root.put("threshold", threshold);
                    ArrayNode sel = root.putArray("selected");
                    tr.selected().forEach(sel::add);
                }
                out.println(AnalysisSupport.JSON.writeValueAsString(root));
            } else {
                out.printf(Locale.ROOT, "%s score (rows: layers, columns: heads)%s%n", score,
                        tr == null ? "" : ", translation minus random pairs");
                for (int l = 0; l < values.length; l++) {
                    out.printf(Locale.ROOT, "  L%-3d", l);
                    for (double v : values[l]) {
                        out.printf(Locale.ROOT, " %7.3f", v);
                    }
                    out.println();
                }
                if (tr != null) {
                    out.println("heads above " + threshold + ": " + tr.selected());
                }
            }
            output.writeHeatmap(values, score + " score per head");
            out.flush();
        }
        return 0;
    }
}
