package io.circuitscope.core.tokenize;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.DjlRuntime;
import io.circuitscope.core.io.CheckpointException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/** A Hugging Face {@code tokenizer.json} read by DJL's bindings to the tokenizers library. */
public final class HfTokenizer implements TextTokenizer {
    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final OptionalInt unknownId;
    private final OptionalInt bos;
    /** Why the model's BOS token could not be read, reported when a prompt needs it (null: no problem). */
    private final RuntimeException bosProblem;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Path file, OptionalInt unknownId, OptionalInt bos,
            RuntimeException bosProblem) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.unknownId = unknownId;
        this.bos = bos;
        this.bosProblem = bosProblem;
    }

    /**
     * This tokenizer with {@code bos} as the token prompts begin with (empty: none). It takes over the native
     * tokenizer: close only the one returned.
     */
    public HfTokenizer withBos(OptionalInt bos) {
        return new HfTokenizer(tokenizer, file, unknownId, bos, null);
    }

    /**
     * This tokenizer with a BOS token that could not be read: {@link #bos} (and so every text prompt) reports
     * {@code problem}, while token ids, answers and {@code --no-bos} ({@code withBos(empty)}) still work.
     */
    public HfTokenizer withBosProblem(RuntimeException problem) {
        return new HfTokenizer(tokenizer, file, unknownId, OptionalInt.empty(), problem);
    }

    @Override
    public OptionalInt bos() {
        if (bosProblem != null) {
            throw bosProblem;
        }
        return bos;
    }

    /** Loads {@code tokenizer.json}; special tokens (BOS) are added only when {@code addSpecialTokens}. */
    public static HfTokenizer load(Path tokenizerJson, boolean addSpecialTokens) {
        DjlRuntime.newManager().close(); // make sure offline settings are in force before native code loads
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new CheckpointException(tokenizerJson + ": tokenizer file not found");
        }
        JsonNode json = TokenizerJson.read(tokenizerJson); // before the native library, which can abort the JVM
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.newInstance(tokenizerJson,
                    Map.of("addSpecialTokens", String.valueOf(addSpecialTokens), "truncation", "false",
                            "padding", "false"));
            return new HfTokenizer(t, tokenizerJson, UnknownToken.id(json), OptionalInt.empty(), null);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(tokenizerJson + ": cannot load tokenizer (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public int[] encode(String text) {
        long[] ids = encoding(text).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > Integer.MAX_VALUE) { // Math.toIntExact threw a bare "integer overflow"
                throw new CheckpointException(file + ": the tokenizer gives token id " + ids[i] + " for '" + text
                        + "', beyond any vocabulary (its ids must be below 2^31)");
            }
            out[i] = (int) ids[i];
        }
        return out;
    }

    /**
     * The library's encoding. Its errors name neither the file nor the text ("WordLevel error: Missing [UNK] token
     * from the vocabulary", for a tokenizer whose unk_token is not in its vocabulary): they are said here.
     */
    private Encoding encoding(String text) {
        if (TokenizerJson.hasLoneSurrogate(text)) {
            // the text reaches the library as UTF-8, where half a pair became three U+FFFD bytes without a word
            // (Hugging Face's Python tokenizers refuse such text: "surrogates not allowed")
            throw new IllegalArgumentException("holds half of a UTF-16 surrogate pair (an escape such as \\ud800 alone), "
                    + "which is no character");
        }
        try {
            return tokenizer.encode(text);
        } catch (RuntimeException e) {
            throw new CheckpointException(file + ": the tokenizer cannot encode '" + text + "': " + e.getMessage(), e);
        }
    }

    /** The vocabulary's own spelling ("ĠMary", "▁Mary", "<0x0A>"), which decoding single tokens would hide. */
    @Override
    public List<String> pieces(String text) {
        return List.of(encoding(text).getTokens());
    }

    @Override
    public String decode(int[] ids) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return tokenizer.decode(wide, false);
    }

    @Override
    public String token(int id) {
        return decode(new int[] {id});
    }

    @Override
    public OptionalInt unknownId() {
        return unknownId;
    }

    public Path file() {
        return file;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
