package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.toy.ToyRun;
import io.circuitscope.circuits.toy.ToyTask;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Trains a toy model with a known circuit and writes it with its task and reference circuit. */
@Command(name = "train-toy", mixinStandardHelpOptions = true,
        description = {"Train a small GPT-2 on a synthetic task (induction or IOI-like) and write DIR as a Hugging "
                + "Face checkpoint (config.json, model.safetensors) with task.jsonl, training.json and "
                + "reference_circuit.json (exact patching of every edge, logit-diff, resample ablation; in_graph = "
                + "the smallest top k edges by |effect| whose faithfulness reaches 0.85)."})
final class TrainToyCommand implements Callable<Integer> {
    /** Deeper toys take minutes per layer to train and their reference circuit hours to patch on 2 cores. */
    static final int MAX_LAYERS = 12;

    @Option(names = "--task", required = true, description = "induction or ioi.")
    String task;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of weights, data and task (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output model directory.")
    Path out;

    @Option(names = "--steps", description = "Training steps (default: induction 4500, ioi 1500).")
    Integer steps;

    @Option(names = "--layers", description = "Transformer blocks (default: induction 2, ioi 3; induction at least 2); deeper models show "
            + "how the scorers' agreement with exact patching changes with depth.")
    Integer layers;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Trains a toy and writes it into a folder. */
    @FunctionalInterface
    interface Runner {
        void run(ToyTask kind, int layers, long seed, int steps, Path dir, String command, PrintWriter out,
                PrintWriter err) throws java.io.IOException;
    }

    /** {@link ToyRun#run}; a test puts in one that fails part way through writing. */
    static volatile Runner runner = ToyRun::run;

    @Override
    public Integer call() throws Exception {
        ToyTask kind;
        try {
            kind = ToyTask.parse(task);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--task " + e.getMessage());
        }
        int n = steps == null ? kind.defaultSteps() : steps;
        if (n < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--steps must be positive, got " + n);
        }
        int depth = layers == null ? kind.layers() : layers;
        if (depth < 1 || depth > MAX_LAYERS) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--layers must be 1 to " + MAX_LAYERS + ", got "
                    + depth);
        }
        if (depth < kind.minLayers()) { // else minutes of training and patching for a model that cannot have the circuit
            throw new CommandLine.ParameterException(spec.commandLine(), "--layers must be at least " + kind.minLayers()
                    + " for --task " + kind.key() + ", got " + depth + ": " + kind.whyMinLayers());
        }
        String command = "./circuitscope train-toy --task " + kind.key() + " --seed " + seed + " --out " + out
                + (steps == null ? "" : " --steps " + n) + (layers == null ? "" : " --layers " + depth);
        RunFolder folder = RunFolder.forTrainToy(spec, "--out", out); // before training, not after it
        PrintWriter stdout = spec.commandLine().getOut();
        // Written beside --out and moved into it when complete: a failed or killed run leaves no folder that looks
        // like a finished one (a checkpoint without its reference circuit), and an earlier run there stays whole
        // until this one is, never a mix of the two.
        Path staging = folder.staging(stdout);
        try {
            runner.run(kind, depth, seed, n, staging, command, stdout, spec.commandLine().getErr());
            folder.replaceWith(staging, stdout);
        } finally {
            RunFolder.deleteStaging(staging);
        }
        return 0;
    }
}
