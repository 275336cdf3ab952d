package io.circuitscope.circuits.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.Hashes;
import io.circuitscope.core.io.AtomicFile;
import io.circuitscope.discovery.AcdcJournal;
import io.circuitscope.discovery.AcdcState;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An unfinished run's progress (ACDC's state, exhaustive patching's exact effects), kept in a file beside the run's
 * results (discover's progress.json), so
 * that the same command run again after a kill, a crash or a lost machine goes on from the last destination recorded
 * instead of from the start. The file names what the run depends on (model, task, settings, software: the
 * fingerprint); a file of another run is not resumed from, and is said to be ignored. Written atomically at most every
 * {@code interval} (and at the end); the owner deletes it once the run's results are written.
 */
public final class ProgressFile implements RunJournal {
    static final String SCHEMA = "circuitscope.progress/1";
    /** The file's name in a run's folder (discover's --out, a batch run's own folder). */
    public static final String NAME = "progress.json";
    /** The least time between two writes: a destination of GPT-2 small takes seconds, of a toy milliseconds. */
    public static final double INTERVAL_SECONDS = 5.0;
    private static final ObjectMapper JSON = new ObjectMapper();
    /**
     * The fingerprint's block naming the graph's size ({@link #GRAPH_EDGES}, {@link #GRAPH_DESTINATIONS}): when it is
     * there, a state of another size, or whose next destination is not one of the graph's, is refused with a note
     * before its lists are read.
     */
    public static final String GRAPH = "graph";
    public static final String GRAPH_EDGES = "edges";
    public static final String GRAPH_DESTINATIONS = "destinations";

    private final Path file;
    private final JsonNode fingerprint;
    private final PrintWriter err;
    private final long intervalNanos;
    /**
     * A write may take this share of the run at most: after a write of w seconds the next waits 1/share of w, when
     * that is longer than the interval (a by-position GPT-2 small graph of 650,000 edges writes 21 MB in 0.64 s).
     */
    static final double MAX_WRITE_SHARE = 0.05;
    private final java.util.function.LongSupplier clock;
    private long lastWrite;
    private long gapNanos;
    private long resumedTried = -1;
    private long resumedExact = -1;
    private boolean recording = true;
    private boolean read; // the file was read and checked (checkedRoot)
    private JsonNode root; // what it held, when it could be gone on from
    private double[] exactEffects; // exhaustive patching's, kept in every write once known
    /** What the file holds: ACDC's state (with the exact effects of a pipeline scored by them), or only exact effects. */
    static final String STAGE_ACDC = "acdc";
    static final String STAGE_EXACT = "exact";

    /**
     * @param fingerprint what the run depends on: a resumed run must match it field for field
     * @param err         where resuming, or not resuming and why, is said
     * @param intervalSeconds the least time between two writes (0: every destination)
     */
    public ProgressFile(Path file, Map<String, Object> fingerprint, PrintWriter err, double intervalSeconds) {
        this(file, fingerprint, err, intervalSeconds, System::nanoTime);
    }

    /** As above, with the clock in nanoseconds that times the writes (tests give their own). */
    ProgressFile(Path file, Map<String, Object> fingerprint, PrintWriter err, double intervalSeconds,
            java.util.function.LongSupplier clock) {
        this.file = file;
        this.clock = clock;
        try { // as the file will read back: a long seed reads as an int, and JSON trees of the two differ
            this.fingerprint = JSON.readTree(JSON.writeValueAsString(fingerprint));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.err = err;
        this.intervalNanos = (long) (intervalSeconds * 1e9);
        this.gapNanos = intervalNanos;
        this.lastWrite = clock.getAsLong();
    }

    public Path file() {
        return file;
    }

    /** Edges the search had decided when this run resumed; -1 when it started from the beginning. */
    public long resumedTried() {
        return resumedTried;
    }

    /**
     * The file's content once checked whole (schema, fingerprint, checksum), read once for both journals; null when
     * there is none or it was ignored, which a note said (once).
     */
    private JsonNode checkedRoot() {
        if (read) {
            return root;
        }
        read = true;
        if (!Files.exists(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        if (!Files.isRegularFile(file)) {
            boolean folder = Files.isDirectory(file);
            recording = !folder; // a folder cannot be replaced by a file: the run goes on without a record
            err.printf(Locale.ROOT, "note: not resuming from %s: it is not a file (%s); this run starts afresh%s%n", file,
                    folder ? "a folder" : "a link to nothing, or a device", folder
                            ? " and records no progress (an interruption would start it afresh again)" : " and replaces it");
            err.flush();
            return null;
        }
        JsonNode parsed;
        try {
            parsed = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            return ignored("it is not readable JSON (" + e.getOriginalMessage().lines().findFirst().orElse("") + ")");
        } catch (IOException e) { // not the content: the file itself (permissions, a device error)
            return ignored("it cannot be read (" + io.circuitscope.core.io.ReadErrors.describe(e) + ")");
        }
        if (parsed == null || !SCHEMA.equals(parsed.path("schema").asText())) {
            return ignored("its schema is not " + SCHEMA);
        }
        String differs = firstDifference("fingerprint", parsed.get("fingerprint"), fingerprint);
        if (differs != null) {
            return ignored("it is of another run (" + differs + ")");
        }
        if (!parsed.path("state_sha256").asText().equals(Hashes.sha256(stateText(parsed)))) {
            return ignored("its state does not match its checksum (edited or damaged)");
        }
        String stage = parsed.path("stage").asText(STAGE_ACDC);
        if (!stage.equals(STAGE_ACDC) && !stage.equals(STAGE_EXACT)) {
            return ignored("its 'stage' is " + parsed.get("stage") + ", not '" + STAGE_ACDC + "' or '" + STAGE_EXACT + "'");
        }
        root = parsed;
        return root;
    }

    @Override
    public AcdcState resume(boolean[] candidates) {
        JsonNode checked = checkedRoot();
        if (checked == null || checked.path("stage").asText(STAGE_ACDC).equals(STAGE_EXACT)) {
            return null; // nothing, or only the exact effects of a run stopped before its ACDC
        }
        AcdcState state;
        try {
            state = read(checked, candidates == null ? fingerprint.path(GRAPH).path(GRAPH_EDGES).asInt(-1)
                    : candidates.length, fingerprint.path(GRAPH).path(GRAPH_DESTINATIONS).asInt(Integer.MAX_VALUE));
        } catch (RuntimeException e) {
            return ignored("its state is not one this run can go on from (" + e.getMessage() + ")");
        }
        if (!Arrays.equals(state.candidates(), candidates)) {
            return ignored("it verified other candidates");
        }
        resumedTried = state.tried();
        err.printf(Locale.ROOT, "note: resuming ACDC from %s: %d edges decided there%n", file, state.tried());
        err.flush();
        return state;
    }

    /** The exact effects the file holds (exhaustive patching's, whole layers), NaN where not patched; null if none. */
    @Override
    public double[] resume(int edges) {
        JsonNode checked = checkedRoot();
        if (checked == null || !checked.has("exact_patched")) {
            return null;
        }
        double[] effects;
        try {
            effects = readExact(checked, edges);
        } catch (RuntimeException e) {
            root = null; // a file partly wrong is no file to go on from, for ACDC either
            ignored("its exact effects are not ones this run can go on from (" + e.getMessage() + ")");
            return null;
        }
        exactEffects = effects.clone();
        resumedExact = Arrays.stream(effects).filter(v -> !Double.isNaN(v)).count();
        err.printf(Locale.ROOT, "note: resuming exact patching from %s: %d of %d edges patched there%n", file,
                resumedExact, edges);
        err.flush();
        return effects;
    }

    /** Exhaustive patching's effects after one more layer: written at once (a layer of GPT-2 small takes minutes). */
    @Override
    public void record(double[] effects) {
        exactEffects = effects.clone();
        write(null, clock.getAsLong());
    }

    /** Exact effects patched before this run resumed; -1 when it patched every edge itself. */
    public long resumedExact() {
        return resumedExact;
    }

    @Override
    public void record(AcdcState state) {
        long now = clock.getAsLong();
        if (!recording || (state.nextDestination() >= 0 && now - lastWrite < gapNanos)) {
            return;
        }
        write(state, now);
    }

    /** Whether {@link #record} would write a state offered now: the search builds none otherwise. */
    @Override
    public boolean due() {
        return recording && clock.getAsLong() - lastWrite >= gapNanos;
    }

    /**
     * Writes ACDC's state (null: none yet, only the exact effects), with the exact effects when there are any;
     * {@code now} is when the write began, by {@link #clock}.
     */
    private void write(AcdcState state, long now) {
        if (!recording) {
            return;
        }
        try {
            AtomicFile.write(file, f -> JSON.writerWithDefaultPrettyPrinter().writeValue(f.toFile(), toJson(state)));
        } catch (IOException | UncheckedIOException e) {
            // the search itself is sound: losing its record must not lose its result
            recording = false;
            err.printf(Locale.ROOT, "note: could not record the run's progress in %s (%s); the run goes on without it "
                    + "(an interruption would start it afresh)%n", file, e.getMessage());
            err.flush();
        }
        long done = clock.getAsLong();
        if (intervalNanos > 0) { // 0: every destination, as tests ask
            gapNanos = Math.max(intervalNanos, (long) ((done - now) / MAX_WRITE_SHARE));
        }
        lastWrite = done;
    }

    /**
     * Removes the file: the run's results are written. A folder or other non-file of that name is not this run's
     * and is left alone; a file that cannot be removed is said to be left, not an error after the results are safe.
     */
    public void delete() {
        try {
            if (Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    || Files.isSymbolicLink(file)) {
                Files.deleteIfExists(file);
            }
            deleteLeftovers();
        } catch (IOException e) {
            err.printf(Locale.ROOT, "note: could not remove %s (%s): remove it by hand%n", file, e.getMessage());
            err.flush();
        }
    }

    /**
     * The temporaries of this file a killed run left ({@code .progress.json.RANDOM.tmp}, see {@link AtomicFile}):
     * a kill during a write leaves one, up to a megabyte for GPT-2 small, and nothing else removes them.
     */
    private void deleteLeftovers() throws IOException {
        Path folder = file.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            return;
        }
        String prefix = "." + file.getFileName() + ".";
        try (java.util.stream.Stream<Path> files = Files.list(folder)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith(prefix) && name.endsWith(".tmp")
                        && Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private <T> T ignored(String why) {
        err.printf(Locale.ROOT, "note: not resuming from %s: %s; this run starts afresh and replaces it%n", file, why);
        err.flush();
        return null;
    }

    private ObjectNode toJson(AcdcState s) {
        ObjectNode root = JSON.createObjectNode();
        root.put("schema", SCHEMA);
        root.put("about", "An unfinished run's progress (ACDC's state, exact effects): the same command again goes on from here; "
                + "removed once the run's circuit.json is written");
        root.set("fingerprint", fingerprint);
        root.put("stage", s == null ? STAGE_EXACT : STAGE_ACDC);
        if (exactEffects != null) {
            ArrayNode patched = root.putArray("exact_patched");
            ArrayNode values = root.putArray("exact_effects");
            for (int i = 0; i < exactEffects.length; i++) {
                if (!Double.isNaN(exactEffects[i])) {
                    patched.add(i);
                    values.add(Double.toString(exactEffects[i]));
                }
            }
        }
        if (s == null) {
            root.put("edges", exactEffects.length);
            root.put("state_sha256", Hashes.sha256(stateText(root)));
            return root;
        }
        root.put("edges", s.keep().length);
        if (s.candidates() == null) {
            root.putNull("candidates");
        } else {
            root.set("candidates", indices(s.candidates()));
        }
        root.put("next_destination", s.nextDestination());
        root.set("kept", indices(s.keep()));
        ArrayNode tried = root.putArray("tried");
        ArrayNode effects = root.putArray("effects");
        double[] e = s.effects();
        for (int i = 0; i < e.length; i++) {
            if (!Double.isNaN(e[i])) {
                tried.add(i);
                effects.add(Double.toString(e[i])); // as text: exact, and infinities survive
            }
        }
        root.put("current", Double.toString(s.current()));
        root.put("tried_count", s.tried());
        root.put("evaluated_count", s.evaluated());
        root.put("removed_count", s.removed());
        root.put("state_sha256", Hashes.sha256(stateText(root)));
        return root;
    }

    /** The fields a resumed search reads, as one text: its checksum tells a damaged or edited file from a whole one. */
    static String stateText(JsonNode root) {
        StringBuilder text = new StringBuilder();
        for (String field : STATE_FIELDS) {
            text.append(field).append('=').append(root.path(field).toString()).append('\n');
        }
        return text.toString();
    }

    private static final List<String> STATE_FIELDS = List.of("fingerprint", "edges", "candidates", "next_destination",
            "kept", "tried", "effects", "current", "tried_count", "evaluated_count", "removed_count", "stage",
            "exact_patched", "exact_effects");

    /** The exact effects of whole layers, checked as ACDC's are: indices in range, each once, every value a number. */
    private static double[] readExact(JsonNode root, int graphEdges) {
        int edges = (int) integer(root, "edges", 0, Integer.MAX_VALUE - 8);
        if (edges != graphEdges) {
            throw new IllegalArgumentException("'edges' is " + edges + ", this run's graph has " + graphEdges);
        }
        JsonNode patched = root.get("exact_patched");
        JsonNode values = root.get("exact_effects");
        if (patched == null || values == null || !patched.isArray() || !values.isArray()
                || patched.size() != values.size()) {
            throw new IllegalArgumentException("'exact_patched' and 'exact_effects' must be lists of one length");
        }
        double[] effects = new double[edges];
        Arrays.fill(effects, Double.NaN);
        for (int i = 0; i < patched.size(); i++) {
            int e = index(patched.get(i), edges);
            if (!Double.isNaN(effects[e])) {
                throw new IllegalArgumentException("edge " + e + " is listed twice in 'exact_patched'");
            }
            effects[e] = number(values.get(i), "exact_effects[" + i + "]");
        }
        return effects;
    }

    /**
     * The state the file holds, checked whole: a file whose checksum matches but whose state a search could not have
     * written (a counter that is text or missing, an effect that is no number, counts that disagree with the lists) is
     * refused, never read as zeros or defaults.
     */
    private static AcdcState read(JsonNode root, int graphEdges, int destinations) {
        int edges = (int) integer(root, "edges", 0, Integer.MAX_VALUE - 8);
        if (graphEdges >= 0 && edges != graphEdges) {
            throw new IllegalArgumentException("'edges' is " + edges + ", this run's graph has " + graphEdges);
        }
        int next = (int) integer(root, "next_destination", -1, destinations - 1L);
        boolean[] candidates = root.path("candidates").isNull() ? null : flags(root.get("candidates"), edges);
        boolean[] keep = flags(root.get("kept"), edges);
        double[] effects = new double[edges];
        Arrays.fill(effects, Double.NaN);
        JsonNode tried = root.get("tried");
        JsonNode values = root.get("effects");
        if (tried == null || values == null || !tried.isArray() || !values.isArray() || tried.size() != values.size()) {
            throw new IllegalArgumentException("'tried' and 'effects' must be lists of one length");
        }
        for (int i = 0; i < tried.size(); i++) {
            int e = index(tried.get(i), edges);
            double effect = number(values.get(i), "effects[" + i + "]");
            if (!Double.isNaN(effects[e])) {
                throw new IllegalArgumentException("edge " + e + " is listed twice in 'tried'");
            }
            effects[e] = effect;
        }
        for (int e = 0; e < edges; e++) {
            boolean candidate = candidates == null || candidates[e];
            if (!candidate && (keep[e] || !Double.isNaN(effects[e]))) {
                throw new IllegalArgumentException("edge " + e + " is kept or tried but not a candidate");
            }
            if (candidate && Double.isNaN(effects[e]) && !keep[e]) {
                throw new IllegalArgumentException("edge " + e + " is removed but was never tried");
            }
        }
        long triedCount = integer(root, "tried_count", 0, Long.MAX_VALUE);
        if (triedCount != tried.size()) {
            throw new IllegalArgumentException("'tried_count' is " + triedCount + " but " + tried.size()
                    + " edges are listed as tried");
        }
        double current = number(root.get("current"), "current");
        return new AcdcState(candidates, next, keep,
                effects, current, triedCount, integer(root, "evaluated_count", 0, Long.MAX_VALUE),
                integer(root, "removed_count", 0, Long.MAX_VALUE));
    }

    /** A field that must be a whole number in [min, max]: text, a fraction or a missing field is no count. */
    private static long integer(JsonNode root, String field, long min, long max) {
        JsonNode n = root.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw new IllegalArgumentException("'" + field + "' is " + (n == null ? "missing" : n)
                    + ", not a whole number in [" + min + ", " + max + "]");
        }
        return n.asLong();
    }

    /** A number written as text (exact; infinities allowed), or as a JSON number; never NaN, which no tried edge has. */
    private static double number(JsonNode n, String what) {
        if (n == null || !(n.isTextual() || n.isNumber())) {
            throw new IllegalArgumentException("'" + what + "' is " + (n == null ? "missing" : n) + ", not a number");
        }
        double v;
        try {
            v = Double.parseDouble(n.asText());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + what + "' is " + n + ", not a number");
        }
        if (Double.isNaN(v)) {
            throw new IllegalArgumentException("'" + what + "' is NaN");
        }
        return v;
    }

    private static ArrayNode indices(boolean[] flags) {
        ArrayNode out = JSON.createArrayNode();
        for (int i = 0; i < flags.length; i++) {
            if (flags[i]) {
                out.add(i);
            }
        }
        return out;
    }

    private static boolean[] flags(JsonNode list, int n) {
        if (list == null || !list.isArray()) {
            throw new IllegalArgumentException("a list of edge indices is missing");
        }
        boolean[] out = new boolean[n];
        for (JsonNode i : list) {
            out[index(i, n)] = true;
        }
        return out;
    }

    private static int index(JsonNode i, int n) {
        if (!i.canConvertToInt() || !i.isIntegralNumber() || i.asInt() < 0 || i.asInt() >= n) {
            throw new IllegalArgumentException("edge index " + i + " is not in [0, " + n + ")");
        }
        return i.asInt();
    }

    /** The first field where {@code found} differs from {@code expected}, as "PATH: found X, this run has Y"; null if none. */
    static String firstDifference(String path, JsonNode found, JsonNode expected) {
        if (found == null || found.isMissingNode()) {
            return path + " is missing";
        }
        if (expected.isObject() && found.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = expected.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> field = it.next();
                String d = firstDifference(path + "." + field.getKey(), found.get(field.getKey()), field.getValue());
                if (d != null) {
                    return d;
                }
            }
            for (Iterator<String> it = found.fieldNames(); it.hasNext();) {
                String name = it.next();
                if (!expected.has(name)) {
                    return path + "." + name + ": found " + found.get(name) + ", this run has none";
                }
            }
            return null;
        }
        return found.equals(expected) ? null : path + ": found " + found + ", this run has " + expected;
    }
}
