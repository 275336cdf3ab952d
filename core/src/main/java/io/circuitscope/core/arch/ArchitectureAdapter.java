package io.circuitscope.core.arch;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.io.TensorSource;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import java.util.List;
import java.util.Set;

/**
 * Maps one family's Hugging Face files onto circuitscope's canonical config and weight layout.
 * The forward pass itself is shared; an adapter only translates names, shapes and settings.
 */
public interface ArchitectureAdapter {
    /** The config.json {@code model_type} values this adapter reads. */
    Set<String> modelTypes();

    ModelConfig config(ConfigReader config);

    /** Loads every tensor into {@code manager}, checking each shape against {@code config}. */
    ModelWeights weights(ModelConfig config, ConfigReader rawConfig, TensorSource source, NDManager manager);

    /**
     * Whether a checkpoint may carry {@code tensor} without {@link #weights} reading it: buffers the
     * family's files hold that are not weights (attention masks, rotary caches). Any other unread
     * tensor means config and checkpoint disagree, and loading is refused.
     */
    default boolean ignorable(String tensor, ModelConfig config) {
        return false;
    }

    /**
     * Warnings for the user about a config {@link #config} accepted: settings it holds that have no effect,
     * because Hugging Face's model class ignores them too. One line each, naming the file and the field; the
     * loader hands them on with the model ({@link io.circuitscope.core.io.LoadedModel#notes}). None by default.
     */
    default List<String> notes(ConfigReader config) {
        return List.of();
    }
}
