package io.circuitscope.circuits.cli;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.io.ModelLoader;
import io.circuitscope.core.io.hub.HubCache;
import io.circuitscope.core.io.hub.HubEnvironment;
import io.circuitscope.core.io.hub.HubId;
import io.circuitscope.core.io.hub.ModelResolver;
import io.circuitscope.core.planted.PlantedModels;
import picocli.CommandLine.Option;

/** {@code --model} (a directory, a llama2.c file or a hub id) and {@code --quiet}, shared by the commands. */
final class ModelOptions {
    /** Where hub settings come from; tests replace it to point at a local server and a temporary cache. */
    static java.util.function.Supplier<HubEnvironment> environment = HubEnvironment::system;

    /** The command this mixin is part of: load notes go to its error stream. */
    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "MODEL",
            description = "Model directory (config.json + safetensors), llama2.c .bin file, Hugging Face hub id"
                    + " ORG/NAME[@revision] (taken from the HF cache, downloaded when missing), or an embedded"
                    + " planted-circuit model planted:ioi|induction|greater-than.")
    String model;

    @Option(names = "--quiet", description = "No download progress bar.")
    boolean quiet;

    @Option(names = "--no-bos", description = NO_BOS)
    boolean noBos;

    static final String NO_BOS = "Do not begin text prompts with the model's BOS token (by default they do, as in "
            + "TransformerLens and EAP-IG; prompts given as ids are used as given).";

    LoadedModel load() {
        return load(model, quiet, !noBos, spec.commandLine().getErr());
    }

    /**
     * Loads a directory, llama2.c file, hub id or embedded planted model with the current hub settings; with
     * {@code bos} false its tokenizer begins no prompt with the BOS token; its load notes go to {@code err}.
     */
    static LoadedModel load(String model, boolean quiet, boolean bos, java.io.PrintWriter err) {
        if (PlantedModels.isPlanted(model)) {
            return new LoadedModel(PlantedModels.byArgument(model).build(), null, java.nio.file.Path.of(model), "gpt2");
        }
        HubEnvironment env = environment.get();
        if (quiet) {
            env = env.quiet();
        }
        LoadedModel loaded = warned(ModelLoader.load(model, new ModelResolver(env)), err);
        return bos ? loaded : loaded.withoutBos();
    }

    /**
     * The model, its load notes (config settings without effect) printed first as warnings to {@code err}, the
     * command's error stream (not System.err, which a caller embedding the command line cannot capture).
     */
    static LoadedModel warned(LoadedModel loaded, java.io.PrintWriter err) {
        for (String note : loaded.notes()) {
            err.println("warning: " + note);
        }
        err.flush();
        return loaded;
    }

    /**
     * A batch plan's model: a planted model, an absolute path (the plan resolved its paths against its folder) or a
     * hub id, which is never taken for a file of that name in the working directory.
     */
    static LoadedModel loadFromPlan(String model, boolean quiet, java.io.PrintWriter err) {
        if (PlantedModels.isPlanted(model) || java.nio.file.Path.of(model).isAbsolute()) {
            return load(model, quiet, true, err);
        }
        HubEnvironment env = quiet ? environment.get().quiet() : environment.get();
        return warned(ModelLoader.load(new ModelResolver(env).resolveHubId(model)), err);
    }

    /** The commit a hub id resolves to in the Hugging Face cache, read from it alone; null when not cached. */
    static String cachedCommit(String model) {
        try {
            return HubId.parse(model).flatMap(id -> new HubCache(environment.get().cacheDir()).commit(id)).orElse(null);
        } catch (CheckpointException e) {
            return null; // an unreadable ref: loading the model says what is wrong
        }
    }
}
