package io.circuitscope.circuits.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.core.graph.Circuit;
import java.nio.file.Path;
import java.util.TreeSet;

/**
 * Checks that a reference circuit committed under {@code src/main/resources/reference/} is what
 * training the toy model again produces (training is deterministic for a seed), so the resource
 * cannot silently go stale when the task, model or rule changes.
 */
final class CommittedReference {
    private CommittedReference() {
    }

    static void assertSameEdges(String resource, Circuit trained) throws Exception {
        Path file = Path.of(CommittedReference.class.getResource("/reference/" + resource).toURI());
        Circuit committed = CircuitJson.read(file, trained.graph()).circuit();
        assertEquals(new TreeSet<>(committed.edgeNames()), new TreeSet<>(trained.edgeNames()),
                resource + " differs from the circuit the training produced now: regenerate it with the command "
                        + "recorded inside");
    }
}
