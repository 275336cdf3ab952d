package io.circuitscope.circuits.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.circuitscope.circuits.run.ExactEffectsStore;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.model.ModelConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExactEffectsFileTest {
    @TempDir
    Path dir;
    final ComputationGraph graph = ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 2, 2, 16, 10, 8).build());
    final ExactEffectsFile.Identity identity = new ExactEffectsFile.Identity("m", "cafe", "beef", "logit_diff", "resample",
            2.5, -1.25);

    /** Found by CircuitFileFuzzTest: 1e999 was read as an effect of infinity, ranked first by every recall. */
    @Test
    void anEffectBeyondADoubleIsRefusedNamingItsEdge() throws Exception {
        Path file = dir.resolve("exact.json");
        double[] edges = new double[graph.nEdges()];
        edges[0] = 0.25;
        new ExactEffectsFile(file, graph, identity).save(new ExactEffectsStore.Stored(edges, null));
        String name = graph.edges().get(0).name();
        assertEquals(0.25, new ExactEffectsFile(file, graph, identity).load(graph.nEdges()).edges()[0]);
        Files.writeString(file, Files.readString(file).replace("\"" + name + "\" : 0.25", "\"" + name + "\" : 1e999"));
        ExactEffectsFileException e = assertThrows(ExactEffectsFileException.class,
                () -> new ExactEffectsFile(file, graph, identity).load(graph.nEdges()));
        assertEquals(file.toAbsolutePath() + ": field 'edge_effects." + name + "' must be a finite number, got Infinity",
                e.getMessage());
    }
}
