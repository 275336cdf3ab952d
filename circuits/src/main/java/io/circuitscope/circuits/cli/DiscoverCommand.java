package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.run.DiscoverySettings;
import io.circuitscope.circuits.run.Methods;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Finds a circuit for a task and writes DIR/circuit.json. */
@Command(name = "discover", mixinStandardHelpOptions = true,
        description = "Find the circuit that carries a task's behaviour and write DIR/circuit.json.")
final class DiscoverCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "Model directory, llama2.c .bin file, or Hugging Face hub id.")
    String model;

    @Option(names = "--task", required = true, paramLabel = "T.jsonl", description = "Task file (JSON Lines).")
    Path taskFile;

    @Option(names = "--method", defaultValue = "pipeline",
            description = "acdc, eap, eap-ig, atp-star, relp, exact or pipeline (default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = "--scorer", defaultValue = "eap-ig", description = "Scorer of the pipeline (default: ${DEFAULT-VALUE}).")
    String scorer;

    @Option(names = "--candidates", defaultValue = "200",
            description = "Edges the pipeline verifies: a count, '>=SCORE' or 'all' (default: ${DEFAULT-VALUE}).")
    String candidates;

    @Option(names = "--tau", defaultValue = "0.01", description = "ACDC threshold (default: ${DEFAULT-VALUE}).")
    double tau;

    @Option(names = "--metric", defaultValue = "kl",
            description = "kl, logit-diff, logprob, prob, prob-diff (default: ${DEFAULT-VALUE}).")
    String metric;

    @Option(names = "--ablation", defaultValue = "resample", description = "resample, mean or zero (default: ${DEFAULT-VALUE}).")
    String ablation;

    @Option(names = "--ig-steps", defaultValue = "5", description = "EAP-IG steps (default: ${DEFAULT-VALUE}).")
    int igSteps;

    @Option(names = "--edges", defaultValue = "100",
            description = "Edges kept by scorer-only methods before pruning (default: ${DEFAULT-VALUE}).")
    int edges;

    @Option(names = "--batch-size", defaultValue = "16", description = "Examples per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--seed", defaultValue = "0", description = "Seed recorded with the run (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--align", description = "Left-pad clean/corrupted prompts of different token lengths.")
    boolean align;

    @Option(names = "--out", paramLabel = "DIR", description = "Output folder (default: runs/discover-TIMESTAMP).")
    Path out;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!Methods.methodKeys().contains(method)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--method must be one of "
                    + String.join(", ", Methods.methodKeys()) + ", got '" + method + "'");
        }
        if (igSteps < 1 || batchSize < 1 || edges < 0 || !(tau >= 0)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--ig-steps and --batch-size must be positive, --edges and --tau non-negative");
        }
        DiscoverySettings settings = new DiscoverySettings(method, scorer, candidates, tau, metric,
                Ablation.parse(ablation), igSteps, edges, batchSize, seed);
        Path dir = out != null ? out
                : Path.of("runs", "discover-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        PrintWriter stdout = spec.commandLine().getOut();
        try (LoadedModel loaded = ModelOptions.load(model, quiet)) {
            Task task = TaskFile.read(taskFile, loaded.tokenizer(), align);
            CircuitDocument doc = io.circuitscope.circuits.run.DiscoveryRun.run(loaded.model(), model, task, settings,
                    new ProgressBar(spec.commandLine().getErr(), quiet));
            Path file = dir.resolve("circuit.json");
            CircuitJson.write(file, doc);
            printSummary(stdout, doc, file);
        }
        return 0;
    }

    static void printSummary(PrintWriter out, CircuitDocument doc, Path file) {
        Map<String, Object> s = doc.summary();
        out.printf("circuitscope discover: %s on %s, task %s (%s examples)%n", doc.method().get("key"),
                doc.model().get("name"), doc.task().get("name"), doc.task().get("examples"));
        out.printf("  circuit: %s of %s edges, %s nodes%n", s.get("edges_in_graph"), s.get("edges_total"),
                s.get("nodes_in_graph"));
        out.printf("  metric %s: clean %.4f, corrupted %.4f, circuit %.4f -> faithfulness %.3f%n", s.get("metric"),
                (Double) s.get("clean"), (Double) s.get("corrupted"), (Double) s.get("circuit"),
                (Double) s.get("faithfulness"));
        out.printf("  cost: %s forward passes, %.1f s%n", s.get("forward_passes"), (Double) s.get("seconds"));
        out.printf("  wrote %s%n", file);
        out.flush();
    }
}
