package io.circuitscope.circuits.run;

import io.circuitscope.discovery.AcdcJournal;
import io.circuitscope.discovery.AcdcState;
import io.circuitscope.discovery.EffectsJournal;

/** Where a run keeps its progress: ACDC's state and exhaustive patching's effects ({@link ProgressFile}). */
public interface RunJournal extends AcdcJournal, EffectsJournal {
    /** Keeps nothing: every run starts from the beginning. */
    static RunJournal none() {
        return new RunJournal() {
            @Override
            public AcdcState resume(boolean[] candidates) {
                return null;
            }

            @Override
            public void record(AcdcState state) {
            }

            @Override
            public boolean due() {
                return false;
            }

            @Override
            public double[] resume(int edges) {
                return null;
            }

            @Override
            public void record(double[] effects) {
            }
        };
    }
}
