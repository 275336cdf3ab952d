package io.circuitscope.core.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.JsonSyntax;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Tasks as JSON Lines, one example per line, in either form:
 * <pre>
 * {"clean_ids":[...], "corrupt_ids":[...], "targets":[{"position":12, "correct_id":5, "wrong_id":9}]}
 * {"clean":"...", "corrupt":"...", "targets":[{"position":-1, "correct":" Mary", "wrong":" John"}]}
 * </pre>
 * wrong_id / wrong may be null or absent; negative positions count from the end; answer strings
 * must be exactly one token. An answer may also be a set of tokens whose probabilities add up
 * ({@code "correct_ids":[...]}, or {@code "correct":[" 53"," 54"]}; the same for wrong), as Greater-Than's
 * metric needs; no token may be both correct and wrong. Clean and corrupted prompts must have the same token length unless
 * alignment is asked for, which left-pads the shorter prompt with its own first token and shifts
 * its non-negative target positions.
 *
 * <p>Optional {@code "noise_positions":[3,4]} lists the positions (of the clean prompt, non-negative) whose
 * embeddings the Gaussian-noise corruption perturbs (causal tracing: the subject tokens).
 *
 * <p>Given the model's vocabulary size, every token id (prompts and answers, written or tokenized) must
 * lie inside it; a wrong answer equal to the correct one is refused, since every contrastive metric
 * would then be 0 whatever is patched, and so is an answer string the tokenizer reads as its unknown token.
 *
 * <p>Each line is read strictly ({@link TaskLineJson}): one object, only the keys above, and integers that fit in
 * an int (a larger one is quoted as written, never wrapped round). A UTF-8 byte-order mark before the first
 * line is skipped.
 */
public final class TaskFile {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TaskFile() {
    }

    /** Without a vocabulary check: token ids are checked when a model reads them. */
    public static Task read(Path file, TextTokenizer tokenizer, boolean align) {
        return read(file, tokenizer, align, Integer.MAX_VALUE);
    }

    /** As above; every token id must be below {@code vocabSize}, the error naming the line and field otherwise. */
    public static Task read(Path file, TextTokenizer tokenizer, boolean align, int vocabSize) {
        return read(file, tokenizer, align, vocabSize, Integer.MAX_VALUE);
    }

    /** As above; no prompt may be longer than {@code contextLength} tokens either (the model's context window). */
    public static Task read(Path file, TextTokenizer tokenizer, boolean align, int vocabSize, int contextLength) {
        List<Example> examples = new ArrayList<>();
        for (ExampleLine l : exampleLines(file)) {
            examples.add(parseLine(new Where(file, l.number(), vocabSize, contextLength), l.text(), tokenizer, align));
        }
        if (examples.isEmpty()) {
            throw new TaskFileException(file + ": no examples (only blank or # lines)");
        }
        String name = file.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        return new Task(name, examples);
    }

    /** How many tokens {@code --align} left-pads one example's clean and corrupted prompts by. */
    public record AlignPadding(int clean, int corrupt) {
    }

    /**
     * Each example's {@link AlignPadding}, in file order: the original lengths are gone from the aligned task, so
     * they are read again. For a file {@link #read} has already accepted (its errors are not repeated here).
     */
    public static List<AlignPadding> alignPadding(Path file, TextTokenizer tokenizer) {
        List<AlignPadding> out = new ArrayList<>();
        for (ExampleLine l : exampleLines(file)) {
            Where where = new Where(file, l.number(), Integer.MAX_VALUE, Integer.MAX_VALUE);
            JsonNode node = TaskLineJson.object(l.text());
            int clean = prompt(where, node, "clean", tokenizer).length;
            int corrupt = prompt(where, node, "corrupt", tokenizer).length;
            int length = Math.max(clean, corrupt);
            out.add(new AlignPadding(length - clean, length - corrupt));
        }
        return out;
    }

    /** One example's line of a task file: its 1-based number and its trimmed text. */
    private record ExampleLine(int number, String text) {
    }

    /**
     * Throws what reading {@code file} would, when it cannot be read at all: callers check before loading a model, so
     * that a misspelt path is named at once, not after the load (or a hub download).
     */
    public static void requireReadable(Path file) {
        String why = io.circuitscope.core.io.ReadErrors.whyUnreadable(file);
        if (why != null) {
            throw new TaskFileException(file + ": cannot read task file: " + why);
        }
    }

