package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.Hashes;
import io.circuitscope.discovery.AcdcState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A progress file is resumed from only when it holds a state a search could have written, effects exact; a file whose
 * checksum matches but whose state is of the wrong shape (a bug's, or a hand edit that recomputed the checksum) is
 * refused with a note naming the file, never read as zeros or defaults, and never thrown out of {@code resume}.
 */
class ProgressFileTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static Map<String, Object> fingerprint() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("model", "m");
        f.put("tau", 0.01);
        f.put(ProgressFile.GRAPH, Map.of(ProgressFile.GRAPH_EDGES, 10, ProgressFile.GRAPH_DESTINATIONS, 5));
        return f;
    }

    /** 10 edges, the last four tried (two removed), edges 0..5 not yet tried and so kept. */
    private static AcdcState state() {
        boolean[] keep = {true, true, true, true, true, true, true, false, false, true};
        double[] effects = {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.5, -0.0,
            Double.NEGATIVE_INFINITY, 0.1 + 0.2};
        return new AcdcState(null, 3, keep, effects, 1.2345678901234567, 4, 4, 2);
    }

    private record Outcome(AcdcState state, String err) {
    }

    /** Writes {@link #state()}, edits the file, with its checksum made to match again when {@code reseal}, resumes. */
    private Outcome resumeAfter(Consumer<ObjectNode> edit, boolean reseal) throws Exception {
        Path file = dir.resolve(ProgressFile.NAME);
        new ProgressFile(file, fingerprint(), new PrintWriter(new StringWriter()), 0).record(state());
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(root);
        if (reseal) {
            root.put("state_sha256", Hashes.sha256(ProgressFile.stateText(root)));
        }
        JSON.writeValue(file.toFile(), root);
        StringWriter err = new StringWriter();
        AcdcState resumed = new ProgressFile(file, fingerprint(), new PrintWriter(err), 0).resume(null);
        return new Outcome(resumed, err.toString());
    }

    @Test
    void aWholeFileGivesBackTheStateExactly() throws Exception {
        Outcome o = resumeAfter(root -> { }, false);
        assertNotNull(o.state(), o.err());
        AcdcState s = state();
        assertArrayEquals(s.keep(), o.state().keep());
        assertArrayEquals(s.effects(), o.state().effects(), "effects bit for bit, -0.0 and infinities too");
        assertEquals(Double.doubleToRawLongBits(s.current()), Double.doubleToRawLongBits(o.state().current()));
        assertEquals(3, o.state().nextDestination());
        assertEquals(4, o.state().tried());
        assertEquals(2, o.state().removed());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"next_destination as text", "next_destination missing", "next_destination 2.5",
        "tried_count disagrees", "tried_count negative", "tried_count as text", "effect NaN", "effect not a number",
        "current NaN", "current missing", "an untried edge removed", "an edge tried twice", "index huge",
        "edges as text", "edges negative", "kept not a list", "edges other than the graph's",
        "next_destination past the graph's"})
    void aStateOfTheWrongShapeIsRefusedWithANoteEvenWhenItsChecksumMatches(String damage) throws Exception {
        Consumer<ObjectNode> edit = root -> {
            switch (damage) {
                case "next_destination as text" -> root.put("next_destination", "3");
                case "next_destination missing" -> root.remove("next_destination");
                case "next_destination 2.5" -> root.put("next_destination", 2.5);
                case "tried_count disagrees" -> root.put("tried_count", 3);
                case "tried_count negative" -> root.put("tried_count", -4);
                case "tried_count as text" -> root.put("tried_count", "4");
                case "effect NaN" -> ((ArrayNode) root.get("effects")).set(0, "NaN");
                case "effect not a number" -> ((ArrayNode) root.get("effects")).set(0, "0.5x");
                case "current NaN" -> root.put("current", "NaN");
                case "current missing" -> root.remove("current");
                case "an untried edge removed" -> ((ArrayNode) root.get("kept")).remove(0);
                case "an edge tried twice" -> {
                    ((ArrayNode) root.get("tried")).set(1, 6);
                }
                case "index huge" -> ((ArrayNode) root.get("kept")).add(1_000_000_000_000L);
                case "edges as text" -> root.put("edges", "10");
                case "edges negative" -> root.put("edges", -10);
                case "kept not a list" -> root.put("kept", "0,1,2");
                case "edges other than the graph's" -> {
                    root.put("edges", 11);
                    ((ArrayNode) root.get("kept")).add(10);
                }
                case "next_destination past the graph's" -> root.put("next_destination", 5);
                default -> throw new IllegalArgumentException(damage);
            }
        };
        for (boolean reseal : new boolean[] {false, true}) {
            Outcome o = resumeAfter(edit, reseal);
            assertNull(o.state(), damage + (reseal ? " (checksum recomputed)" : "") + ": resumed from");
            assertTrue(o.err().contains("note: not resuming from " + dir.resolve(ProgressFile.NAME) + ": "),
                    o.err());
            assertTrue(o.err().contains(reseal ? "its state is not one this run can go on from" : "checksum"),
                    o.err());
        }
    }

    /** Exact effects of 10 edges, two layers' worth patched (edges 6..9), -0.0 and an infinity among them. */
    private static double[] exactEffects() {
        return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0.25, -0.0,
            Double.POSITIVE_INFINITY, 0.1 + 0.2};
    }

    /** Writes {@link #exactEffects()} (and then ACDC's state, when asked), edits, reseals, and resumes both. */
    private record Both(double[] exact, AcdcState acdc, String err) {
    }

    private Both resumeBothAfter(boolean withAcdc, Consumer<ObjectNode> edit) throws Exception {
        Path file = dir.resolve(ProgressFile.NAME);
        ProgressFile writer = new ProgressFile(file, fingerprint(), new PrintWriter(new StringWriter()), 0);
        writer.record(exactEffects());
        if (withAcdc) {
            writer.record(state());
        }
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        edit.accept(root);
        root.put("state_sha256", Hashes.sha256(ProgressFile.stateText(root)));
        JSON.writeValue(file.toFile(), root);
        StringWriter err = new StringWriter();
        ProgressFile reader = new ProgressFile(file, fingerprint(), new PrintWriter(err), 0);
        double[] exact = reader.resume(10);
        AcdcState acdc = reader.resume(null);
        return new Both(exact, acdc, err.toString());
    }

    @Test
    void exactEffectsComeBackExactlyAloneAndBesideAcdcsState() throws Exception {
        Both alone = resumeBothAfter(false, root -> { });
        assertArrayEquals(exactEffects(), alone.exact(), "bit for bit, -0.0 and infinities too: " + alone.err());
        assertNull(alone.acdc(), "no ACDC state before ACDC began");
        assertTrue(alone.err().contains("note: resuming exact patching from " + dir.resolve(ProgressFile.NAME)
                + ": 4 of 10 edges patched there"), alone.err());
        assertFalse(alone.err().contains("not resuming"), alone.err());

        Both both = resumeBothAfter(true, root -> { });
        assertArrayEquals(exactEffects(), both.exact(), both.err());
        assertNotNull(both.acdc(), both.err());
        assertArrayEquals(state().keep(), both.acdc().keep());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"an index twice", "an index out of range", "a value NaN", "a value not a number",
        "lists of two lengths", "edges other than the graph's", "a stage unknown"})
    void exactEffectsOfTheWrongShapeAreRefusedForBothStages(String damage) throws Exception {
        Both o = resumeBothAfter(true, root -> {
            ArrayNode patched = (ArrayNode) root.get("exact_patched");
            ArrayNode values = (ArrayNode) root.get("exact_effects");
            switch (damage) {
                case "an index twice" -> patched.set(1, patched.get(0));
                case "an index out of range" -> patched.set(0, 10);
                case "a value NaN" -> values.set(0, "NaN");
                case "a value not a number" -> values.set(0, "x");
                case "lists of two lengths" -> values.remove(0);
                case "edges other than the graph's" -> root.put("edges", 11);
                case "a stage unknown" -> root.put("stage", "scoring");
                default -> throw new IllegalArgumentException(damage);
            }
        });
        assertNull(o.exact(), damage + ": resumed the exact effects from " + o.err());
        assertNull(o.acdc(), damage + ": resumed ACDC from a file partly wrong: " + o.err());
        assertTrue(o.err().contains("note: not resuming from " + dir.resolve(ProgressFile.NAME) + ": "), o.err());
        assertEquals(1, o.err().split("not resuming", -1).length - 1, "one note: " + o.err());
    }

    @Test
    void aCutShortOrEmptyFileIsRefusedWithANote() throws Exception {
        Path file = dir.resolve(ProgressFile.NAME);
        new ProgressFile(file, fingerprint(), new PrintWriter(new StringWriter()), 0).record(state());
        String whole = Files.readString(file);
        for (String text : new String[] {whole.substring(0, whole.length() / 2), "", "[1, 2]", "\"text\"", "null"}) {
            Files.writeString(file, text);
            StringWriter err = new StringWriter();
            assertNull(new ProgressFile(file, fingerprint(), new PrintWriter(err), 0).resume(null), text);
            assertTrue(err.toString().contains("note: not resuming from " + file + ": "), err.toString());
        }
    }

    @Test
    void aSlowWriteSpacesTheNextOneSoWritingTakesAtMostItsShare() throws Exception {
        // a clock the test moves: the first write runs from 6 s to 8 s
        long[] slow = {0};
        int[] calls = {0};
        Path slowFile = dir.resolve("slow").resolve(ProgressFile.NAME);
        ProgressFile slowProgress = new ProgressFile(slowFile, fingerprint(),
                new PrintWriter(new StringWriter()), 5.0, () -> {
                    calls[0]++;
                    return slow[0] + (calls[0] == 3 ? 2_000_000_000L : 0); // the third reading ends the first write
                });
        slow[0] = 6_000_000_000L;
        slowProgress.record(state()); // written from 6 s to 8 s
        assertEquals(3, JSON.readTree(slowFile.toFile()).get("next_destination").asInt());
        AcdcState later = new AcdcState(null, 2, state().keep(), state().effects(), state().current(), 4, 4, 2);
        slow[0] = 20_000_000_000L; // 12 s after the write ended: past the 5 s interval, not past 20 times 2 s
        slowProgress.record(later);
        assertEquals(3, JSON.readTree(slowFile.toFile()).get("next_destination").asInt(), "not written yet");
        slow[0] = 49_000_000_000L; // 41 s after: past 40 s
        slowProgress.record(later);
        assertEquals(2, JSON.readTree(slowFile.toFile()).get("next_destination").asInt(), "written");
        AcdcState done = new AcdcState(null, -1, state().keep(), state().effects(), state().current(), 4, 4, 2);
        slow[0] = 50_000_000_000L;
        slowProgress.record(done);
        assertEquals(-1, JSON.readTree(slowFile.toFile()).get("next_destination").asInt(), "the last state always");
    }
}
