package io.circuitscope.discovery;

import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.progress.Progress;

/**
 * The passes a task has run since a progress stage began, forward passes without gradients and gradient passes
 * apart ({@link TaskPatcher#forwardPasses}, {@link TaskPatcher#gradientPasses}), for {@link Progress#advance(long,
 * long, long)}.
 */
record StagePasses(TaskPatcher task, long forwardBefore, long gradientBefore) {
    /** Counting from now. */
    static StagePasses from(TaskPatcher task) {
        return new StagePasses(task, task.forwardPasses(), task.gradientPasses());
    }

    /** Reports {@code done} units of the stage and the passes spent in it so far. */
    void advance(Progress progress, long done) {
        progress.advance(done, task.forwardPasses() - forwardBefore, task.gradientPasses() - gradientBefore);
    }
}
