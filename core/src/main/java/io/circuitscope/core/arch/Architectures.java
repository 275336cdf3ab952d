package io.circuitscope.core.arch;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The registry of supported families, keyed by config.json's model_type. */
public final class Architectures {
    private static final Map<String, ArchitectureAdapter> BY_TYPE = new LinkedHashMap<>();

    static {
        for (ArchitectureAdapter adapter : List.<ArchitectureAdapter>of(new Gpt2Adapter(),
                new LlamaFamilyAdapter(), new GptNeoxAdapter())) {
            for (String type : adapter.modelTypes()) {
                BY_TYPE.put(type, adapter);
            }
        }
    }

    private Architectures() {
    }

    public static ArchitectureAdapter forConfig(ConfigReader config) {
        String type = config.requireString("model_type");
        ArchitectureAdapter adapter = BY_TYPE.get(type);
        if (adapter == null) {
            throw new CheckpointException(config.file() + ": field 'model_type' is '" + type
                    + "', which circuitscope does not support (supported: " + String.join(", ", supportedModelTypes()) + ")");
        }
        return adapter;
    }

    public static java.util.Set<String> supportedModelTypes() {
        return java.util.Collections.unmodifiableSet(BY_TYPE.keySet());
    }
}
