package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.testing.FileMutations;
import io.circuitscope.core.testing.FileMutations.Mutated;
import io.circuitscope.core.testing.FuzzCheck;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.TinyFamilies;
import io.circuitscope.core.testing.TinyTokenizer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterTry;

/**
 * Fuzz tests of the checkpoint readers: a valid tiny model (the project's own writers) is damaged at random,
 * and loading it must either succeed or throw a {@link CheckpointException} naming the damaged file; never
 * another exception (NullPointerException, IndexOutOfBounds, ClassCast, a raw NumberFormat), an
 * OutOfMemoryError from a size read from the file, a JVM abort in native code, or a hang. Seeds are fixed, so every
 * run tries the same cases. To explore (more tries, other seeds), set FUZZ_REPORT to print every problem instead of
 * stopping at the first, and FUZZ_TRIES to a file that logs each tokenizer case before it is loaded.
 */
class CheckpointFuzzTest {
    /** Every family's config (Mistral and Qwen 3 too), and Gemma 3's multimodal one whose settings sit in text_config. */
    private static final List<TinyCheckpoint> FAMILIES = Stream.concat(TinyFamilies.all(), Stream.of(
            TinyCheckpoint.llamaFamily("mistral", 12, 2, 4, 2, 4, 12, 20, 41, 16, false, false),
            TinyCheckpoint.llamaFamily("qwen3", 13, 2, 4, 2, 4, 12, 20, 41, 16, true, true),
            TinyCheckpoint.gemma3(11, 2, 4, 2, 4, 12, 20, 41, 16, 3, 2).asGemma3Multimodal(true))).toList();

    private Path dir;

    private Path freshDir() throws IOException {
        dir = Files.createTempDirectory("cs-fuzz");
        return dir;
    }

