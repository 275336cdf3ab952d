package io.circuitscope.core.io;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.arch.ArchitectureAdapter;
import io.circuitscope.core.arch.Architectures;
import io.circuitscope.core.io.hub.ModelResolver;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.ModelWeights;
import io.circuitscope.core.tokenize.BosToken;
import io.circuitscope.core.tokenize.HfTokenizer;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads a Hugging Face model directory (config.json, (sharded) safetensors, optional tokenizer.json)
 * or a llama2.c {@code .bin} checkpoint file; {@link #load(String)} also takes Hugging Face hub ids.
 * The memory the model needs is checked ({@link MemoryCheck}) before any weight is read. The adapter's warnings
 * about the config travel with the model ({@link LoadedModel#notes}); the loader prints nothing.
 */
public final class ModelLoader {
    private ModelLoader() {
    }

    /**
     * A local path or a hub id ({@code ORG/NAME[@revision]}), resolved through the Hugging Face cache
     * (downloading when needed) with the process environment.
     */
    public static LoadedModel load(String model) {
        return load(model, ModelResolver.system());
    }

    public static LoadedModel load(String model, ModelResolver resolver) {
        return load(resolver.resolve(model));
    }

    public static LoadedModel load(Path location) {
        if (!Files.exists(location)) {
            throw new CheckpointException(location + ": no such model directory or file");
        }
        if (!Files.isDirectory(location)) {
            if (location.getFileName().toString().endsWith(".bin")) {
                return loadLlama2c(location);
            }
            throw new CheckpointException(location + ": expected a Hugging Face model directory (config.json + "
                    + "model.safetensors) or a llama2.c .bin checkpoint");
        }
        ConfigReader rawConfig = ConfigReader.read(location.resolve("config.json"));
        ArchitectureAdapter adapter = Architectures.forConfig(rawConfig);
        ModelConfig config = adapter.config(rawConfig);
        try (TensorSource source = openTensors(location)) {
            MemoryCheck.check(location, config, source);
            return loadWeights(location, rawConfig, adapter, config, source);
        }
    }

    private static LoadedModel loadWeights(Path location, ConfigReader rawConfig, ArchitectureAdapter adapter,
            ModelConfig config, TensorSource source) {
        NDManager manager = DjlRuntime.newManager();
        try {
            ModelWeights weights = readWeights(adapter, config, rawConfig, source, manager);
            HookedTransformer model = new HookedTransformer(config, weights);
            Path tokenizerFile = location.resolve("tokenizer.json");
            TextTokenizer tokenizer = Files.isRegularFile(tokenizerFile) ? withBos(HfTokenizer.load(tokenizerFile, false),
                    location, rawConfig, config.vocabSize()) : null;
            return new LoadedModel(model, tokenizer, location, rawConfig.requireString("model_type"),
                    adapter.notes(rawConfig));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The tokenizer with the token prompts begin with ({@link BosToken}). A BOS setting that cannot be read is
     * reported when a text prompt needs it, not here: token ids and --no-bos must still work with such a model.
     */
    private static HfTokenizer withBos(HfTokenizer tokenizer, Path location, ConfigReader rawConfig, int vocabSize) {
        try {
            return tokenizer.withBos(BosToken.find(location, rawConfig, tokenizer, vocabSize));
        } catch (CheckpointException e) {
            return tokenizer.withBosProblem(e);
        }
    }

    /**
     * The adapter's weights, refusing a checkpoint that holds weights the config does not account for:
     * reading it anyway would silently run a different model than the file holds.
     */
    private static ModelWeights readWeights(ArchitectureAdapter adapter, ModelConfig config, ConfigReader rawConfig,
            TensorSource source, NDManager manager) {
        UsageTrackingSource tracked = new UsageTrackingSource(source);
        ModelWeights weights = adapter.weights(config, rawConfig, tracked, manager);
        List<String> unused = tracked.unused(name -> adapter.ignorable(name, config));
        if (!unused.isEmpty()) {
            List<String> examples = unused.subList(0, Math.min(5, unused.size()));
            throw new CheckpointException(source.describe() + ": " + unused.size() + " weight tensor"
                    + (unused.size() == 1 ? "" : "s") + " that " + rawConfig.file().getFileName()
                    + " does not account for, e.g. '" + String.join("', '", examples) + "'; the config describes "
                    + "a different model than the checkpoint holds (compare its layer count, bias and tying "
                    + "settings with the file)");
        }
        return weights;
    }

    /** A llama2.c checkpoint, loaded through the Llama adapter with consecutive-pair rotary. */
    private static LoadedModel loadLlama2c(Path file) {
        try (Llama2cCheckpoint checkpoint = Llama2cCheckpoint.open(file)) {
            ConfigReader rawConfig = checkpoint.config();
            ArchitectureAdapter adapter = Architectures.forConfig(rawConfig);
            ModelConfig config = adapter.config(rawConfig);
            MemoryCheck.check(file, config, checkpoint);
            NDManager manager = DjlRuntime.newManager();
            try {
                ModelWeights weights = readWeights(adapter, config, rawConfig, checkpoint, manager);
                return new LoadedModel(new HookedTransformer(config, weights), null, file,
                        rawConfig.requireString("model_type"), adapter.notes(rawConfig));
            } catch (RuntimeException e) {
                manager.close();
                throw e;
            }
        }
    }

    /** The directory's tensors: a single model.safetensors or the shards of model.safetensors.index.json. */
    public static TensorSource openTensors(Path directory) {
        Path single = directory.resolve("model.safetensors");
        Path index = directory.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.open(single);
        }
        if (Files.isRegularFile(index)) {
            return ShardedSafetensors.open(index);
        }
        // a folder saved with PyTorch weights only was refused without saying why its weights were not found
        boolean pytorch = Files.isRegularFile(directory.resolve("pytorch_model.bin"))
                || Files.isRegularFile(directory.resolve("pytorch_model.bin.index.json"));
        throw new CheckpointException(directory + ": neither model.safetensors nor model.safetensors.index.json found"
                + (pytorch ? "; its pytorch_model.bin is PyTorch's own format, which circuitscope does not read (it reads "
                + "safetensors only): convert it with safetensors' convert script" : ""));
    }
}
