package io.circuitscope.core;

import ai.djl.ndarray.NDManager;

/**
 * The one place that starts DJL. The PyTorch native library ships in the pytorch-native-cpu jar,
 * so DJL must never try to download anything: offline mode is forced before the engine loads.
 */
public final class DjlRuntime {
    static {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // DJL logs every engine start at INFO; researchers want their own output.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    private DjlRuntime() {
    }

    /** A new root manager; close it to free everything created under it. */
    public static NDManager newManager() {
        return NDManager.newBaseManager();
    }
}
