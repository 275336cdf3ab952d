package io.circuitscope.circuits.run;

import io.circuitscope.discovery.SettingNames;

/** How each caller of a discovery names its settings, for discovery's messages ({@link SettingNames}). */
public final class CallerNames {
    private CallerNames() {
    }

    /** discover's options: "--tau", "--ig-steps". */
    public static SettingNames flags() {
        return setting -> "--" + setting.replace('_', '-');
    }

    /** A batch plan's fields, as circuit.json's method block names them too: "tau", "ig_steps". */
    public static SettingNames planKeys() {
        return setting -> setting;
    }
}