    /** The lines of {@code file} that hold examples: not blank, not # comments, a leading byte-order mark dropped. */
    private static List<ExampleLine> exampleLines(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new TaskFileException(file + ": cannot read task file: " + io.circuitscope.core.io.ReadErrors.describe(e));
        }
        List<ExampleLine> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            // strip(), not trim(): trim() also drops control characters, so a line of NUL bytes (what an interrupted
            // write can leave) was skipped as blank, and a NUL before an example ignored
            String line = (i == 0 ? JsonSyntax.withoutByteOrderMark(lines.get(i)) : lines.get(i)).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                out.add(new ExampleLine(i + 1, line));
            }
        }
        return out;
    }

    private record Where(Path file, int line, int vocabSize, int contextLength) {
        TaskFileException error(String field, String problem) {
            return new TaskFileException(file + ":" + line + ": " + (field == null ? "" : "field '" + field + "' ") + problem);
        }

        /**
         * {@code id}, or an error naming the field when the model has no such token; {@code what} says which
         * value it is, formatted with {@code index} only then (ids are checked one by one on every line).
         */
        int inVocabulary(String field, int id, String what, int index) {
            if (id >= vocabSize) {
                throw outsideVocabulary(field, String.valueOf(id), what, index);
            }
            return id;
        }

        /** {@code id} as written: an id too large for an int is quoted, not wrapped round to a small one. */
        TaskFileException outsideVocabulary(String field, String id, String what, int index) {
            return error(field, String.format(Locale.ROOT, what, index) + "token id " + id + (vocabSize == Integer.MAX_VALUE
                    ? ", larger than any vocabulary" : ", outside the model's vocabulary [0, " + vocabSize + ")"));
        }
    }

    private static Example parseLine(Where where, String line, TextTokenizer tokenizer, boolean align) {
        JsonNode node;
        try {
            node = TaskLineJson.object(line);
        } catch (IllegalArgumentException e) {
            throw where.error(null, e.getMessage());
        }
        String unknown = TaskLineJson.unknownKey(node, "", TaskLineJson.EXAMPLE_KEYS, "an example");
        if (unknown != null) {
            throw where.error(null, unknown);
        }
        int[] clean = prompt(where, node, "clean", tokenizer);
        int[] corrupt = prompt(where, node, "corrupt", tokenizer);
        JsonNode targetsNode = node.get("targets");
        if (targetsNode == null || !targetsNode.isArray() || targetsNode.isEmpty()) {
            throw where.error("targets", "must be a non-empty array");
        }
        List<Target> targets = new ArrayList<>();
        for (int t = 0; t < targetsNode.size(); t++) {
            targets.add(target(where, targetsNode.get(t), "targets[" + t + "]", tokenizer, clean.length));
        }
        // positions count in the clean prompt as written: checked before --align pads it, so that a position
        // outside it cannot land on a padding token
        for (int t = 0; t < targets.size(); t++) {
            int p = targets.get(t).position();
            if ((p >= 0 ? p : clean.length + p) < 0 || (p >= 0 ? p : clean.length + p) >= clean.length) {
                throw where.error("targets[" + t + "].position", "is " + p + " but the prompt has " + clean.length
                        + " tokens");
            }
        }
        if (clean.length != corrupt.length) {
            int length = Math.max(clean.length, corrupt.length);
            if (!align) {
                throw new UnequalPromptLengthsException(where.file() + ":" + where.line() + ": clean prompt is "
                        + clean.length + " tokens but corrupt is " + corrupt.length + " tokens; make them the same length");
            }
            int shift = length - clean.length;
            clean = leftPad(clean, length);
            corrupt = leftPad(corrupt, length);
            List<Target> shifted = new ArrayList<>();
            for (Target target : targets) {
                shifted.add(target.position() >= 0
                        ? target.at(target.position() + shift) : target);
            }
            targets = shifted;
        }
        if (clean.length > where.contextLength()) {
            throw where.error(null, "prompt is " + clean.length + " tokens, longer than the model's context window of "
                    + where.contextLength() + " tokens");
        }
        int[] noise = new int[0];
        JsonNode noiseNode = node.get("noise_positions");
        if (noiseNode != null && !noiseNode.isNull()) {
            if (!noiseNode.isArray()) {
                throw where.error("noise_positions", "must be an array of positions");
            }
            noise = new int[noiseNode.size()];
            int shift = clean.length - (prompt(where, node, "clean", tokenizer)).length;
            for (int i = 0; i < noise.length; i++) {
                JsonNode p = noiseNode.get(i);
                // in long: 2147483647 + a shift wrapped round to a negative int, which passed
                if (!p.isIntegralNumber() || !p.canConvertToInt() || p.asInt() < 0
                        || (long) p.asInt() + shift >= clean.length) {
                    throw where.error("noise_positions", "element " + i + " is not a position inside the prompt: " + p);
                }
                noise[i] = p.asInt() + shift;
            }
        }
        return new Example(clean, corrupt, targets, noise);
    }

    /** {@code tokens} left-padded to {@code length} with its own first token: the alignment {@code --align} asks for. */
    public static int[] leftPad(int[] tokens, int length) {
        int[] out = new int[length];
        int pad = length - tokens.length;
        java.util.Arrays.fill(out, 0, pad, tokens[0]);
        System.arraycopy(tokens, 0, out, pad, tokens.length);
        return out;
    }

    /** Ids and text for the same thing would disagree sooner or later: one of them, never both. */
    private static void requireOne(Where where, String idField, JsonNode ids, String textField, JsonNode text) {
        if (ids != null && !ids.isNull() && text != null && !text.isNull()) {
            throw where.error(null, "fields '" + idField + "' and '" + textField + "' both give it; keep one");
        }
    }

    private static int[] prompt(Where where, JsonNode node, String key, TextTokenizer tokenizer) {
        JsonNode ids = node.get(key + "_ids");
        JsonNode text = node.get(key);
        requireOne(where, key + "_ids", ids, key, text);
        if (ids != null && !ids.isNull()) {
            if (!ids.isArray() || ids.isEmpty()) {
                throw where.error(key + "_ids", "must be a non-empty array of token ids");
            }
            int[] out = new int[ids.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = tokenId(where, key + "_ids", ids.get(i), "element %d is ", i);
            }
            return out;
        }
        if (text != null && text.isTextual()) {
            if (tokenizer == null) {
                throw where.error(key, "is text but the model has no tokenizer; give " + key + "_ids instead");
            }
            try {
                return PromptText.encode(tokenizer, text.asText(), where.vocabSize());
            } catch (IllegalArgumentException e) {
                throw where.error(key, e.getMessage());
            }
        }
        if (text != null && !text.isNull()) { // "clean": 12 was reported as "'clean_ids' is missing"
            throw where.error(key, "must be a string (the prompt's text), got " + text);
        }
        throw where.error(key + "_ids", "is missing (give " + key + "_ids or " + key + ")");
    }

    /** One target of a prompt {@code length} tokens long. */
    private static Target target(Where where, JsonNode t, String field, TextTokenizer tokenizer, int length) {
        if (t == null || !t.isObject()) {
            throw where.error(field, "must be an object");
        }
        String unknown = TaskLineJson.unknownKey(t, field + ".", TaskLineJson.TARGET_KEYS, "a target");
        if (unknown != null) {
            throw where.error(null, unknown);
        }
        JsonNode position = t.get("position");
        if (position == null || position.isNull()) {
            throw where.error(field + ".position", "is missing");
        }
        if (!position.isIntegralNumber()) {
            throw where.error(field + ".position", "is not an integer: " + position);
        }
        if (!position.canConvertToInt()) { // asInt would wrap 4294967295 round to -1, the last token
            throw where.error(field + ".position", "is " + position + " but the prompt has " + length + " tokens");
        }
        List<Integer> correct = answer(where, t, field, "correct", tokenizer, true);
        List<Integer> wrong = answer(where, t, field, "wrong", tokenizer, false);
        OptionalInt shared = Target.sharedToken(correct, wrong);
        if (shared.isPresent()) {
            int id = shared.getAsInt();
            throw where.error(field + "." + givenKey(t, "wrong"), (wrong.size() == 1 && correct.size() == 1
                    ? "is the correct answer's token (id " + id + ")" : "lists token id " + id + ", a correct answer")
                    + "; a contrastive metric would then not tell them apart whatever is patched (give another "
                    + "token, or null when the metric needs none)");
        }
        return new Target(position.asInt(), correct, wrong);
    }

    /** Which of the answer's keys the target gives ({@code wrong_id}, {@code wrong_ids} or {@code wrong}). */
    private static String givenKey(JsonNode t, String key) {
        for (String k : new String[] {key + "_id", key + "_ids"}) {
            if (t.hasNonNull(k)) {
                return k;
            }
        }
        return key;
    }

    /**
     * One answer: {@code <key>_id} (a token id), {@code <key>_ids} (an array of ids, an answer set whose
     * probabilities add up) or {@code <key>} (a one-token string, or an array of them); at most one of the three.
     * Empty when absent and not required.
     */
    private static List<Integer> answer(Where where, JsonNode t, String field, String key, TextTokenizer tokenizer,
            boolean required) {
        List<String> given = new ArrayList<>();
        for (String k : new String[] {key + "_id", key + "_ids", key}) {
            if (t.hasNonNull(k)) {
                given.add("'" + field + "." + k + "'");
            }
        }
        if (given.size() > 1) {
            throw where.error(null, "fields " + String.join(" and ", given) + " both give it; keep one");
        }
        JsonNode id = t.get(key + "_id");
        if (id != null && !id.isNull()) {
            return List.of(tokenId(where, field + "." + key + "_id", id, "is ", 0));
        }
        JsonNode ids = t.get(key + "_ids");
        if (ids != null && !ids.isNull()) {
            String f = field + "." + key + "_ids";
            if (!ids.isArray() || ids.isEmpty()) {
                throw where.error(f, "must be a non-empty array of token ids");
            }
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                out.add(distinct(where, f, out, tokenId(where, f, ids.get(i), "element %d is ", i), i));
            }
            return out;
        }
        JsonNode text = t.get(key);
        if (text != null && !text.isNull()) {
            String f = field + "." + key;
            if (tokenizer == null) {
                throw where.error(f, "is text but the model has no tokenizer; give " + key + "_id or " + key + "_ids");
            }
            if (text.isArray()) {
                if (text.isEmpty()) {
                    throw where.error(f, "must be a one-token string or a non-empty array of them");
                }
                List<Integer> out = new ArrayList<>();
                for (int i = 0; i < text.size(); i++) {
                    out.add(distinct(where, f, out, oneToken(where, f + "[" + i + "]", text.get(i), tokenizer), i));
                }
                return out;
            }
            return List.of(oneToken(where, f, text, tokenizer));
        }
        if (required) {
            throw where.error(field + "." + key + "_id", "is missing (give " + key + "_id, " + key + "_ids or " + key
                    + ")");
        }
        return List.of();
    }

    private static int tokenId(Where where, String field, JsonNode id, String what, int index) {
        if (!id.isIntegralNumber() || id.bigIntegerValue().signum() < 0) {
            throw where.error(field, String.format(Locale.ROOT, what, index) + "not a non-negative integer: " + id);
        }
        if (!id.canConvertToInt()) { // asInt would wrap 4294967297 round to 1
            throw where.outsideVocabulary(field, id.toString(), what, index);
        }
        return where.inVocabulary(field, id.asInt(), what, index);
    }

    private static int oneToken(Where where, String field, JsonNode text, TextTokenizer tokenizer) {
        if (!text.isTextual()) {
            throw where.error(field, "must be a string, got " + text);
        }
        int token;
        try {
            token = tokenizer.singleToken(text.asText());
        } catch (IllegalArgumentException e) {
            throw where.error(field, "must be one token: " + e.getMessage());
        }
        OptionalInt unknown = tokenizer.unknownId();
        if (unknown.isPresent() && token == unknown.getAsInt()) { // as prompts: [UNK] would be scored as the answer
            throw where.error(field, "is '" + text.asText() + "', text the tokenizer does not know (it is [UNK])");
        }
        return where.inVocabulary(field, token, "is ", 0);
    }

    /** {@code id}, or an error when the answer set already holds it (a token counted twice would weigh double). */
    private static int distinct(Where where, String field, List<Integer> so, int id, int index) {
        if (so.contains(id)) {
            throw where.error(field, "element " + index + " repeats token id " + id);
        }
        return id;
    }

    /** Writes the id form, atomically. */
    public static void write(Path file, Task task) throws IOException {
        io.circuitscope.core.io.AtomicFile.write(file, tmp -> writeLines(tmp, task));
    }

    private static void writeLines(Path tmp, Task task) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
            for (Example e : task.examples()) {
                ObjectNode o = JSON.createObjectNode();
                ArrayNode c = o.putArray("clean_ids");
                for (int id : e.clean()) {
                    c.add(id);
                }
                ArrayNode k = o.putArray("corrupt_ids");
                for (int id : e.corrupt()) {
                    k.add(id);
                }
                if (e.noisePositions().length > 0) {
                    ArrayNode np = o.putArray("noise_positions");
                    for (int p : e.noisePositions()) {
                        np.add(p);
                    }
                }
                ArrayNode ts = o.putArray("targets");
                for (Target t : e.targets()) {
                    ObjectNode tn = ts.addObject();
                    tn.put("position", t.position());
                    putAnswer(tn, "correct", t.correctIds());
                    putAnswer(tn, "wrong", t.wrongIds());
                }
                w.write(JSON.writeValueAsString(o));
                w.newLine();
            }
        }
    }

    /**
     * One answer as task files write it: one token as {@code <key>_id} (null for none), a set as {@code <key>_ids}
     * (also for other JSON that names a target's answers, so that it reads the same).
     */
    public static void putAnswer(ObjectNode target, String key, List<Integer> ids) {
        if (ids.size() > 1) {
            ArrayNode a = target.putArray(key + "_ids");
            ids.forEach(a::add);
        } else if (ids.isEmpty()) {
            target.putNull(key + "_id");
        } else {
            target.put(key + "_id", ids.get(0));
        }
    }
}
