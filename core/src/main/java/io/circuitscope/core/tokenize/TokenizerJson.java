package io.circuitscope.core.tokenize;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.JsonSyntax;
import io.circuitscope.core.io.ReadErrors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * A {@code tokenizer.json} checked in Java before the tokenizers library sees it. That library (0.21, through
 * DJL) does not report every malformed file as an error: JSON it cannot parse inside the {@code decoder}
 * section is a Rust panic, which aborts the whole JVM (a flipped bit there killed the process with no message
 * and lost any results not yet written). So the file must be JSON that library's parser accepts: valid syntax
 * with nothing after the root object, no key twice (the library reads the first, Jackson the last, so a bad
 * first one went unseen), no number beyond a double's range ({@code 1e999}), no string holding half of a
 * UTF-16 surrogate pair ({@code "\\ud800"}), and no nesting deeper than its parser's limit of 128.
 */
final class TokenizerJson {
    /** Below serde_json's recursion limit of 128; real tokenizer files nest a handful of levels. */
    private static final int MAX_DEPTH = 100;

    /** Strict: the library reads the first of two equal keys where Jackson keeps the last, so neither is checked. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private TokenizerJson() {
    }

    /** The parsed file; errors name the file and, for a bad value, its place in the document. */
    static JsonNode read(Path file) {
        JsonNode root;
        try {
            String text = JsonSyntax.withoutByteOrderMark(Files.readString(file));
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot load tokenizer: " + ReadErrors.describe(e), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file + ": cannot load tokenizer: not a JSON object");
        }
        check(file, root, "", 0);
        return root;
    }

    private static void check(Path file, JsonNode node, String path, int depth) {
        if (depth > MAX_DEPTH) {
            throw bad(file, path, "nests deeper than " + MAX_DEPTH + " levels");
        }
        if (node.isTextual() && hasLoneSurrogate(node.textValue())) {
            throw bad(file, path, "holds half of a UTF-16 surrogate pair (an escape such as \\ud800 alone), "
                    + "which is no character");
        }
        if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            throw bad(file, path, "is a number beyond the range of a double: " + node);
        }
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                String child = path + "/" + e.getKey();
                if (hasLoneSurrogate(e.getKey())) {
                    throw bad(file, child, "is a key holding half of a UTF-16 surrogate pair, which is no character");
                }
                check(file, e.getValue(), child, depth + 1);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(file, node.get(i), path + "/" + i, depth + 1);
            }
        }
    }

    private static CheckpointException bad(Path file, String path, String problem) {
        return new CheckpointException(file + ": cannot load tokenizer: the value at '" + (path.isEmpty() ? "/" : path)
                + "' " + problem);
    }

    static boolean hasLoneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return true;
            }
            if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
