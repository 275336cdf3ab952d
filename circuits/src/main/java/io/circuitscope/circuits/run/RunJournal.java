package io.circuitscope.circuits.run;

import io.circuitscope.discovery.AcdcJournal;
import io.circuitscope.discovery.AcdcState;
import io.circuitscope.discovery.EffectsJournal;

/** Where a run keeps its progress: ACDC's state and exhaustive patching's effects ({@link ProgressFile}). */
public interface RunJournal extends AcdcJournal, EffectsJournal {
    /** Keeps nothing: every run starts from the beginning ({@link AcdcJournal#NONE} and {@link EffectsJournal#NONE}). */
    static RunJournal none() {
        return of(AcdcJournal.NONE, EffectsJournal.NONE);
    }

    /** The two journals as one: ACDC's calls go to {@code acdc}, exhaustive patching's to {@code effects}. */
    static RunJournal of(AcdcJournal acdc, EffectsJournal effects) {
        return new RunJournal() {
            @Override
            public AcdcState resume(boolean[] candidates) {
                return acdc.resume(candidates);
            }

            @Override
            public void record(AcdcState state) {
                acdc.record(state);
            }

            @Override
            public boolean due() {
                return acdc.due();
            }

            @Override
            public double[] resume(int edges) {
                return effects.resume(edges);
            }

            @Override
            public void record(double[] known) {
                effects.record(known);
            }
        };
    }
}
