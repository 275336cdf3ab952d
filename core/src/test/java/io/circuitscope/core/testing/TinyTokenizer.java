package io.circuitscope.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a real GPT-2-style byte-level BPE {@code tokenizer.json}: the 256 byte tokens plus merges
 * that make " Mary", " John", " went" and " store" single tokens.
 */
public final class TinyTokenizer {
    public static final String[] WORDS = {" Mary", " John", " went", " store"};

    private TinyTokenizer() {
    }

    /** GPT-2's reversible byte-to-unicode table. */
    static char[] byteToUnicode() {
        List<Integer> printable = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) printable.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) printable.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) printable.add(b);
        char[] table = new char[256];
        int next = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = printable.contains(b) ? (char) b : (char) (256 + next++);
        }
        return table;
    }

    static String encodeBytes(String text) {
        char[] table = byteToUnicode();
        StringBuilder sb = new StringBuilder();
        for (byte b : text.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            sb.append(table[b & 0xFF]);
        }
        return sb.toString();
    }

    /**
     * Writes a WordLevel {@code tokenizer.json} (split on whitespace and punctuation) that knows only {@code words}
     * (id 1 onwards); everything else encodes to {@code [UNK]}, id 0. Returns the vocabulary size.
     */
    public static int writeWordLevel(Path dir, String... words) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("[UNK]", 0);
        for (String word : words) {
            vocab.putIfAbsent(word, vocab.size());
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "WordLevel");
        model.put("vocab", vocab);
        model.put("unk_token", "[UNK]");
        Map<String, Object> root = tokenizerJson(Map.of("type", "Whitespace"), null, null, model);
        new ObjectMapper().writeValue(dir.resolve("tokenizer.json").toFile(), root);
        return vocab.size();
    }

    /** Writes tokenizer.json into {@code dir} and returns its vocabulary size. */
    public static int write(Path dir) throws IOException {
        return write(dir, WORDS);
    }

    /** Writes tokenizer.json into {@code dir} with {@code words} as single tokens; returns the vocabulary size. */
    public static int write(Path dir, String... words) throws IOException {
        char[] table = byteToUnicode();
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(table[b]), b);
        }
        List<String> merges = new ArrayList<>();
        for (String word : words) {
            String encoded = encodeBytes(word);
            String current = encoded.substring(0, 1);
            for (int i = 1; i < encoded.length(); i++) {
                String piece = encoded.substring(i, i + 1);
                String merged = current + piece;
                if (!vocab.containsKey(merged)) {
                    merges.add(current + " " + piece);
                    vocab.put(merged, vocab.size());
                }
                current = merged;
            }
        }
        Map<String, Object> byteLevel = new LinkedHashMap<>();
        byteLevel.put("type", "ByteLevel");
        byteLevel.put("add_prefix_space", false);
        byteLevel.put("trim_offsets", true);
        byteLevel.put("use_regex", true);
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", null);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> root = tokenizerJson(byteLevel, byteLevel, byteLevel, model);
        new ObjectMapper().writeValue(dir.resolve("tokenizer.json").toFile(), root);
        return vocab.size();
    }

    /**
     * Writes a Llama-2-style SentencePiece BPE {@code tokenizer.json}: the normaliser prepends '▁' to the input and
     * turns spaces into '▁', there is no pre-tokeniser, unknown characters fall back to byte tokens, and
     * {@code <unk>}, {@code <s>}, {@code </s>} are ids 0-2. Every character of {@code words} is a token, "▁"
     * is one, and each word with its leading '▁' ("▁Mary") is merged into one. So " Mary" alone encodes as
     * [▁, ▁Mary], the well-known id-29871 artefact of Llama 2. Returns the vocabulary size.
     */
    public static int writeSentencePiece(Path dir, String... words) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        vocab.put("<unk>", 0);
        vocab.put("<s>", 1);
        vocab.put("</s>", 2);
        for (int b = 0; b < 256; b++) {
            vocab.put(String.format(java.util.Locale.ROOT, "<0x%02X>", b), vocab.size());
        }
        vocab.put("\u2581", vocab.size());
        List<String> merges = new ArrayList<>();
        for (String word : words) {
            for (char c : word.toCharArray()) {
                vocab.putIfAbsent(String.valueOf(c), vocab.size());
            }
        }
        for (String word : words) {
            String current = "\u2581";
            for (char c : word.toCharArray()) {
                String merged = current + c;
                if (!vocab.containsKey(merged)) {
                    merges.add(current + " " + c);
                    vocab.put(merged, vocab.size());
                }
                current = merged;
            }
        }
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", "<unk>");
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("vocab", vocab);
        model.put("merges", merges);
        Map<String, Object> decoder = Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", "\u2581"), "content", " "),
                Map.of("type", "ByteFallback"), Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0)));
        Map<String, Object> root = tokenizerJson(null, null, decoder, model);
        root.put("normalizer", Map.of("type", "Sequence", "normalizers", List.of(
                Map.of("type", "Prepend", "prepend", "\u2581"),
                Map.of("type", "Replace", "pattern", Map.of("String", " "), "content", "\u2581"))));
        List<Map<String, Object>> added = new ArrayList<>();
        for (String special : new String[] {"<unk>", "<s>", "</s>"}) {
            Map<String, Object> token = new LinkedHashMap<>();
            token.put("id", vocab.get(special));
            token.put("content", special);
            token.put("single_word", false);
            token.put("lstrip", false);
            token.put("rstrip", false);
            token.put("normalized", false);
            token.put("special", true);
            added.add(token);
        }
        root.put("added_tokens", added);
        new ObjectMapper().writeValue(dir.resolve("tokenizer.json").toFile(), root);
        return vocab.size();
    }

    /**
     * Adds {@code content} to {@code dir}'s tokenizer.json as a special added token with the next free id, as
     * GPT-2's {@code <|endoftext|>} is; returns that id.
     */
    @SuppressWarnings("unchecked")
    public static int addSpecialToken(Path dir, String content) throws IOException {
        Path file = dir.resolve("tokenizer.json");
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> root = json.readValue(file.toFile(), Map.class);
        Map<String, Object> model = (Map<String, Object>) root.get("model");
        Map<String, Integer> vocab = (Map<String, Integer>) model.get("vocab");
        int id = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        vocab.put(content, id);
        Map<String, Object> token = new LinkedHashMap<>();
        token.put("id", id);
        token.put("content", content);
        token.put("single_word", false);
        token.put("lstrip", false);
        token.put("rstrip", false);
        token.put("normalized", false);
        token.put("special", true);
        List<Object> added = new ArrayList<>((List<Object>) root.get("added_tokens"));
        added.add(token);
        root.put("added_tokens", added);
        json.writeValue(file.toFile(), root);
        return id;
    }

    /** A tokenizer.json's top level around {@code model}, with the given pipeline stages (null: none). */
    private static Map<String, Object> tokenizerJson(Object preTokenizer, Object postProcessor, Object decoder,
            Map<String, Object> model) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("version", "1.0");
        root.put("truncation", null);
        root.put("padding", null);
        root.put("added_tokens", List.of());
        root.put("normalizer", null);
        root.put("pre_tokenizer", preTokenizer);
        root.put("post_processor", postProcessor);
        root.put("decoder", decoder);
        root.put("model", model);
        return root;
    }
}
