package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareScorersCommandTest {
    @TempDir
    Path dir;

    /**
     * The planted IOI model's q/k edges into layer 2 are attention saturation that EAP cannot see
     * (its scores there are below 1e-20) and AtP*'s QK fix recovers exactly; the command must report that.
     */
    @Test
    void comparesEveryScorerWithExactPatchingAndWritesTheNumbers() throws Exception {
        Path file = dir.resolve("comparison.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "16", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("exact patching of 262 edges, 15 component nodes and the input: "), r.out());
        assertTrue(r.out().contains("(262 edges, 15 component nodes; "), "the caption counts alike: " + r.out());
        assertTrue(r.out().contains("atp-star at least eap on Pearson and Spearman (point values): edges yes"), r.out());
        assertTrue(r.out().contains("atp-star's edges and nodes by the larger of |score| and GradDrop"),
                "the table says how AtP* ranks: " + r.out());
        assertTrue(r.out().contains("atp-star minus eap, 95% bootstrap intervals (edges and nodes resampled): edge Pearson +"),
                r.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals(262, json.get("edges").asInt());
        for (String scorer : new String[] {"eap", "eap-ig", "atp-star", "relp"}) {
            JsonNode s = json.get("scorers").get(scorer);
            assertTrue(s != null && s.get("edge_spearman").isNumber(), scorer + " missing: " + json);
            assertEquals(12, s.get("top_edges").asInt(), "12 edges of the planted model have an exact effect");
        }
        double threshold = 1e-3 * Math.abs(json.get("clean").asDouble() - json.get("corrupted").asDouble());
        JsonNode material = json.get("scorers").get("relp").get("material_edges");
        assertEquals(threshold, material.get("threshold").asDouble(), 1e-12, "0.1% of the task's effect");
        assertTrue(material.get("edges").asInt() >= 3 && material.get("edges").asInt() <= 12,
                "only the planted circuit's 12 edges can matter: " + material);
        assertTrue(json.get("scorers").get("relp").get("minus_eap").has("material_edge_spearman"), json.toString());
        // the gaps from EAP are differences of correlations with the exact effects, the material ones over the
        // material edges only (the 12 planted edges, each far above 0.1% of the effect)
        JsonNode eapJson = json.get("scorers").get("eap");
        for (String scorer : new String[] {"eap-ig", "atp-star", "relp"}) {
            JsonNode s = json.get("scorers").get(scorer);
            JsonNode gaps = s.get("minus_eap");
            assertEquals(12, s.get("material_edges").get("edges").asInt(), scorer + ": " + s);
            for (String c : new String[] {"pearson", "spearman"}) {
                assertEquals(s.get("material_edges").get(c).asDouble() - eapJson.get("material_edges").get(c).asDouble(),
                        gaps.get("material_edge_" + c).get("difference").asDouble(), 1e-12, scorer + " material " + c);
                assertEquals(s.get("edge_" + c).asDouble() - eapJson.get("edge_" + c).asDouble(),
                        gaps.get("edge_" + c).get("difference").asDouble(), 1e-12, scorer + " edge " + c);
                assertEquals(s.get("node_" + c).asDouble() - eapJson.get("node_" + c).asDouble(),
                        gaps.get("node_" + c).get("difference").asDouble(), 1e-12, scorer + " node " + c);
            }
        }
        assertEquals(12, eapJson.get("material_edges").get("edges").asInt());
        JsonNode starGaps = json.get("scorers").get("atp-star").get("minus_eap");
        assertTrue(Math.abs(starGaps.get("material_edge_pearson").get("difference").asDouble()
                - starGaps.get("edge_pearson").get("difference").asDouble()) > 0.01,
                "over the material edges AtP*'s lead differs from that over every edge: " + starGaps);
        assertTrue(r.out().contains("edges that matter (|exact effect| >= "), r.out());
        double eap = json.get("scorers").get("eap").get("edge_pearson").asDouble();
        double star = json.get("scorers").get("atp-star").get("edge_pearson").asDouble();
        assertTrue(star > eap + 0.2, "QK fix: AtP* edge Pearson " + star + " vs EAP " + eap);
    }

    /** Split by position, the planted induction model's edges still rank as exact patching ranks them. */
    @Test
    void comparesPositionAwareScores() {
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", "planted:induction", "--examples", "8",
                "--by-position", "--scorers", "eap,atp-star", "--top-nodes", "5"); // of its 10 component nodes
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("exact patching of (\\d+) edges").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Integer.parseInt(m.group(1)) > 1000, "edges split by position: " + r.out());
        // every (source, destination) pair split into one edge per token: layer l's q, k and v inputs read the
        // input and the earlier layers' heads and MLPs, its MLP those and the layer's heads, the logits every source
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("induction");
        io.circuitscope.core.model.ModelConfig config = planted.config();
        int heads = config.nHeads();
        int pairs = 0;
        for (int l = 0; l < config.nLayers(); l++) {
            int before = 1 + l * (heads + 1);
            pairs += 3 * heads * before + before + (config.parallelAttnMlp() ? 0 : heads);
        }
        pairs += 1 + config.nLayers() * (heads + 1);
        int positions = planted.task(0, 8).commonLength("a position-aware graph");
        assertEquals(pairs * positions, Integer.parseInt(m.group(1)), pairs + " pairs x " + positions + " positions: " + r.out());
        java.util.regex.Matcher auc = java.util.regex.Pattern.compile("(?m)^atp-star\\s+([0-9.]+)").matcher(r.out());
        assertTrue(auc.find() && Double.parseDouble(auc.group(1)) > 0.9, r.out());
    }

    /** --exact-edges patches the scorers' top edges and a seeded sample of the others, and says what that means. */
    @Test
    void aSampleOfExactEdgesIsReportedAsASample() throws Exception {
        Path file = dir.resolve("sampled.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60", "--top-edges", "5",
                "--scorers", "eap,atp-star", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("exact patching of (\\d+) of 262 edges \\(every "
                + "scorer's top 10 and a uniform sample of 60 others, seed 1\\), 15 component nodes and the input: ")
                .matcher(r.out());
        // the caption under the table counts the same nodes in the same words
        assertTrue(r.out().contains("(262 edges, 15 component nodes; "), r.out());
        assertTrue(m.find(), r.out());
        int patched = Integer.parseInt(m.group(1));
        assertTrue(patched >= 70 && patched <= 80, "60 sampled plus the union of two top 10s: " + patched);
        assertEquals(60 + unionOfTopEdges(10, "eap", "atp-star"), patched, "60 sampled plus the union of two top 10s");
        // the planted model's 12 edges with an effect are all in the scorers' top 10s or below the top 5's threshold
        assertTrue(r.out().contains("0 of the 60 drawn edges reach it, so at most 10 of the " + (262 - patched)
                + " unpatched edges do (95%, Clopper-Pearson)"), r.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals(patched, json.get("exact_edges").asInt());
        assertEquals(60, json.get("top_edge_coverage").get("sampled_others").asInt());
        JsonNode eap = json.get("scorers").get("eap");
        assertTrue(eap.get("auc").asDouble() > 0.9 && eap.get("top_edges").asInt() == 5, eap.toString());
        assertTrue(eap.get("edge_pearson").isNumber() && eap.get("node_pearson").isNumber(), eap.toString());
        assertTrue(json.get("scorers").get("atp-star").get("minus_eap").get("node_pearson").get("difference").isNumber(),
                json.toString());
        assertEquals(2, CliRun.run("compare-scorers", "--quiet", "--exact-edges", "0").code());
    }

    /** How many edges are in the union of the scorers' top {@code k} (by their importance, ties by index) on planted:ioi's 8 examples. */
    private static int unionOfTopEdges(int k, String... scorers) {
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("ioi");
        java.util.Set<Integer> union = new java.util.TreeSet<>();
        try (io.circuitscope.core.model.HookedTransformer model = planted.build();
             io.circuitscope.core.graph.TaskPatcher tp = new io.circuitscope.core.graph.TaskPatcher(
                     new io.circuitscope.core.graph.EdgePatcher(model), planted.task(0, 8),
                     io.circuitscope.core.task.Metrics.LOGIT_DIFF, io.circuitscope.core.graph.Ablation.RESAMPLE, 32)) {
            for (String key : scorers) {
                double[] importance = io.circuitscope.discovery.Methods.scorer(key, 5)
                        .score(tp, io.circuitscope.core.progress.Progress.NONE).importances();
                java.util.stream.IntStream.range(0, importance.length).boxed()
                        .sorted(java.util.Comparator.<Integer>comparingDouble(i -> -importance[i]).thenComparingInt(i -> i))
                        .limit(k).forEach(union::add);
            }
        }
        return union.size();
    }

    /**
     * The node correlation and recall columns, recomputed here: node Pearson and Spearman (Commons Math) of EAP's
     * node scores (out-edge sums, added up here) with the exact node effects kept in --exact-cache, and recall of
     * the exact top edges (the top 5 of the patched ones in the cache) and top nodes among EAP's top k and 2k.
     * With a sample of 60, EAP has 3 of the exact top 5 edges in its top 5 and all 5 in its top 10.
     */
    @Test
    void nodeCorrelationsAndRecallAreThoseOfTheExactEffectsInTheCache() throws Exception {
        Path cache = dir.resolve("exact.json");
        Path file = dir.resolve("recall.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60", "--top-edges", "5",
                "--scorers", "eap", "--exact-cache", cache.toString(), "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode eapJson = new ObjectMapper().readTree(file.toFile()).get("scorers").get("eap");
        JsonNode stored = new ObjectMapper().readTree(cache.toFile());
        io.circuitscope.core.planted.PlantedModel planted = io.circuitscope.core.planted.PlantedModels.byName("ioi");
        try (io.circuitscope.core.model.HookedTransformer model = planted.build();
             io.circuitscope.core.graph.TaskPatcher tp = new io.circuitscope.core.graph.TaskPatcher(
                     new io.circuitscope.core.graph.EdgePatcher(model), planted.task(0, 8),
                     io.circuitscope.core.task.Metrics.LOGIT_DIFF, io.circuitscope.core.graph.Ablation.RESAMPLE, 32)) {
            io.circuitscope.core.graph.ComputationGraph g = tp.graph();
            io.circuitscope.core.graph.EdgeScores eap = new io.circuitscope.discovery.Eap()
                    .score(tp, io.circuitscope.core.progress.Progress.NONE);
            int components = g.nSources() - 1; // the input is left out
            double[] scoreNodes = new double[components];
            double[] exactNodes = new double[components];
            for (io.circuitscope.core.graph.Edge e : g.edges()) {
                int source = e.source().sourceIndex();
                if (source > 0) {
                    scoreNodes[source - 1] += eap.get(e.index());
                }
            }
            for (io.circuitscope.core.graph.Node n : g.sources()) {
                if (n.sourceIndex() > 0) {
                    exactNodes[n.sourceIndex() - 1] = stored.get("node_effects").get(n.name()).asDouble() + 0.0;
                    scoreNodes[n.sourceIndex() - 1] += 0.0; // -0.0 ties 0.0
                }
            }
            double pearson = new org.apache.commons.math3.stat.correlation.PearsonsCorrelation()
                    .correlation(scoreNodes, exactNodes);
            double spearman = new org.apache.commons.math3.stat.correlation.SpearmansCorrelation()
                    .correlation(scoreNodes, exactNodes);
            assertEquals(pearson, eapJson.get("node_pearson").asDouble(), 1e-12, eapJson.toString());
            assertEquals(spearman, eapJson.get("node_spearman").asDouble(), 1e-12, eapJson.toString());
            assertTrue(Math.abs(pearson - spearman) > 0.1, "the two node correlations differ here: " + pearson + ", " + spearman);

            // exact top edges: the 5 largest |effect| among the patched edges in the cache; EAP's: largest |score|
            java.util.Map<String, Double> exactEdges = new java.util.HashMap<>();
            stored.get("edge_effects").fields().forEachRemaining(f -> exactEdges.put(f.getKey(), f.getValue().asDouble()));
            assertEquals(70, exactEdges.size());
            java.util.List<String> exactOrder = exactEdges.keySet().stream().filter(n -> exactEdges.get(n) != 0)
                    .sorted(java.util.Comparator.<String>comparingDouble(n -> -Math.abs(exactEdges.get(n)))
                            .thenComparingInt(n -> g.edge(n).index())).toList();
            assertTrue(Math.abs(exactEdges.get(exactOrder.get(4))) > Math.abs(exactEdges.get(exactOrder.get(5))),
                    "no tie at the 5th exact edge: " + exactOrder);
            java.util.List<String> exactTop = exactOrder.subList(0, 5);
            java.util.List<String> scorerOrder = g.edges().stream()
                    .sorted(java.util.Comparator.<io.circuitscope.core.graph.Edge>comparingDouble(e -> -Math.abs(eap.get(e.index())))
                            .thenComparingInt(io.circuitscope.core.graph.Edge::index))
                    .map(io.circuitscope.core.graph.Edge::name).toList();
            long edgesInK = exactTop.stream().filter(scorerOrder.subList(0, 5)::contains).count();
            long edgesIn2K = exactTop.stream().filter(scorerOrder.subList(0, 10)::contains).count();
            assertEquals(5, eapJson.get("top_edges").asInt());
            assertEquals(edgesInK, eapJson.get("edges_in_top_k").asInt(), eapJson.toString());
            assertEquals(edgesIn2K, eapJson.get("edges_in_top_2k").asInt(), eapJson.toString());
            assertEquals(3, edgesInK, "EAP misses the two saturated edges into a2.h0 in its top 5");
            assertEquals(5, edgesIn2K);

            // exact top nodes: up to 10 (the default) component nodes with an effect, largest |effect| first
            java.util.List<Integer> exactNodeTop = java.util.stream.IntStream.range(0, components).boxed()
                    .filter(i -> exactNodes[i] != 0)
                    .sorted(java.util.Comparator.<Integer>comparingDouble(i -> -Math.abs(exactNodes[i])).thenComparingInt(i -> i))
                    .limit(10).toList();
            java.util.List<Integer> scorerNodeOrder = java.util.stream.IntStream.range(0, components).boxed()
                    .sorted(java.util.Comparator.<Integer>comparingDouble(i -> -Math.abs(scoreNodes[i])).thenComparingInt(i -> i))
                    .toList();
            int k = exactNodeTop.size();
            assertEquals(k, eapJson.get("top_nodes").asInt(), eapJson.toString());
            assertEquals(exactNodeTop.stream().filter(scorerNodeOrder.subList(0, k)::contains).count(),
                    eapJson.get("nodes_in_top_k").asInt(), eapJson.toString());
            assertEquals(exactNodeTop.stream().filter(scorerNodeOrder.subList(0, Math.min(2 * k, components))::contains).count(),
                    eapJson.get("nodes_in_top_2k").asInt(), eapJson.toString());
        }
    }

    /** --exact-cache keeps the exact effects: a rerun reuses them, and a file of another comparison is refused. */
    @Test
    void exactEffectsAreKeptReusedAndNeverMixedWithAnotherComparisons() throws Exception {
        Path cache = dir.resolve("exact.json");
        CliRun first = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60", "--top-edges",
                "5", "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(0, first.code(), first.err());
        assertTrue(first.out().contains("(0 edges reused from it)"), first.out());
        JsonNode stored = new ObjectMapper().readTree(cache.toFile());
        assertEquals(70, stored.get("edge_effects").size(), "EAP's top 10 and 60 sampled");
        assertEquals(16, stored.get("node_effects").size());

        CliRun second = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "100", "--top-edges",
                "5", "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(0, second.code(), second.err());
        assertTrue(second.out().contains("(70 edges and every node reused from it)"), second.out());
        assertEquals(110, new ObjectMapper().readTree(cache.toFile()).get("edge_effects").size());

        String before = java.nio.file.Files.readString(cache);
        CliRun otherMetric = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60",
                "--scorers", "eap", "--metric", "logprob", "--exact-cache", cache.toString());
        assertEquals(1, otherMetric.code());
        assertTrue(otherMetric.err().contains(cache + ": field 'metric'"), otherMetric.err());
        CliRun otherTask = CliRun.run("compare-scorers", "--quiet", "--examples", "12", "--exact-edges", "60",
                "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(1, otherTask.code());
        assertTrue(otherTask.err().contains("field 'task_hash'"), otherTask.err());
        assertEquals(before, java.nio.file.Files.readString(cache), "a refused file is left as it was");

        java.nio.file.Files.writeString(cache, before.replace("\"edge_effects\" : {", "\"edge_effects\" : {\"nonsense->x\": 1,"));
        CliRun unknownEdge = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "60",
                "--scorers", "eap", "--exact-cache", cache.toString());
        assertEquals(1, unknownEdge.code());
        assertTrue(unknownEdge.err().contains("'edge_effects.nonsense->x': no such edge"), unknownEdge.err());
    }

    /**
     * --ablation and --metric are read in any case and recorded by their names: RESAMPLE was kept as typed, so a cache
     * written under the default "resample" was refused as another ablation, and stdout and JSON showed "RESAMPLE".
     */
    @Test
    void ablationAndMetricAreRecordedByTheirNamesWhateverTheCase() throws Exception {
        Path cache = dir.resolve("exact.json");
        CliRun first = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "20", "--scorers", "eap",
                "--exact-cache", cache.toString());
        assertEquals(0, first.code(), first.err());
        Path file = dir.resolve("typed.json");
        CliRun typed = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "20", "--scorers", "eap",
                "--ablation", "RESAMPLE", "--metric", "Logit-Diff", "--exact-cache", cache.toString(), "--out", file.toString());
        assertEquals(0, typed.code(), typed.err());
        assertTrue(typed.out().contains("edges and every node reused from it)"), typed.out());
        assertTrue(typed.out().contains("metric logit-diff, resample ablation"), typed.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals("logit-diff", json.get("metric").asText());
        assertEquals("resample", json.get("ablation").asText());
        assertEquals("resample", new ObjectMapper().readTree(cache.toFile()).get("ablation").asText());
    }

    /**
     * A cache or --out file that cannot be written is refused before any patching, naming the option and the path
     * (--out was found only after the exact patching, whose numbers were then lost).
     */
    @Test
    void unwritableOutputsAreRefusedBeforeAnyWork() throws Exception {
        Path blocker = dir.resolve("a-file");
        java.nio.file.Files.writeString(blocker, "not a folder");
        Path inside = blocker.resolve("exact.json");
        String[][] cases = {{"--exact-cache", inside.toString(), ": cannot be created: " + blocker + " is a file, not a folder"},
                {"--out", inside.toString(), ": cannot be created: " + blocker + " is a file, not a folder"},
                {"--out", dir.toString(), ": is a folder; give a file name"}};
        for (String[] c : cases) {
            CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--exact-edges", "20", "--scorers",
                    "eap", c[0], c[1]);
            assertEquals(2, r.code(), r.err());
            assertTrue(r.err().startsWith("error: " + c[0] + " " + c[1] + c[2]), r.err());
            assertTrue(!r.out().contains("exact patching of"), "nothing was patched: " + r.out());
        }
    }

    /**
     * --out naming the --exact-cache file (spelled alike, spelled otherwise, or through a link) would overwrite hours of
     * exact patching with the results: refused before any work, naming both options, the cache left as it was.
     */
    @Test
    void anOutFileThatIsTheExactCacheIsRefused() throws Exception {
        Path cache = dir.resolve("exact.json");
        java.nio.file.Files.writeString(cache, "{\"kept\": true}");
        Path link = java.nio.file.Files.createSymbolicLink(dir.resolve("link.json"), cache);
        String[] outs = {cache.toString(), dir.resolve("sub").resolve("..").resolve("exact.json").toString(), link.toString()};
        for (String out : outs) {
            CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap", "--exact-cache",
                    cache.toString(), "--out", out);
            assertEquals(2, r.code(), out + ": " + r.err());
            assertTrue(r.err().startsWith("error: --out " + out + " and --exact-cache " + cache + " name the same file: the "
                    + "results would overwrite the exact effects kept there"), r.err());
            assertTrue(!r.out().contains("exact patching of"), "nothing was patched: " + r.out());
        }
        assertEquals("{\"kept\": true}", java.nio.file.Files.readString(cache));
    }

    /**
     * A top k of every edge or component node makes recall trivially full: --top-edges was refused then, while
     * --top-nodes was silently cut to the component nodes (10/10 on planted:induction by default). Both are refused
     * alike, naming the option and the count there is, before any patching.
     */
    @Test
    void aTopKOfEveryNodeIsRefusedAsOneOfEveryEdgeIs() {
        CliRun nodes = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap", "--top-nodes", "15");
        assertEquals(2, nodes.code(), nodes.out());
        assertTrue(nodes.err().startsWith("error: --top-nodes 15 must be below the graph's 15 component nodes; give a "
                + "smaller --top-nodes"), nodes.err());
        assertTrue(!nodes.out().contains("exact patching of"), "nothing was patched: " + nodes.out());
        CliRun edges = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap", "--top-edges", "262");
        assertEquals(2, edges.code(), edges.out());
        assertTrue(edges.err().startsWith("error: --top-edges 262 must be below the graph's 262 edges"), edges.err());
    }

    /**
     * The default --top-nodes 10 on a graph with 10 component nodes (planted:induction) would make recall trivially
     * full; refusing it made the command fail without options. It is lowered, with a note, to 4 (its top 2k of 8 is
     * not every node either), and the file records the k used.
     */
    @Test
    void aDefaultTopKAsLargeAsTheGraphIsLoweredWithANote() throws Exception {
        Path file = dir.resolve("lowered.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", "planted:induction", "--examples", "8",
                "--scorers", "eap", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("compare-scorers: note: --top-nodes 4 here, not the default 10: the graph has 10 "
                + "component nodes, and a top k of all of them makes recall trivially full"), r.err());
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(file.toFile());
        assertEquals(4, json.get("settings").get("top_nodes").asInt(), json.toString());
    }

    /**
     * The recall "in the top 2k" counts every node when the k the comparison uses has a 2k covering all of them; that k
     * is --top-nodes or, when fewer nodes have an exact effect, that many. planted:ioi's default --top-nodes 10 of its
     * 15 component nodes was noted as making the recall trivially full, before the patching, while the table beside it
     * used k = 4 (only its 4 planted heads have an effect) and a top 2k of 8: no longer. A random tiny GPT-2, where every
     * node has an effect, gets the note for --top-nodes 3 of its 6 component nodes, and none for 2.
     */
    @Test
    void aTopKWhoseDoubleCoversEveryNodeIsNoted() throws Exception {
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("k = 4 nodes"), r.out());
        assertTrue(!r.err().contains("top 2k is trivially full"), r.err());

        Path model = dir.resolve("tiny");
        io.circuitscope.core.testing.TinyCheckpoint.gpt2(5, 2, 2, 8, 16, 12, false)
                .write(model, io.circuitscope.core.io.TensorDtype.F32);
        Path task = dir.resolve("tiny.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            lines.append("{\"clean_ids\": [1, ").append(2 + i).append(", 7, 9], \"corrupt_ids\": [1, ").append(10 + i)
                    .append(", 8, 9], \"targets\": [{\"position\": -1, \"correct_id\": ").append(3 + i)
                    .append(", \"wrong_id\": 12}]}\n");
        }
        java.nio.file.Files.writeString(task, lines);
        CliRun noted = CliRun.run("compare-scorers", "--quiet", "--model", model.toString(), "--task", task.toString(),
                "--scorers", "eap", "--metric", "logit-diff", "--top-nodes", "3");
        assertEquals(0, noted.code(), noted.err());
        assertTrue(noted.out().contains("k = 3 nodes"), noted.out());
        assertTrue(noted.err().contains("compare-scorers: note: --top-nodes 3: its top 2k (6) covers all 6 component "
                + "nodes, so recall in the top 2k is trivially full; --top-nodes 2 or less avoids that"), noted.err());
        CliRun fine = CliRun.run("compare-scorers", "--quiet", "--model", model.toString(), "--task", task.toString(),
                "--scorers", "eap", "--metric", "logit-diff", "--top-nodes", "2");
        assertEquals(0, fine.code(), fine.err());
        assertTrue(!fine.err().contains("top 2k is trivially full"), fine.err());
    }

    /** Exact effects of a corruption that moves nothing are round-off: refused before any edge is patched. */
    @Test
    void aTaskWhoseCorruptionChangesNothingIsRefused() throws Exception {
        Path task = dir.resolve("unchanged.jsonl");
        java.nio.file.Files.writeString(task, "{\"clean_ids\": [0, 3, 5, 7], \"corrupt_ids\": [0, 3, 5, 7], "
                + "\"targets\": [{\"position\": -1, \"correct_id\": 3, \"wrong_id\": 5}]}\n");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", "planted:ioi", "--task", task.toString(),
                "--scorers", "eap");
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("task 'unchanged': the corrupted prompts barely change the metric logit-diff"),
                r.err());
        assertTrue(!r.out().contains("exact patching of"), "nothing was patched: " + r.out());
    }

    @Test
    void refusesKlExactAndUnknownScorersWithAReason() {
        CliRun kl = CliRun.run("compare-scorers", "--quiet", "--metric", "kl");
        assertEquals(2, kl.code());
        assertTrue(kl.err().contains("gradient is zero at the clean run, so eap would score 0"), kl.err());
        CliRun klIg = CliRun.run("compare-scorers", "--quiet", "--metric", "kl", "--scorers", "eap-ig", "--examples", "8");
        assertEquals(0, klIg.code(), "EAP-IG integrates away from the clean run, so KL is fine: " + klIg.err());
        CliRun klOneStep = CliRun.run("compare-scorers", "--quiet", "--metric", "kl", "--scorers", "eap-ig", "--ig-steps", "1");
        assertEquals(2, klOneStep.code(), "one step of eap-ig is EAP, at the clean run");
        assertTrue(klOneStep.err().contains("so eap-ig with one step would score 0; use 2 or more steps (--ig-steps"),
                klOneStep.err());
        CliRun exact = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,exact");
        assertEquals(2, exact.code());
        assertTrue(exact.err().contains("--scorers: 'exact' is what the scorers are compared with"), exact.err());
        CliRun exactInCapitals = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,EXACT");
        assertEquals(2, exactInCapitals.code());
        assertTrue(exactInCapitals.err().contains("--scorers: 'EXACT' is what the scorers are compared with"),
                exactInCapitals.err());
        CliRun unknown = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,magic");
        assertEquals(2, unknown.code());
        // the scorers offered are those compare-scorers takes: not exact, which it refuses
        assertTrue(unknown.err().contains("--scorers: unknown scorer 'magic' (known: eap, eap-ig, eap-ig-inputs, atp-star, "
                + "relp, relp-ah, or relp:RULES"), unknown.err());
    }

    /**
     * --scorers with no name ran every exact patch for an empty table; a scorer named twice (in another case, or relp
     * as its full rule set) was scored twice, shown once and listed twice in settings.scorers.
     */
    @Test
    void noScorerIsRefusedAndARepeatedOneComparedOnce() throws Exception {
        for (String none : new String[] {",", ""}) {
            CliRun empty = CliRun.run("compare-scorers", "--quiet", "--scorers", none);
            assertEquals(2, empty.code(), "'" + none + "': " + empty.out());
            assertTrue(empty.err().startsWith("error: --scorers "), empty.err());
        }
        Path file = dir.resolve("repeated.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers",
                "eap,EAP,relp,relp:ln+identity+half", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: --scorers names eap (eap, EAP) and relp (relp, relp:ln+identity+half) more "
                + "than once; each is compared once"), r.err());
        assertEquals(2, r.out().lines().filter(l -> l.startsWith("cost of ")).count(), r.out());
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals("[\"eap\",\"relp\"]", json.get("settings").get("scorers").toString());
    }

    /**
     * RelP with chosen LRP rules is compared like any scorer: relp:none reproduces EAP's row, long names
     * keep the table's columns aligned, and an unknown rule is refused by name.
     */
    @Test
    void relpRuleSetsAreScorersOfTheirOwn() {
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap,relp:identity+half,relp:none");
        assertEquals(0, r.code(), r.err());
        java.util.List<String> rows = r.out().lines()
                .filter(l -> l.startsWith("scorer ") || l.matches("^(eap|relp:\\S+)\\s+[0-9.]+ .*")).toList();
        assertEquals(4, rows.size(), r.out());
        int aucEnd = rows.get(0).indexOf("AUC") + 3;
        for (String row : rows) {
            assertEquals(' ', row.charAt(aucEnd), "columns aligned: " + rows);
            assertTrue(Character.isLetterOrDigit(row.charAt(aucEnd - 1)), "columns aligned: " + rows);
        }
        assertEquals(rows.get(1).replaceFirst("^eap\\s+", "").replaceFirst("\\s+\\S+$", ""),
                rows.get(3).replaceFirst("^relp:none\\s+", "").replaceFirst("\\s+\\S+$", ""),
                "relp:none (no LRP rule) is EAP, up to the seconds column: " + rows);
        CliRun bad = CliRun.run("compare-scorers", "--quiet", "--scorers", "eap,relp:ln+gate");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("unknown LRP rule 'gate' in 'ln+gate'"), bad.err());
    }

    /**
     * On planted:ioi RelP equals EAP whatever its rules, so the rules must be seen on a model where they change the
     * scores: a tiny random GPT-2 with LayerNorm and GELU. There relp (LN, Identity and Half rules) differs from EAP,
     * while relp:none (no rule: the plain gradient) still gives EAP's numbers.
     */
    @Test
    void relpRulesChangeTheScoresOnAModelWithLayerNorm() throws Exception {
        Path model = io.circuitscope.core.testing.TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false)
                .write(dir.resolve("gpt2"), io.circuitscope.core.io.TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("random.jsonl"), "random", 2, 8, 5, 23);
        Path file = dir.resolve("relp-rules.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", model.toString(), "--task", task.toString(),
                "--top-edges", "5", "--top-nodes", "3", "--scorers", "eap,relp,relp:none", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode scorers = new ObjectMapper().readTree(file.toFile()).get("scorers");
        JsonNode eap = scorers.get("eap");
        JsonNode none = scorers.get("relp:none");
        JsonNode relp = scorers.get("relp");
        for (String field : new String[] {"auc", "edge_pearson", "edge_spearman", "node_pearson", "node_spearman"}) {
            assertEquals(eap.get(field).asDouble(), none.get(field).asDouble(), 1e-9, "relp:none " + field + ": " + scorers);
        }
        for (String field : new String[] {"nodes_in_top_k", "nodes_in_top_2k", "edges_in_top_k", "edges_in_top_2k"}) {
            assertEquals(eap.get(field).asInt(), none.get(field).asInt(), "relp:none " + field + ": " + scorers);
        }
        assertEquals(0.0, none.get("minus_eap").get("edge_pearson").get("difference").asDouble(), 1e-9, scorers.toString());
        assertTrue(Math.abs(relp.get("edge_pearson").asDouble() - eap.get("edge_pearson").asDouble()) > 0.05
                && Math.abs(relp.get("minus_eap").get("edge_pearson").get("difference").asDouble()) > 0.05,
                "the LRP rules change RelP's scores on a model with LayerNorm: " + scorers);
    }

    /**
     * --seed draws a planted model's task only, and --sample-seed the --exact-edges sample only: given where they are
     * not read, a note says so, as for --examples with --task, instead of dropping them silently.
     */
    @Test
    void seedsThatAreNotReadAreNoted() throws Exception {
        Path model = io.circuitscope.core.testing.TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false)
                .write(dir.resolve("gpt2"), io.circuitscope.core.io.TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("random.jsonl"), "random", 2, 8, 5, 23);
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--model", model.toString(), "--task", task.toString(),
                "--top-edges", "5", "--top-nodes", "3", "--scorers", "eap", "--seed", "3", "--sample-seed", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("note: --seed does not apply with --task (it draws a planted model's task; the "
                + "bootstrap intervals have a fixed seed); ignored"), r.err());
        assertTrue(r.err().contains("note: --sample-seed does not apply without --exact-edges"), r.err());
        CliRun read = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap", "--seed", "3",
                "--exact-edges", "20", "--sample-seed", "4");
        assertEquals(0, read.code(), read.err());
        assertTrue(!read.err().contains("seed does not apply"), "both seeds are read here: " + read.err());
    }

    /**
     * The JSON's numbers are written as circuit.json's (JsonNumbers.normalise): a fraction given as -0.0 (a zero, so
     * accepted) made its threshold -0.0, written as "-0.0" in three places and printed as "|exact effect| >= -0.000".
     */
    @Test
    void aNegativeZeroIsWrittenAndPrintedAsZero() throws Exception {
        Path file = dir.resolve("negative-zero.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap,relp",
                "--material-fraction", "-0.0", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        String text = java.nio.file.Files.readString(file);
        assertTrue(!java.util.regex.Pattern.compile("[:\\[,]\\s*-0\\.0(?![0-9])").matcher(text).find(),
                "no number -0.0 in the JSON (the command's argv holds the string): " + text);
        assertTrue(!text.contains("NaN") && !text.contains("Infinity"), text);
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertEquals(0L, Double.doubleToRawLongBits(json.get("settings").get("material_fraction").asDouble()));
        JsonNode material = json.get("scorers").get("relp").get("material_edges");
        assertEquals(0L, Double.doubleToRawLongBits(material.get("threshold").asDouble()), material.toString());
        assertEquals(0L, Double.doubleToRawLongBits(material.get("fraction_of_task_effect").asDouble()), material.toString());
        assertTrue(r.out().contains("edges that matter (|exact effect| >= 0.000, 0% of the task's effect): 262 of 262"),
                r.out());
        assertTrue(!java.util.regex.Pattern.compile("-0\\.0+(?![0-9])").matcher(r.out()).find(), "no -0.000 printed: " + r.out());
    }

    /**
     * Each scorer's cost, counted as discover counts a run's: EAP takes one gradient pass per batch of the task (8
     * planted IOI prompts in batches of at most 3 of one length), AtP* more (its GradDrop passes); printed in
     * discover's words and written beside the seconds.
     */
    @Test
    void eachScorersPassesAreCountedAsDiscoverCountsThem() throws Exception {
        Path file = dir.resolve("passes.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--batch-size", "3", "--scorers",
                "eap,atp-star", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        int batches = io.circuitscope.core.planted.PlantedModels.byName("ioi").task(0, 8).batches(3).size();
        assertTrue(batches >= 3, "8 prompts in batches of at most 3: " + batches);
        JsonNode scorers = new ObjectMapper().readTree(file.toFile()).get("scorers");
        JsonNode eap = scorers.get("eap");
        JsonNode star = scorers.get("atp-star");
        assertEquals(batches, eap.get("gradient_passes").asLong(), "one gradient pass per batch: " + eap);
        assertTrue(star.get("gradient_passes").asLong() > eap.get("gradient_passes").asLong(), scorers.toString());
        assertTrue(eap.get("forward_passes").isIntegralNumber() && star.get("forward_passes").isIntegralNumber(),
                scorers.toString());
        assertTrue(r.out().contains("cost of eap: " + eap.get("forward_passes") + " forward passes, " + batches
                + " gradient passes (forward and backward), "), r.out());
        assertTrue(r.out().contains("cost of atp-star: " + star.get("forward_passes") + " forward passes, "
                + star.get("gradient_passes") + " gradient passes (forward and backward), "), r.out());
    }

    /** --material-fraction 0 makes every edge one that matters: the two sets of correlations then agree. */
    @Test
    void theFractionFromWhichAnEdgeMattersIsTheUsersToChoose() throws Exception {
        Path file = dir.resolve("every-edge-matters.json");
        CliRun r = CliRun.run("compare-scorers", "--quiet", "--examples", "8", "--scorers", "eap,relp",
                "--material-fraction", "0", "--out", file.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode relp = new ObjectMapper().readTree(file.toFile()).get("scorers").get("relp");
        JsonNode material = relp.get("material_edges");
        assertEquals(0.0, material.get("fraction_of_task_effect").asDouble());
        assertEquals(262, material.get("edges").asInt());
        assertEquals(relp.get("edge_spearman").asDouble(), material.get("spearman").asDouble(), 1e-12);
        assertEquals(relp.get("edge_pearson").asDouble(), material.get("pearson").asDouble(), 1e-12);
        assertTrue(r.out().contains("edges that matter (|exact effect| >= 0.000, 0% of the task's effect): 262 of 262"),
                r.out());

        CliRun bad = CliRun.run("compare-scorers", "--quiet", "--material-fraction", "1.5");
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("--material-fraction must be at least 0 and below 1, got 1.5"), bad.err());
    }
}
