package io.circuitscope.circuits.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Node;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownCircuitsTest {
    @TempDir
    Path dir;

    static Path resource(String name) throws Exception {
        return Path.of(KnownCircuitsTest.class.getResource("/reference/" + name).toURI());
    }

    @Test
    void committedReferenceFilesAreWhatTheSourcesDefine() throws Exception {
        ComputationGraph g = ComputationGraph.of(KnownCircuits.gpt2Small());
        CircuitDocument ioi = CircuitJson.read(resource("gpt2-small-ioi.json"), g);
        assertArrayEquals(KnownCircuits.ioi().circuit().keepMask(), ioi.circuit().keepMask());
        CircuitDocument gt = CircuitJson.read(resource("gpt2-small-greater-than.json"), g);
        assertArrayEquals(KnownCircuits.greaterThan().circuit().keepMask(), gt.circuit().keepMask());
        // the roles in the committed order: built from Set.of, their order changed from one run to the next
        assertEquals(fieldNames(gt.extra().get("roles")), fieldNames(KnownCircuits.greaterThan().extra().get("roles")));
        // byte for byte as KnownCircuits.main writes them (roles aside, whose order is checked above)
        for (String name : new String[] {"gpt2-small-ioi.json", "gpt2-small-greater-than.json"}) {
            CircuitJson.writeTranscribed(dir.resolve(name), name.contains("ioi") ? KnownCircuits.ioi() : KnownCircuits.greaterThan());
            assertEquals(Files.readString(resource(name)), Files.readString(dir.resolve(name)), name);
        }
        JsonNode heads = new ObjectMapper().readTree(resource("translation-heads.json").toFile());
        assertEquals(KnownCircuits.translationHeads(), heads);
    }

    /**
     * The translation heads' note reports the seed's ablation as the seed does: it names no model (the note used to
     * attribute it to Qwen2.5-3B) and calls it not rigorous enough to conclude anything.
     */
    @Test
    void translationHeadsNoteKeepsTheSeedsCaveat() {
        String note = KnownCircuits.translationHeads().get("note").asText();
        assertTrue(!note.contains("Qwen") && !note.contains("Gemma"), note);
        assertTrue(note.contains("not rigorous enough to conclude anything"), note);
    }

    @Test
    void ioiHasTheTwentySixHeadsInSevenClassesAndTheirConnections() {
        CircuitDocument ioi = KnownCircuits.ioi();
        Set<String> heads = ioi.circuit().nodes().stream().filter(n -> n.name().startsWith("a")).map(Node::name)
                .collect(Collectors.toSet());
        assertEquals(26, heads.size(), heads.toString());
        assertEquals(7, KnownCircuits.ioiClasses().size());
        assertTrue(ioi.circuit().contains("a7.h3->a9.h9<q>"), "S-inhibition -> name mover query");
        assertTrue(ioi.circuit().contains("a2.h2->a5.h5<k>"), "previous token -> induction key");
        assertTrue(ioi.circuit().contains("a9.h9->logits"));
        assertTrue(!ioi.circuit().contains("a7.h3->a9.h9<v>") && !ioi.circuit().contains("a5.h5->logits"));
        assertEquals("name mover", ioi.extra().get("roles").get("a9.h9").asText());
        assertTrue(ioi.circuit().contains("m3->a5.h5<q>") && ioi.circuit().contains("m8->a9.h9<q>"),
                "ACDC keeps every MLP -> circuit head edge, on every port");
        assertTrue(!ioi.circuit().contains("input->a9.h9<q>") && !ioi.circuit().contains("m3->a5.h6<q>"),
                "the embedding keeps only its class's ports; heads outside the circuit get nothing");
    }

    /**
     * ACDC's published edge counts (App. F and G: 1,041 for IOI, 262 for Greater-Than) include each
     * circuit head's three q/k/v-to-head edges, which are ports of one node in this graph.
     */
    @Test
    void edgeCountsAreAcdcsPublishedCountsLessTheHeadsInternalEdges() {
        CircuitDocument ioi = KnownCircuits.ioi();
        assertEquals(1041 - 26 * 3, ioi.circuit().edgeCount());
        CircuitDocument gt = KnownCircuits.greaterThan();
        long gtHeads = gt.circuit().nodes().stream().filter(n -> n.name().startsWith("a")).count();
        assertEquals(9, gtHeads);
        assertEquals(262 - 9 * 3, gt.circuit().edgeCount());
    }

    @Test
    void greaterThanHasItsComponents() {
        CircuitDocument gt = KnownCircuits.greaterThan();
        Set<String> nodes = gt.circuit().nodes().stream().map(Node::name).collect(Collectors.toSet());
        assertTrue(nodes.containsAll(Set.of("a0.h1", "a5.h5", "a9.h1", "m9", "m10", "logits", "input")), nodes.toString());
        assertTrue(gt.circuit().contains("m9->logits") && gt.circuit().contains("a6.h9->m9"));
        assertTrue(nodes.containsAll(Set.of("m4", "m5", "m6", "m7")), "ACDC's MLPs before the year heads");
        assertTrue(gt.circuit().contains("m5->a9.h1<q>") && gt.circuit().contains("m4->m8"));
        assertTrue(!gt.circuit().contains("m5->a9.h1<k>") && !gt.circuit().contains("m5->m9")
                && !gt.circuit().contains("a0.h3->m1"));
    }

    private static java.util.List<String> fieldNames(JsonNode object) {
        java.util.List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
