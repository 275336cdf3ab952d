package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.EdgeScores;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.testing.FileMutations;
import io.circuitscope.core.testing.FileMutations.Mutated;
import io.circuitscope.core.testing.FuzzCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzz tests of the circuit reader: a valid circuit.json (or EAP-IG graph file), damaged at random, is either read or
 * refused with a {@link CircuitFileException} whose message names the file and carries no Java class names; never
 * another exception or a hang. Seeds are fixed, so every run tries the same cases (set FUZZ_REPORT to print every
 * problem found instead of stopping at the first).
 */
class CircuitFileFuzzTest {
    private static final ComputationGraph GRAPH =
            ComputationGraph.of(ModelConfig.builder("gpt2").setSizes(8, 2, 2, 16, 10, 8).build());
    private static Path dir;
    private static byte[] plain;
    private static byte[] byPosition;
    private static byte[] eapIg;

    @BeforeContainer
    static void writeValidFiles() throws Exception {
        dir = Files.createTempDirectory("cs-circuit-fuzz");
        double[] scores = new double[GRAPH.nEdges()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = i % 4 == 0 ? Double.NaN : (i % 2 == 0 ? -1 : 1) * 0.01 * i;
        }
        Circuit c = Circuit.ofEdgeNames(GRAPH, List.of("a0.h1->a1.h0<k>", "a1.h0->logits", "input->a0.h1<q>"))
                .withScores(new EdgeScores(GRAPH, scores));
        ObjectMapper json = new ObjectMapper();
        Path file = dir.resolve("valid.json");
        CircuitJson.write(file, new CircuitDocument(c, Map.of("name", "tiny", "n_layers", 2, "n_heads", 2, "d_model", 8),
                Map.of("name", "t", "hash", "ab"), Map.of("key", "acdc", "seed", 3), Map.of("clean", 2.5),
                Map.of("validation", json.readTree("{\"faithfulness\": 0.9, \"passed\": true}"))));
        plain = Files.readAllBytes(file);

        ComputationGraph split = ComputationGraph.byPosition(GRAPH.config(), 2);
        double[] s2 = new double[split.nEdges()];
        double[] importance = new double[split.nEdges()];
        boolean[] keep = new boolean[split.nEdges()];
        for (int i = 0; i < s2.length; i++) {
            s2[i] = 0.125 + i * 0.01;
            importance[i] = s2[i] + 0.5;
            keep[i] = i % 5 == 1;
        }
        double[] nodeImportance = new double[split.nSources()];
        java.util.Arrays.fill(nodeImportance, 0.75);
        CircuitJson.write(file, new CircuitDocument(Circuit.of(split, keep, EdgeScores.ranked(split, s2, importance,
                nodeImportance)), Map.of("n_layers", 2, "n_heads", 2), Map.of("name", "t"), Map.of("key", "atp-star"),
                Map.of(), Map.of()));
        byPosition = Files.readAllBytes(file);

        EapIgGraphJsonTest.writeEapIgFile(file, 2, 2, false, Set.of("a0.h1->logits", "input->a0.h1<q>"), "a1.h0->logits");
        eapIg = Files.readAllBytes(file);
    }

    @AfterContainer
    static void deleteFiles() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Runs {@code read}; a failure must be a CircuitFileException naming {@code file}, in words. */
    static void readOrRefuse(String what, Path file, Consumer<Path> read) {
        FuzzCheck.readOrRefuse(what, CircuitFileException.class, FuzzCheck.namesInWords(file), () -> read.accept(file));
    }

    @Property(tries = 400, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261214")
    void damagedCircuitFileIsReadOrRefusedNamingTheFile(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        int which = rng.nextInt(3);
        byte[] valid = which == 0 ? plain : which == 1 ? byPosition : eapIg;
        Mutated m = rng.nextInt(4) == 0 ? FileMutations.bytes(valid, rng)
                : FileMutations.json(new String(valid, StandardCharsets.UTF_8), rng);
        Path file = Files.write(dir.resolve("circuit.json"), m.bytes());
        boolean withModel = rng.nextBoolean();
        readOrRefuse("seed " + seed + " (" + new String[] {"circuitscope", "by position", "EAP-IG"}[which]
                + (withModel ? ", with the model's graph" : "") + "): " + m.what(), file,
                f -> {
                    if (withModel) {
                        CircuitJson.read(f, GRAPH);
                    } else {
                        CircuitJson.read(f);
                    }
                });
    }

    /** compare-scorers' --exact-cache file, rewritten after every batch of patches and read when a comparison resumes. */
    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261218")
    void damagedExactEffectsFileIsReadOrRefusedNamingIt(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        ExactEffectsFile.Identity identity = new ExactEffectsFile.Identity("m", "cafe", "beef", "logit_diff", "resample",
                2.5, -1.25);
        Path file = dir.resolve("exact.json");
        Files.deleteIfExists(file);
        double[] edges = new double[GRAPH.nEdges()];
        for (int i = 0; i < edges.length; i++) {
            edges[i] = i % 3 == 0 ? Double.NaN : 0.01 * i;
        }
        double[] nodes = new double[GRAPH.nSources()];
        java.util.Arrays.fill(nodes, 0.5);
        new ExactEffectsFile(file, GRAPH, identity).save(new io.circuitscope.circuits.run.ExactEffectsStore.Stored(edges,
                rng.nextBoolean() ? nodes : null));
        byte[] valid = Files.readAllBytes(file);
        Mutated m = rng.nextInt(4) == 0 ? FileMutations.bytes(valid, rng)
                : FileMutations.json(new String(valid, StandardCharsets.UTF_8), rng);
        Files.write(file, m.bytes());
        String what = "seed " + seed + ": " + m.what();
        FuzzCheck.readOrRefuse(what, ExactEffectsFileException.class, FuzzCheck.namesInWords(file), () -> {
            var stored = new ExactEffectsFile(file, GRAPH, identity).load(GRAPH.nEdges());
            for (double e : stored.edges()) {
                if (Double.isInfinite(e)) {
                    FuzzCheck.report(what + ": an infinite effect was read");
                }
            }
        });
    }
}
