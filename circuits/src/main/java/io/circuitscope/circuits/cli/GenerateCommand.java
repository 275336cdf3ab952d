package io.circuitscope.circuits.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.model.GreedyDecoder;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Greedy decoding from a prompt: the ids (and text, with a tokenizer) of the continuation. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Greedy decoding: append the most likely next token, up to --max-new times.")
final class GenerateCommand implements Callable<Integer> {
    @CommandLine.Mixin
    ModelOptions modelOptions;

    @CommandLine.ArgGroup(exclusive = true, multiplicity = "1")
    LogitsCommand.Prompt prompt;

    @Option(names = "--max-new", required = true, paramLabel = "N", description = "Number of tokens to generate.")
    int maxNew;

    @Option(names = "--json", description = "Print {\"tokens\": [prompt + new], \"new_tokens\": [...]} as JSON.")
    boolean json;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (maxNew <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-new must be positive, got " + maxNew);
        }
        try (LoadedModel loaded = modelOptions.load()) {
            int[] ids = prompt.ids(loaded, spec.commandLine());
            GreedyDecoder.Result result = GreedyDecoder.generate(loaded.model(), ids, maxNew);
            TextTokenizer tokenizer = loaded.tokenizer();
            PrintWriter out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper mapper = new ObjectMapper();
                ObjectNode root = mapper.createObjectNode();
                ArrayNode all = root.putArray("tokens");
                Arrays.stream(result.tokens()).forEach(all::add);
                ArrayNode fresh = root.putArray("new_tokens");
                Arrays.stream(result.newTokens()).forEach(fresh::add);
                if (tokenizer != null) {
                    root.put("text", tokenizer.decode(result.tokens()));
                }
                out.println(mapper.writeValueAsString(root));
            } else {
                out.println("prompt: " + join(ids));
                out.println("new:    " + join(result.newTokens()));
                if (tokenizer != null) {
                    out.println("text:   " + tokenizer.decode(result.tokens()));
                }
            }
            out.flush();
            if (result.stoppedAtContext()) {
                PrintWriter err = spec.commandLine().getErr();
                err.println("note: stopped after " + result.newTokens().length + " of " + maxNew
                        + " new tokens: the context window of " + loaded.model().config().contextLength()
                        + " tokens is full");
                err.flush();
            }
        }
        return 0;
    }

    private static String join(int[] ids) {
        return Arrays.stream(ids).mapToObj(String::valueOf).collect(Collectors.joining(" "));
    }
}