    @AfterTry
    void cleanUp() throws IOException {
        if (dir != null) {
            try (Stream<Path> paths = Files.walk(dir)) {
                for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * Loads {@code location}; a failure must be a CheckpointException whose message names {@code damaged} (a file,
     * or the model folder: a config.json that asks for a third layer may be reported as the weights lacking it).
     */
    static void loadsOrNamesTheFile(Path location, Path damaged, String what) {
        FuzzCheck.readOrRefuse(what, CheckpointException.class, FuzzCheck.names(damaged), () -> {
            try (LoadedModel ignored = ModelLoader.load(location)) {
                // a damage that still loads (metadata, a float changed to another finite float)
                if (System.getenv("FUZZ_REPORT") != null) {
                    System.out.println("LOADED: " + what);
                }
            }
        });
    }

    /** The header JSON of a safetensors file, damaged, with the length field fixed to match. */
    private static Mutated headerMutation(byte[] file, Random rng) {
        int headerLength = (int) ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        String header = new String(file, 8, headerLength, StandardCharsets.UTF_8);
        Mutated m = FileMutations.json(header, rng);
        ByteBuffer out = ByteBuffer.allocate(8 + m.bytes().length + file.length - 8 - headerLength)
                .order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(m.bytes().length).put(m.bytes()).put(file, 8 + headerLength, file.length - 8 - headerLength);
        return new Mutated(out.array(), "header: " + m.what());
    }

    private static Mutated lengthMutation(byte[] file, Random rng) {
        long[] odd = {0, 1, -1, Long.MIN_VALUE, Integer.MAX_VALUE, 1L << 31, 1L << 32, file.length - 8,
            file.length - 7, file.length, 100L << 20, rng.nextInt(file.length)};
        long v = odd[rng.nextInt(odd.length)];
        byte[] b = file.clone();
        ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(v);
        return new Mutated(b, "header length set to " + Long.toUnsignedString(v));
    }

    private static Mutated anyMutation(byte[] file, Random rng) {
        return switch (rng.nextInt(4)) {
            case 0 -> lengthMutation(file, rng);
            case 1 -> FileMutations.bytes(file, rng);
            default -> headerMutation(file, rng);
        };
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261207")
    void damagedSafetensorsIsRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        Path model = TinyFamilies.GPT2.write(freshDir(), TensorDtype.values()[rng.nextInt(3)]);
        Path file = model.resolve("model.safetensors");
        Mutated m = anyMutation(Files.readAllBytes(file), rng);
        Files.write(file, m.bytes());
        loadsOrNamesTheFile(model, file, "seed " + seed + ": " + m.what());
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261208")
    void damagedConfigIsRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        TinyCheckpoint family = FAMILIES.get(rng.nextInt(FAMILIES.size()));
        Path model = family.write(freshDir(), TensorDtype.F32);
        Path file = model.resolve("config.json");
        byte[] valid = Files.readAllBytes(file);
        Mutated m = rng.nextInt(4) == 0 ? FileMutations.bytes(valid, rng)
                : FileMutations.json(new String(valid, StandardCharsets.UTF_8), rng);
        Files.write(file, m.bytes());
        loadsOrNamesTheFile(model, model, "seed " + seed + ", " + family.config().get("model_type") + ": " + m.what());
    }

    @Property(tries = 200, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261209")
    void damagedShardIndexIsRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        Path model = TinyFamilies.GPT2.writeSharded(freshDir(), TensorDtype.F32, 2);
        boolean index = rng.nextBoolean();
        Path file = model.resolve(index ? "model.safetensors.index.json" : "model-00002-of-00002.safetensors");
        byte[] valid = Files.readAllBytes(file);
        Mutated m = !index ? anyMutation(valid, rng) : rng.nextInt(4) == 0 ? FileMutations.bytes(valid, rng)
                : FileMutations.json(new String(valid, StandardCharsets.UTF_8), rng);
        Files.write(file, m.bytes());
        loadsOrNamesTheFile(model, file, "seed " + seed + ", " + file.getFileName() + ": " + m.what());
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261210")
    void damagedLlama2cCheckpointIsRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        TinyCheckpoint llama = TinyCheckpoint.llamaFamily("llama", 7, 2, 4, 2, 4, 16, 20, 41, 16, rng.nextBoolean(),
                false);
        Path file = llama.writeLlama2c(freshDir().resolve("model.bin"));
        byte[] valid = Files.readAllBytes(file);
        Mutated m;
        if (rng.nextBoolean()) {
            byte[] b = valid.clone();
            int field = rng.nextInt(7);
            int[] odd = {0, -1, 1, 2, 3, Integer.MAX_VALUE, Integer.MIN_VALUE, 1 << 16, 1 << 30, rng.nextInt(64)};
            int v = odd[rng.nextInt(odd.length)];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(4 * field, v);
            m = new Mutated(b, "header int " + field + " set to " + v);
        } else {
            m = FileMutations.bytes(valid, rng);
        }
        Files.write(file, m.bytes());
        loadsOrNamesTheFile(file, file, "seed " + seed + ": " + m.what());
    }

    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261211")
    void damagedTokenizerIsRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        Path model = TinyFamilies.GPT2.write(freshDir(), TensorDtype.F32);
        switch (rng.nextInt(3)) {
            case 0 -> TinyTokenizer.write(model);
            case 1 -> TinyTokenizer.writeWordLevel(model, " Mary", " John");
            default -> TinyTokenizer.writeSentencePiece(model, "Mary", "John");
        }
        Path file = model.resolve("tokenizer.json");
        byte[] valid = Files.readAllBytes(file);
        Mutated m = rng.nextInt(4) == 0 ? FileMutations.bytes(valid, rng)
                : FileMutations.json(new String(valid, StandardCharsets.UTF_8), rng);
        Files.write(file, m.bytes());
        String what = "seed " + seed + ": " + m.what();
        if (System.getenv("FUZZ_TRIES") != null) { // the native library can abort the JVM: log each try to a file first
            Files.writeString(Path.of(System.getenv("FUZZ_TRIES")), what + "\n", StandardCharsets.UTF_8,
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        }
        FuzzCheck.readOrRefuse(what, CheckpointException.class, FuzzCheck.names(file.getFileName()), () -> {
            try (LoadedModel loaded = ModelLoader.load(model)) {
                // a loaded tokenizer must still encode without a raw error
                try {
                    loaded.requireTokenizer().encode("When Mary and John went to the store");
                } catch (CheckpointException | IllegalArgumentException e) {
                    if (e.getMessage() == null || !e.getMessage().contains("tokenizer")) {
                        FuzzCheck.report(what + ": " + e);
                    }
                }
            }
        });
    }

    /** tokenizer_config.json, read for the BOS token when the model loads. */
    @Property(tries = 200, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261219")
    void damagedTokenizerConfigIsRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        Path model = TinyFamilies.GPT2.write(freshDir(), TensorDtype.F32);
        TinyTokenizer.write(model);
        int eos = TinyTokenizer.addSpecialToken(model, "<|endoftext|>");
        Path file = model.resolve("tokenizer_config.json");
        String valid = rng.nextBoolean()
                ? "{\"bos_token\": \"<|endoftext|>\", \"eos_token\": {\"content\": \"<|endoftext|>\", \"special\": true},"
                        + " \"model_max_length\": 1024, \"added_tokens_decoder\": {\"" + eos + "\": {\"content\": "
                        + "\"<|endoftext|>\"}}}"
                : "{\"bos_token\": null, \"eos_token\": \"<|endoftext|>\"}";
        Mutated m = rng.nextInt(4) == 0 ? FileMutations.bytes(valid.getBytes(StandardCharsets.UTF_8), rng)
                : FileMutations.json(valid, rng);
        Files.write(file, m.bytes());
        String what = "seed " + seed + ": " + m.what();
        FuzzCheck.readOrRefuse(what, CheckpointException.class, FuzzCheck.names(model), () -> {
            try (LoadedModel loaded = ModelLoader.load(model)) {
                loaded.requireTokenizer().bos(); // a BOS setting that cannot be read is reported when prompts need it
            }
        });
    }
}
