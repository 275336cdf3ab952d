package io.circuitscope.circuits.cli;

import io.circuitscope.core.task.MeanAblationGroups;
import io.circuitscope.core.task.Task;
import picocli.CommandLine;

/**
 * Mean ablation's groups checked once the task is read and before any pass: an example alone at its prompt
 * length is a usage error (it would be patched with its own activations), a small group a note on stderr.
 */
final class MeanAblationCheck {
    private MeanAblationCheck() {
    }

    /** {@code option} is the option that chose mean ablation ("--corruption" or "--ablation"). */
    static void check(CommandLine.Model.CommandSpec spec, Task task, String option) {
        MeanAblationGroups groups = MeanAblationGroups.of(task);
        try {
            groups.requireNoSingletons(option);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        groups.smallGroupNotes(option).forEach(spec.commandLine().getErr()::println);
        spec.commandLine().getErr().flush();
    }
}
