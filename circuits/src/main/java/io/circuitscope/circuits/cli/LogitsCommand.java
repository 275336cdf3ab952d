package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Prints a model's logits for a prompt: JSON for machines, a top-k table for people. */
@Command(name = "logits", mixinStandardHelpOptions = true,
        description = "Print the logits of a model for a prompt (last position, or every position).")
final class LogitsCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    Prompt prompt;

    static final class Prompt {
        @Option(names = "--tokens", split = ",", description = "Token ids, comma separated (e.g. 1,15,27).")
        int[] tokens;

        @Option(names = "--text", description = "Text, tokenized with the model's tokenizer.json.")
        String text;

        /**
         * The prompt's ids: {@code --tokens} as given, checked against the model's vocabulary here so that the error
         * names the option (the forward pass would only name a row and position), or {@code --text} encoded.
         */
        int[] ids(LoadedModel loaded, CommandLine commandLine) {
            int[] ids = tokens != null ? tokens : loaded.requireTokenizer().encodePrompt(text);
            if (ids.length == 0) {
                throw new CommandLine.ParameterException(commandLine, "the prompt has no tokens");
            }
            int vocab = loaded.model().config().vocabSize();
            for (int i = 0; tokens != null && i < tokens.length; i++) {
                if (tokens[i] < 0 || tokens[i] >= vocab) {
                    throw new CommandLine.ParameterException(commandLine, "--tokens: id " + tokens[i] + " (number "
                            + (i + 1) + " of " + tokens.length + ") is outside the model's vocabulary [0, " + vocab + ")");
                }
            }
            return ids;
        }
    }

    @Option(names = "--all-positions", description = "Logits at every position instead of the last one.")
    boolean allPositions;

    @Option(names = "--json", description = "Print {\"tokens\": [...], \"logits\": [...]} as JSON.")
    boolean json;

    @Option(names = "--top-k", defaultValue = "10", description = "Rows of the table (default: ${DEFAULT-VALUE}).")
    int topK;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (topK <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--top-k must be positive, got " + topK);
        }
        try (LoadedModel loaded = modelOptions.load()) {
            int[] ids = prompt.ids(loaded, spec.commandLine());
            float[][] logits = loaded.model().logits(ids);
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(toJson(ids, logits));
            } else {
                printTable(out, ids, logits, loaded.tokenizer());
            }
            out.flush();
        }
        return 0;
    }

    private String toJson(int[] ids, float[][] logits) throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = mapper.createObjectNode();
        ArrayNode tokenArray = root.putArray("tokens");
        Arrays.stream(ids).forEach(tokenArray::add);
        ArrayNode values = root.putArray("logits");
        if (allPositions) {
            for (float[] row : logits) {
                ArrayNode r = values.addArray();
                for (float v : row) {
                    r.add(v);
                }
            }
        } else {
            for (float v : logits[logits.length - 1]) {
                values.add(v);
            }
        }
        return mapper.writeValueAsString(root);
    }

    private void printTable(PrintWriter out, int[] ids, float[][] logits, TextTokenizer tokenizer) {
        int first = allPositions ? 0 : logits.length - 1;
        for (int p = first; p < logits.length; p++) {
            out.printf(Locale.ROOT, "position %d (input token %s):%n", p, describe(ids[p], tokenizer));
            double[] probs = softmax(logits[p]);
            Integer[] order = new Integer[probs.length];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            float[] row = logits[p];
            Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -row[i]));
            out.printf(Locale.ROOT, "  %4s  %7s  %-20s %10s %9s%n", "rank", "id", "token", "logit", "prob");
            for (int r = 0; r < Math.min(topK, order.length); r++) {
                int id = order[r];
                out.printf(Locale.ROOT, "  %4d  %7d  %-20s %10.4f %8.2f%%%n", r + 1, id, describe(id, tokenizer), row[id],
                        100 * probs[id]);
            }
        }
    }

    private static String describe(int id, TextTokenizer tokenizer) {
        if (tokenizer == null) {
            return String.valueOf(id);
        }
        return "'" + tokenizer.token(id).replace("\n", "\\n") + "'";
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }
}
