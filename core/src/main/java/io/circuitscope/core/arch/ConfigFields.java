package io.circuitscope.core.arch;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.model.Activation;
import io.circuitscope.core.model.ModelConfig;

/** Config reading the adapters share, so every error names config.json and the field as the file spells it. */
final class ConfigFields {
    private ConfigFields() {
    }

    /** The activation named by {@code field}, or {@code fallback} when the field is absent. */
    static Activation activation(ConfigReader c, String field, String fallback) {
        String name = c.optString(field, fallback);
        try {
            return Activation.fromHuggingFace(name, field);
        } catch (IllegalArgumentException e) {
            throw c.error(field, "is '" + name + "', which circuitscope does not support (supported: "
                    + Activation.HUGGING_FACE_NAMES + ")");
        }
    }

    /**
     * The built config. Adapters check each field first; this only keeps a check they missed from
     * surfacing as a bare IllegalArgumentException without the file.
     */
    static ModelConfig build(ConfigReader c, ModelConfig.Builder builder) {
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(c.file() + ": " + e.getMessage(), e);
        }
    }
}
