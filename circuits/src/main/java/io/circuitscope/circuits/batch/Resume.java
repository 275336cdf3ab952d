package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.core.io.ReadErrors;
import io.circuitscope.validation.ValidationSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Which runs of a resumed batch an earlier invocation finished with exactly what the plan now asks (same model and
 * model files, task file contents, reference, align, bos and settings; {@link RunInputs}). Run ids leave the settings out, so a
 * plan edited between invocations names the same runs: a finished run recorded with other inputs is refused, naming
 * the run and the fields that differ, or with {@code --rerun-changed} rerun with its earlier result kept in
 * {@code OUT/superseded/} — never reported under settings it was not found with.
 */
final class Resume {
    /** Where reruns put the earlier results of their runs, inside the batch's folder. */
    static final String SUPERSEDED = "superseded";
    private static final int LISTED = 5;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Resume() {
    }

    /**
     * The finished runs: their discoveries are not redone. Those the plan asks to validate whose circuit.json has no
     * validation section (found with validate: false, or by a version that did not validate batch runs), or whose
     * verdicts the manifest lacks, are in {@code toValidate} too: they are validated, and nothing else.
     */
    record Finished(Set<String> done, Set<String> toValidate) {
    }

    /** The finished runs; refuses, before anything is run or written, runs whose inputs changed. */
    static Finished finishedRuns(BatchPlan plan, Manifest manifest, RunInputs inputs, boolean rerunChanged,
            PrintWriter log) {
        Set<String> finished = new LinkedHashSet<>();
        Set<String> toValidate = new LinkedHashSet<>();
        Map<String, List<String>> changed = new LinkedHashMap<>();
        int unrecorded = 0; // finished by a version that kept no inputs in the manifest
        List<String> unknownModel = new ArrayList<>(); // finished by a version that kept the model's path only
        for (RunSpec r : plan.runs()) {
            Manifest.Entry e = manifest.entries().get(r.id());
            Path circuit = plan.out().resolve(r.id()).resolve("circuit.json");
            if (e == null || e.state != Manifest.State.DONE || !Files.isRegularFile(circuit)) {
                continue;
            }
            // a circuit.json cut short (a disk that filled, a copy interrupted) is no result: the run is redone
            String unreadable = unreadable(circuit);
            if (unreadable != null) {
                log.printf(Locale.ROOT, "redo   %s (its circuit.json cannot be read: %s)%n", r.id(), unreadable);
                continue;
            }
            JsonNode recorded = e.inputs;
            if (recorded == null) {
                try {
                    recorded = inputs.fromCircuit(JSON.readTree(circuit.toFile()));
                } catch (IOException ex) {
                    log.printf(Locale.ROOT, "redo   %s (its circuit.json cannot be read: %s)%n", r.id(), ReadErrors.describe(ex));
                    continue;
                }
            }
            ObjectNode now = inputs.of(r);
            List<String> differences = RunInputs.differences(recorded, now, e.inputs == null);
            if (!differences.isEmpty()) {
                changed.put(r.id(), differences);
            } else {
                finished.add(r.id());
                unrecorded += e.inputs == null ? 1 : 0;
                if (e.inputs != null && RunInputs.modelUnrecorded(e.inputs, now)) {
                    unknownModel.add(r.id());
                }
                if (r.validate()) {
                    JsonNode section = validation(circuit);
                    if (section == null) {
                        toValidate.add(r.id());
                    } else if (!e.results.containsKey(BatchRunner.VERDICT)) {
                        // validated with its verdicts not in the manifest: a batch killed between the rewrite of
                        // circuit.json and the manifest's left it skipped for good, shown unvalidated in the summary.
                        // Validated again when the section is the batch's; one made by hand is no batch's to replace
                        if (batchValidation(section, r)) {
                            toValidate.add(r.id());
                        } else {
                            log.printf(Locale.ROOT, "note: %s's circuit.json holds a validation this batch did not make "
                                    + "(other settings, as `circuitscope validate` may give): kept, and its verdicts are "
                                    + "not in the summary (remove its \"validation\" section to have the batch's)%n", r.id());
                        }
                    }
                }
            }
        }
        if (!changed.isEmpty() && !rerunChanged) {
            throw new PlanException(plan.file() + ": " + changed.size() + " finished run" + (changed.size() == 1 ? "" : "s")
                    + " in " + plan.out() + (changed.size() == 1 ? " was" : " were") + " made with other inputs than the plan now asks: " + listed(changed)
                    + "; nothing was run. To keep both, give the plan another 'out'; to rerun "
                    + (changed.size() == 1 ? "it" : "them") + " (the earlier results are kept in " + plan.out()
                    .resolve(SUPERSEDED) + "), run the batch again with --rerun-changed");
        }
        changed.forEach((id, differences) -> log.printf(Locale.ROOT, "rerun  %s (changed: %s)%n", id, String.join(", ", differences)));
        if (unrecorded > 0) {
            log.printf(Locale.ROOT, "note: %d finished run%s recorded before the manifest kept each run's inputs: model and settings "
                    + "were checked against circuit.json; model files, task file contents, reference, align and bos could not be%n",
                    unrecorded, unrecorded == 1 ? " was" : "s were");
        }
        if (!unknownModel.isEmpty()) {
            // accepted, as runs recorded before inputs were: refusing would rerun every finished run of an old batch
            log.printf(Locale.ROOT, "note: %d finished run%s recorded only the model's path, not a fingerprint of its files, "
                    + "so a model rewritten in place since cannot be told: %s; taken as finished (delete a run's folder "
                    + "to rerun it)%n", unknownModel.size(), unknownModel.size() == 1 ? "" : "s",
                    listed(unknownModel));
        }
        log.flush();
        return new Finished(finished, toValidate);
    }

