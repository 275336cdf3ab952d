package io.circuitscope.core.io;

import io.circuitscope.core.io.hub.HubCache;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.tokenize.HfTokenizer;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A model with its tokenizer (when the checkpoint has one) and where it came from. {@code notes} are the loader's
 * warnings about the config, one line each (settings accepted but without effect, as in Hugging Face; see
 * {@link io.circuitscope.core.arch.ArchitectureAdapter#notes}); callers show them to the user.
 */
public record LoadedModel(HookedTransformer model, TextTokenizer tokenizer, Path source, String modelType,
        List<String> notes) implements AutoCloseable {

    public LoadedModel {
        notes = List.copyOf(notes);
    }

    /** A model without notes. */
    public LoadedModel(HookedTransformer model, TextTokenizer tokenizer, Path source, String modelType) {
        this(model, tokenizer, source, modelType, List.of());
    }

    public Optional<TextTokenizer> optTokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /** The tokenizer, or a clear error when the checkpoint has none. */
    public TextTokenizer requireTokenizer() {
        return requireTokenizer("pass token ids instead");
    }

    /** As above; {@code remedy} says what the user can do instead, for the command at hand. */
    public TextTokenizer requireTokenizer(String remedy) {
        if (tokenizer == null) {
            throw new CheckpointException(source + ": no tokenizer.json next to the model"
                    + HubCache.missingFileHint(source, "tokenizer.json").map(h -> " (" + h + ")").orElse("")
                    + "; " + remedy);
        }
        return tokenizer;
    }

    /** This model with a tokenizer that begins no prompt with the BOS token; close only the one returned. */
    public LoadedModel withoutBos() {
        return tokenizer instanceof HfTokenizer hf
                ? new LoadedModel(model, hf.withBos(java.util.OptionalInt.empty()), source, modelType, notes) : this;
    }

    @Override
    public void close() {
        model.close();
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
