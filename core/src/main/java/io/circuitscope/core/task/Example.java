package io.circuitscope.core.task;

import java.util.List;

/** One clean prompt, its corrupted twin (same length) and what the clean prompt should predict. */
public record Example(int[] clean, int[] corrupt, List<Target> targets) {
    public Example {
        clean = clean.clone();
        corrupt = corrupt.clone();
        targets = List.copyOf(targets);
        if (clean.length == 0) {
            throw new IllegalArgumentException("empty clean prompt");
        }
        if (clean.length != corrupt.length) {
            throw new IllegalArgumentException("clean prompt has " + clean.length + " tokens but the corrupted one has "
                    + corrupt.length);
        }
        if (targets.isEmpty()) {
            throw new IllegalArgumentException("an example needs at least one target");
        }
        for (Target t : targets) {
            t.resolvedPosition(clean.length);
        }
    }

    @Override
    public int[] clean() {
        return clean.clone();
    }

    @Override
    public int[] corrupt() {
        return corrupt.clone();
    }

    public int length() {
        return clean.length;
    }
}