    /**
     * A readable circuit.json's top-level "validation" section, or null without one; read as a stream, keeping that
     * section alone.
     */
    private static JsonNode validation(Path circuit) {
        try (JsonParser p = JSON.getFactory().createParser(circuit.toFile())) {
            p.nextToken(); // the object's start (checked readable before)
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (field.equals("validation")) {
                    JsonNode section = JSON.readTree(p);
                    return section == null || section.isNull() ? null : section;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null; // read whole just before: validating again costs passes, not results
        }
    }

    /** Whether a validation section is the one the batch writes for the run: its metric, ablation and settings. */
    private static boolean batchValidation(JsonNode section, RunSpec r) {
        ValidationSettings v = BatchRunner.validationSettings(r);
        JsonNode s = section.path("settings");
        return section.path("metric").asText().equals(r.settings().metric())
                && section.path("ablation").asText().equals(r.settings().ablation().key())
                && s.path("sufficiency_threshold").asDouble(Double.NaN) == v.sufficiencyThreshold()
                && s.path("necessity_threshold").asDouble(Double.NaN) == v.necessityThreshold()
                && s.path("minimality_threshold").asDouble(Double.NaN) == v.minimalityThreshold()
                && s.path("completeness_samples").asLong(-1) == v.completenessSamples()
                && s.path("bootstrap_samples").asLong(-1) == v.bootstrapSamples()
                && s.path("confidence").asDouble(Double.NaN) == v.confidence()
                && s.path("seed").isIntegralNumber() && s.path("seed").asLong() == v.seed();
    }

    /**
     * Moves a run's earlier result, if its folder holds one, to {@code OUT/superseded/ID} (ID.2, ID.3, ... when taken),
     * with the manifest's record of it, so the rerun starts from an empty folder and nothing found earlier is lost.
     */
    static void supersede(BatchPlan plan, Manifest manifest, RunSpec r, PrintWriter log) throws IOException {
        Path dir = plan.out().resolve(r.id());
        if (!Files.isRegularFile(dir.resolve("circuit.json"))) {
            return;
        }
        Path parent = Files.createDirectories(plan.out().resolve(SUPERSEDED));
        Path target = parent.resolve(r.id());
        for (int n = 2; Files.exists(target); n++) {
            target = parent.resolve(r.id() + "." + n);
        }
        Files.move(dir, target);
        BatchRunner.writeAtomically(target.resolve("manifest-entry.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(manifest.json(r.id())));
        log.printf(Locale.ROOT, "moved  %s's earlier result to %s%n", r.id(), plan.out().relativize(target));
        log.flush();
    }

    /** Why a circuit.json does not parse as one JSON object, or null; read as a stream, without keeping it. */
    private static String unreadable(Path circuit) {
        try (JsonParser p = JSON.getFactory().createParser(circuit.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return "not a JSON object";
            }
            p.skipChildren();
            return p.nextToken() == null ? null : "text after the circuit (line " + p.currentLocation().getLineNr() + ")";
        } catch (IOException e) {
            return ReadErrors.describe(e);
        }
    }

    /** The first {@value #LISTED} ids, and how many more. */
    private static String listed(List<String> ids) {
        return String.join(", ", ids.subList(0, Math.min(LISTED, ids.size())))
                + (ids.size() > LISTED ? ", and " + (ids.size() - LISTED) + " more" : "");
    }

    private static String listed(Map<String, List<String>> changed) {
        List<String> runs = new ArrayList<>();
        changed.forEach((id, differences) -> {
            if (runs.size() < LISTED) {
                runs.add(id + " (" + String.join(", ", differences) + ")");
            }
        });
        return String.join("; ", runs) + (changed.size() > LISTED ? "; and " + (changed.size() - LISTED) + " more" : "");
    }
}
