package io.circuitscope.circuits.cli;

import io.circuitscope.circuits.run.ProgressFile;
import io.circuitscope.circuits.run.RunJournal;
import io.circuitscope.discovery.AcdcState;

/**
 * A run's progress file that stops the run right after its {@code stopAfter}-th record (ACDC's states and exhaustive
 * patching's layers alike), as a kill right after the file was written would: what discover's and a batch's resume
 * tests interrupt runs with.
 */
public final class StoppingJournal implements RunJournal {
    private final ProgressFile file;
    private final int stopAfter;
    private int records;

    public StoppingJournal(ProgressFile file, int stopAfter) {
        this.file = file;
        this.stopAfter = stopAfter;
    }

    @Override
    public AcdcState resume(boolean[] candidates) {
        return file.resume(candidates);
    }

    @Override
    public void record(AcdcState state) {
        file.record(state);
        stopWhenDue();
    }

    @Override
    public boolean due() {
        return file.due();
    }

    @Override
    public double[] resume(int edges) {
        return file.resume(edges);
    }

    @Override
    public void record(double[] effects) {
        file.record(effects);
        stopWhenDue();
    }

    private void stopWhenDue() {
        if (++records == stopAfter) {
            throw new IllegalStateException("stopped on purpose after " + stopAfter + " records");
        }
    }
}
