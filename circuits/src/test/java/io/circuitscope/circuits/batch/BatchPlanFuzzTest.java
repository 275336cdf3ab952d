package io.circuitscope.circuits.batch;

import io.circuitscope.core.testing.FileMutations;
import io.circuitscope.core.testing.FileMutations.Mutated;
import io.circuitscope.core.testing.FuzzCheck;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Fuzz tests of the batch plan reader: a valid plan (JSON or YAML), damaged at random, is either read or refused with
 * a {@link PlanException} whose message names the plan and carries no Java class names; never another exception or a
 * hang. Seeds are fixed (set FUZZ_REPORT to print every problem found instead of stopping at the first).
 */
class BatchPlanFuzzTest {
    private static final String JSON = "{\"out\": \"runs/x\", \"models\": [\"m\", \"planted:ioi\"], \"tasks\": [\"t.jsonl\"],"
            + " \"methods\": [\"eap\", \"acdc\"], \"seeds\": [0, 1], \"settings\": [{\"tau\": 0.1}, {\"edges\": 5}],"
            + " \"defaults\": {\"metric\": \"logit-diff\", \"edges\": 40, \"batch_size\": 16, \"align\": true,"
            + " \"candidates\": \">=0.5\", \"ig_steps\": 5}}";
    private static final String RUNS = "{\"runs\": [{\"model\": \"m\", \"task\": \"t.jsonl\", \"method\": \"relp\"},"
            + " {\"model\": \"m\", \"task\": \"t.jsonl\", \"batch_size\": 3, \"seed\": 4}]}";
    private static final String YAML = "out: runs/y\nmodels: [m]\ntasks:\n  - t.jsonl\nmethods: [eap, relp]\nseeds: [0, 1]\n"
            + "defaults: {metric: logit-diff, edges: 40, batch_size: 16}\nsettings:\n  - {tau: 0.2}\n  - {by_position: true}\n";
    private static Path dir;

    @BeforeContainer
    static void writeFilesThePlansName() throws IOException {
        dir = Files.createTempDirectory("cs-plan-fuzz");
        Files.writeString(dir.resolve("t.jsonl"), "");
        Files.writeString(dir.resolve("m"), "");
    }

    @AfterContainer
    static void deleteFiles() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Property(tries = 400, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261215")
    void damagedPlanIsReadOrRefusedNamingThePlan(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        int which = rng.nextInt(3);
        String valid = which == 0 ? JSON : which == 1 ? RUNS : YAML;
        Mutated m = which == 2 || rng.nextInt(4) == 0 ? FileMutations.bytes(valid.getBytes(StandardCharsets.UTF_8), rng)
                : FileMutations.json(valid, rng);
        Path file = Files.write(dir.resolve(which == 2 ? "plan.yaml" : "plan.json"), m.bytes());
        String what = "seed " + seed + " (" + file.getFileName() + "): " + m.what();
        FuzzCheck.readOrRefuse(what, PlanException.class, FuzzCheck.namesInWords(file), () -> BatchPlan.read(file));
    }

    /** A manifest, which a crash, a disk filling up or a hand edit can damage, read when a batch resumes. */
    @Property(tries = 300, shrinking = ShrinkingMode.OFF, afterFailure = AfterFailureMode.PREVIOUS_SEED, seed = "20261217")
    void damagedManifestIsReadOrRefusedNamingIt(@ForAll long seed) throws IOException {
        Random rng = new Random(seed);
        Path out = Files.createDirectories(dir.resolve("out"));
        Path file = out.resolve("manifest.json");
        Files.deleteIfExists(file);
        Manifest valid = Manifest.load(out);
        Manifest.Entry done = valid.entry("000-m-t-eap-s0");
        done.state = Manifest.State.DONE;
        done.seconds = 1.5;
        done.results.put("edges", 12);
        done.results.put("faithfulness", 0.75);
        done.inputs = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("model", "abc");
        Manifest.Entry failed = valid.entry("001-m-t-relp-s0");
        failed.state = Manifest.State.FAILED;
        failed.error = "boom";
        valid.save();
        byte[] bytes = Files.readAllBytes(file);
        Mutated m = rng.nextInt(4) == 0 ? FileMutations.bytes(bytes, rng)
                : FileMutations.json(new String(bytes, StandardCharsets.UTF_8), rng);
        Files.write(file, m.bytes());
        String what = "seed " + seed + ": " + m.what();
        FuzzCheck.readOrRefuse(what, PlanException.class, FuzzCheck.namesInWords(file), () -> Manifest.load(out));
    }
}
