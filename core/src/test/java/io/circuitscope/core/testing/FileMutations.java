package io.circuitscope.core.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Random damage to a valid file, for fuzz tests of the readers: byte-level (truncation, flips, bytes that are not
 * UTF-8) and JSON-level (a field deleted, its value swapped for one of another type or an extreme number, a key
 * given twice). Every mutation is drawn from a {@link Random} the caller seeds, so a failing case replays, and
 * {@link Mutated#what} says what was done, for the failure message.
 */
public final class FileMutations {
    /** Values a JSON field is swapped for: other types, edge numbers, literals JSON does not have. */
    static final String[] ODD_VALUES = {"null", "\"\"", "\"x\"", "\"7\"", "0", "-1", "1", "2147483648", "-2147483649",
        "9223372036854775808", "1e308", "1e999", "-1e308", "0.5", "NaN", "Infinity", "-Infinity", "[]", "[1,2]",
        "{}", "{\"a\":1}", "true", "false", "\"\\u0000\"", "\"\\ud800\""};

    private FileMutations() {
    }

    /** A mutated file's bytes and a description of the mutation. */
    public record Mutated(byte[] bytes, String what) {
    }

    /** One byte-level mutation of {@code bytes}. */
    public static Mutated bytes(byte[] bytes, Random rng) {
        int n = bytes.length;
        switch (rng.nextInt(6)) {
            case 0 -> {
                int at = rng.nextInt(n);
                return new Mutated(Arrays.copyOf(bytes, at), "truncated at byte " + at + " of " + n);
            }
            case 1 -> {
                byte[] b = bytes.clone();
                int at = rng.nextInt(n);
                int bit = rng.nextInt(8);
                b[at] ^= (byte) (1 << bit);
                return new Mutated(b, "bit " + bit + " of byte " + at + " flipped");
            }
            case 2 -> {
                byte[] b = bytes.clone();
                int at = rng.nextInt(n);
                int v = rng.nextInt(256);
                b[at] = (byte) v;
                return new Mutated(b, "byte " + at + " set to " + v);
            }
            case 3 -> {
                byte[] b = bytes.clone();
                int at = rng.nextInt(n);
                int len = Math.min(n - at, 1 + rng.nextInt(4));
                for (int i = 0; i < len; i++) {
                    b[at + i] = (byte) (0x80 | rng.nextInt(0x40)); // lone continuation bytes: not UTF-8
                }
                return new Mutated(b, len + " non-UTF-8 bytes at " + at);
            }
            case 4 -> {
                int at = rng.nextInt(n + 1);
                byte[] b = new byte[n + 1];
                System.arraycopy(bytes, 0, b, 0, at);
                b[at] = (byte) rng.nextInt(256);
                System.arraycopy(bytes, at, b, at + 1, n - at);
                return new Mutated(b, "byte " + (b[at] & 0xFF) + " inserted at " + at);
            }
            default -> {
                int from = rng.nextInt(n);
                int len = Math.min(n - from, 1 + rng.nextInt(16));
                byte[] b = new byte[n - len];
                System.arraycopy(bytes, 0, b, 0, from);
                System.arraycopy(bytes, from + len, b, from, n - from - len);
                return new Mutated(b, len + " bytes deleted at " + from);
            }
        }
    }

    /**
     * One JSON-level mutation of the document {@code json}: a node chosen at random (any depth) is deleted,
     * replaced by an odd value, or its key written twice (with an odd value first); the result is written
     * by hand so it may hold what JSON forbids (NaN, duplicate keys). {@code json} may hold NaN (EAP-IG files do).
     */
    public static Mutated json(String json, Random rng) {
        JsonNode root;
        try {
            root = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build().readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not JSON: " + e.getMessage(), e);
        }
        List<String> paths = new ArrayList<>();
        collect(root, "", paths);
        String target = paths.get(rng.nextInt(paths.size()));
        int kind = target.isEmpty() ? 1 : rng.nextInt(4);
        String odd = ODD_VALUES[rng.nextInt(ODD_VALUES.length)];
        StringBuilder out = new StringBuilder();
        String what = switch (kind) {
            case 0 -> "deleted " + target;
            case 1 -> target + " set to " + odd;
            case 2 -> target + " given twice (" + odd + " first)";
            default -> target + " set to " + (odd = numberNear(rng));
        };
        write(root, "", target, kind == 3 ? 1 : kind, odd, out);
        return new Mutated(out.toString().getBytes(StandardCharsets.UTF_8), what);
    }

    /** A JSON-level mutation of one line of a JSON Lines text (other lines as they are). */
    public static Mutated jsonLine(String text, Random rng) {
        String[] lines = text.split("\n", -1);
        List<Integer> objects = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().startsWith("{")) {
                objects.add(i);
            }
        }
        int line = objects.get(rng.nextInt(objects.size()));
        Mutated m = json(lines[line], rng);
        lines[line] = new String(m.bytes(), StandardCharsets.UTF_8);
        return new Mutated(String.join("\n", lines).getBytes(StandardCharsets.UTF_8), "line " + (line + 1) + ": "
                + m.what());
    }

    private static String numberNear(Random rng) {
        return switch (rng.nextInt(6)) {
            case 0 -> Integer.toString(rng.nextInt(5) - 2);
            case 1 -> Integer.toString(rng.nextInt(100));
            case 2 -> Long.toString((1L << 31) + rng.nextInt(3) - 1);
            case 3 -> Long.toString(-(1L << 31) - rng.nextInt(2));
            case 4 -> Integer.toString(rng.nextInt(1 << 20));
            default -> Double.toString(rng.nextGaussian() * 10);
        };
    }

    private static void collect(JsonNode node, String path, List<String> out) {
        out.add(path);
        if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                collect(e.getValue(), path + "/" + e.getKey().replace("/", "~1"), out);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                collect(node.get(i), path + "/" + i, out);
            }
        }
    }

    /** kind 0: delete target; 1: replace by odd; 2: key twice, odd first. */
    private static void write(JsonNode node, String path, String target, int kind, String odd, StringBuilder out) {
        if (path.equals(target) && kind == 1) {
            out.append(odd);
            return;
        }
        if (node.isObject()) {
            out.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                String child = path + "/" + e.getKey().replace("/", "~1");
                if (child.equals(target) && kind == 0) {
                    continue;
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                String key = quote(e.getKey());
                if (child.equals(target) && kind == 2) {
                    out.append(key).append(':').append(odd).append(',');
                }
                out.append(key).append(':');
                write(e.getValue(), child, target, kind, odd, out);
            }
            out.append('}');
        } else if (node.isArray()) {
            out.append('[');
            boolean first = true;
            for (int i = 0; i < node.size(); i++) {
                String child = path + "/" + i;
                if (child.equals(target) && kind == 0) {
                    continue;
                }
                if (!first) {
                    out.append(',');
                }
                first = false;
                if (child.equals(target) && kind == 2) {
                    out.append(odd).append(','); // an array has no keys: an extra element instead
                }
                write(node.get(i), child, target, kind, odd, out);
            }
            out.append(']');
        } else {
            out.append(node.toString());
        }
    }

    private static String quote(String s) {
        try {
            return new ObjectMapper().writeValueAsString(s);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
