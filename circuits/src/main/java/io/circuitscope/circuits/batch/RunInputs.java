package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.ModelFingerprint;
import io.circuitscope.core.io.ReadErrors;
import io.circuitscope.core.planted.PlantedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * What a batch run's result depends on beyond its id: the model (a local one's file contents, a hub id's cached
 * commit; {@link ModelFingerprint}), the task file's contents (or the size of a planted
 * model's own task), align, bos, the reference circuit's contents and every discovery setting. Recorded in the
 * manifest when the run starts; a finished run is reused on resume only when the plan now asks for the same.
 */
final class RunInputs {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Whether the run validates its circuit: recorded, never compared. A finished run the plan now asks to validate is
     * validated without its discovery being redone ({@link Resume.Finished#toValidate}); one told validate: false
     * keeps the validation it has.
     */
    static final String VALIDATE = "validate";

    /** Recorded beside a local model's digest, and never compared: only what says whether to hash again. */
    static final String MODEL_STAT = "model_stat";

    private final Map<Path, String> digests = new HashMap<>(); // each file read once per batch
    /** Local models' digests by model and {@link ModelFingerprint#stat}: from the manifest, then as hashed. */
    private final Map<String, String> modelDigests = new HashMap<>();
    /** The commit a hub id resolves to in the local cache, or null when it is not cached. */
    private final Function<String, String> hubCommit;

    /**
     * The plan's folder: model paths are recorded relative to it, so moving the plan with its models changes nothing.
     * The same real path the plan resolved them against, so a plan opened through a symbolic link reads the same.
     */
    private final Path base;

    RunInputs(BatchPlan plan, Manifest manifest, Function<String, String> hubCommit) {
        this.base = plan.folder();
        this.hubCommit = hubCommit;
        for (Manifest.Entry e : manifest.entries().values()) {
            if (e.inputs != null && e.inputs.path("model_sha256").isTextual() && e.inputs.path(MODEL_STAT).isTextual()) {
                modelDigests.put(e.inputs.path("model").asText() + "\n" + e.inputs.get(MODEL_STAT).asText(),
                        e.inputs.get("model_sha256").asText());
            }
        }
    }

    /** What the plan asks of the run now. */
    ObjectNode of(RunSpec r) {
        return inputs(r, model(r.model()), this::digest);
    }

    /**
     * What the run is made with, recorded as it starts: the model as {@link #model(String)} fingerprinted it before
     * its weights were loaded, and the task and reference files hashed now, as the run is about to read them. A
     * batch runs for hours; a model or task file rewritten meanwhile was recorded with its new contents (the model's
     * hashed again at the changed stat, a file's digest kept from the start of the batch), not the ones the run used.
     */
    ObjectNode startedWith(RunSpec r, ObjectNode modelAsLoaded) {
        return inputs(r, modelAsLoaded, RunInputs::sha256);
    }

    private static ObjectNode inputs(RunSpec r, ObjectNode model, Function<Path, String> digest) {
        ObjectNode o = JSON.createObjectNode();
        o.setAll(model);
        if (r.task() == null) {
            o.put("examples", r.examples());
        } else {
            o.put("task_sha256", digest.apply(r.task()));
            o.put("align", r.align());
            o.put("bos", r.bos());
        }
        o.put("reference_sha256", r.reference() == null ? null : digest.apply(r.reference()));
        method(o, JSON.valueToTree(r.settings().asMap()));
        // recorded, never compared (VALIDATE): validation follows the discovery and changes none of it
        o.put(VALIDATE, r.validate());
        return o;
    }

    /** The model as recorded: its path relative to the plan's folder (or hub id), with its fingerprint. */
    ObjectNode model(String model) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", relativeModel(model, base));
        fingerprint(o, model);
        return o;
    }

    /**
     * A local model's fingerprint (model_sha256, with model_stat) or a hub id's cached commit (model_commit); a planted
     * model is made from its name alone (its task from the run's seed), both recorded already.
     */
    private void fingerprint(ObjectNode o, String model) {
        if (PlantedModels.isPlanted(model)) {
            return;
        }
        if (!Path.of(model).isAbsolute()) { // the plan resolved every local model against its folder
            String commit = hubCommit.apply(model);
            if (commit != null) { // not cached: nothing to compare with until it is downloaded
                o.put("model_commit", commit);
            }
            return;
        }
        Path path = Path.of(model);
        try {
            List<Path> files = ModelFingerprint.files(path);
            String stat = ModelFingerprint.stat(path, files);
            String key = o.get("model").asText() + "\n" + stat;
            String sha = modelDigests.get(key);
            if (sha == null) {
                sha = ModelFingerprint.sha256(path, files);
                modelDigests.put(key, sha);
            }
            o.put("model_sha256", sha);
            o.put(MODEL_STAT, stat);
        } catch (IOException e) {
            o.put("model_sha256", "unreadable: " + path + ": " + ReadErrors.describe(e));
        }
    }

    /**
     * Whether {@code recorded} lacks a fingerprint of the model that {@code now} has: it was made by a version that
     * recorded only the model's path, so a model rewritten in place since cannot be told.
     */
    static boolean modelUnrecorded(JsonNode recorded, ObjectNode now) {
        return Stream.of("model_sha256", "model_commit").anyMatch(f -> now.has(f) && !recorded.has(f));
    }

    /**
     * What a circuit.json written before the manifest recorded inputs says of them: its model, its method's settings
     * and a planted task's size. The task file, align, bos and reference are not among them, so are not compared.
     */
    ObjectNode fromCircuit(JsonNode circuit) {
        ObjectNode o = JSON.createObjectNode();
        o.put("model", relativeModel(circuit.path("model").path("name").asText(), base));
        if (PlantedModels.isPlanted(circuit.path("model").path("name").asText())) {
            o.set("examples", circuit.path("task").path("examples"));
        }
        method(o, circuit.path("method"));
        return o;
    }

    /** A model path relative to the plan's folder; a hub id or planted model as it is. */
    static String relativeModel(String model, Path base) {
        try {
            Path p = Path.of(model);
            return p.isAbsolute() ? base.relativize(p.normalize()).toString() : model;
        } catch (java.nio.file.InvalidPathException e) {
            return model;
        }
    }

    /**
     * The fields in which {@code recorded} and {@code now} differ, as "tau 0.01 -> 0.5"; fields not recorded are
     * skipped. {@code fromCircuit}: {@code recorded} is {@link #fromCircuit}'s, whose settings earlier versions wrote
     * differently for the ones a method does not read (ig_steps for every method, tau as null for scorer-only
     * ones), so a setting null on either side is not compared there.
     */
    static List<String> differences(JsonNode recorded, ObjectNode now, boolean fromCircuit) {
        List<String> out = new ArrayList<>();
        // ORG/NAME is a folder when one exists beside the plan, else a hub id, recorded under the same name: a run made
        // with one was taken as finished for the other (the other's fingerprint was "not recorded")
        boolean wasLocal = recorded.has("model_sha256");
        if ((wasLocal || recorded.has("model_commit")) && wasLocal != now.has("model_sha256")) {
            out.add("model " + (wasLocal ? "local files -> hub id" : "hub id -> local files"));
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = now.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> field = it.next();
            if (field.getKey().equals(MODEL_STAT) || field.getKey().equals(VALIDATE)) {
                continue;
            }
            JsonNode was = recorded.get(field.getKey());
            if (fromCircuit && was != null && (was.isNull() || field.getValue().isNull())) {
                continue;
            }
            if (was != null && !same(was, field.getValue())) {
                out.add(describe(field.getKey(), was, field.getValue()));
            }
        }
        return out;
    }

    /** The discovery settings, under the names of a plan's keys ("method" for circuit.json's "key"). */
    private static void method(ObjectNode o, JsonNode settings) {
        for (Iterator<Map.Entry<String, JsonNode>> it = settings.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> s = it.next();
            o.set(s.getKey().equals("key") ? "method" : s.getKey(), s.getValue());
        }
    }

    /** Equal values; numbers by value, so 16 recorded as an int equals 16 asked as a long. */
    private static boolean same(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            // 1e999 in a damaged manifest reads as infinity, which has no decimal value (a bare NumberFormatException)
            if ((a.isDouble() || a.isFloat()) && !Double.isFinite(a.doubleValue())
                    || (b.isDouble() || b.isFloat()) && !Double.isFinite(b.doubleValue())) {
                return a.doubleValue() == b.doubleValue();
            }
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.equals(b);
    }

    private static String describe(String field, JsonNode was, JsonNode now) {
        if (field.endsWith("_sha256")) {
            String file = field.substring(0, field.length() - "_sha256".length());
            return was.isNull() ? file + " added" : now.isNull() ? file + " removed"
                    : now.asText().startsWith("unreadable") ? file + " file " + now.asText()
                    : file.equals("model") ? "model files changed since the run"
                    : file + " file changed since the run";
        }
        return field + " " + shown(was) + " -> " + shown(now);
    }

    private static String shown(JsonNode v) {
        return v.isNull() || v.isMissingNode() ? "(none)" : v.asText();
    }

    /** The file's SHA-256, or why it cannot be read (a difference from any digest recorded); hashed once a batch. */
    private String digest(Path file) {
        return digests.computeIfAbsent(file, RunInputs::sha256);
    }

    private static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            return "unreadable: " + file + ": " + ReadErrors.describe(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }
}
