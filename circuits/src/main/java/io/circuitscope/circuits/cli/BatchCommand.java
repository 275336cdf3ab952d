package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.batch.BatchPlan;
import io.circuitscope.circuits.batch.BatchRunner;
import io.circuitscope.core.progress.Progress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Runs every discovery a plan names, each in its own folder; resumable after any interruption. */
@Command(name = "batch", mixinStandardHelpOptions = true,
        description = "Run a batch plan (JSON or YAML): models x tasks x methods x settings x seeds, resumable.")
final class BatchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "PLAN", description = "plan.json or plan.yaml")
    Path plan;

    @Option(names = "--quiet", description = "No progress bars.")
    boolean quiet;

    @Option(names = "--rerun-changed", description = "Rerun finished runs whose recorded settings, model, task file, "
            + "reference, align or bos differ (a model's files by their SHA-256) from what the plan now asks, keeping their earlier results in "
            + "OUT/superseded/ (without it such a plan is refused).")
    boolean rerunChanged;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        BatchPlan p = BatchPlan.read(plan);
        BatchRunner runner = new BatchRunner(model -> ModelOptions.loadFromPlan(model, quiet, spec.commandLine().getErr()), ModelOptions::cachedCommit,
                spec.commandLine().getOut(),
                id -> quiet ? Progress.NONE : new ProgressBar(spec.commandLine().getErr(), false), rerunChanged);
        BatchRunner.Outcome outcome = runner.run(p);
        return outcome.failed() == 0 ? 0 : 1;
    }
}
