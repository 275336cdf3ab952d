package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.io.Provenance;
import io.circuitscope.circuits.run.CallerNames;
import io.circuitscope.circuits.run.DiscoveryRun;
import io.circuitscope.circuits.run.DiscoverySettings;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.circuits.run.ProgressFile;
import io.circuitscope.core.io.AtomicFile;
import io.circuitscope.circuits.run.RunJournal;
import io.circuitscope.circuits.run.PlantedTasks;
import io.circuitscope.circuits.run.RunValidation;
import io.circuitscope.validation.ValidationReport;
import io.circuitscope.validation.ValidationSettings;
import io.circuitscope.discovery.Discovery;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.planted.PlantedModels;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.MeanAblationGroups;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.task.TaskFile;
import io.circuitscope.core.task.UnequalPromptLengthsException;
import io.circuitscope.validation.RocCurve;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Runs a batch plan, resumably. Finished runs (state DONE with their circuit.json on disk) are
 * skipped when they were made with what the plan now asks ({@link Resume}); a run that was RUNNING
 * when the batch died is redone; a failed run is reported and the batch goes on. Runs of the same
 * model share one loaded copy of its weights. Every file is written atomically, and the manifest
 * after every change.
 */
public final class BatchRunner {
    /** How many runs ended in each way in this invocation. */
    public record Outcome(int done, int failed, int skipped) {
    }

    /** The verdict a validated run's manifest results always hold (beside necessary and minimal). */
    static final String VERDICT = "sufficient";

    /** Reads a circuit.json's sections as written, to tell whether it is a run's own ({@link #requireOwnCircuit}). */
    private static final ObjectMapper CIRCUIT = new ObjectMapper();

    /** Held in OUT while a batch runs there. */
    static final String LOCK = ".lock";

    private final Function<String, LoadedModel> loader;
    private final PrintWriter log;
    private final Function<String, Progress> progress;
    private final Function<String, String> hubCommit;
    private final boolean rerunChanged;
    private RunInputs inputs; // the plan's, set by run
    /** Each tau-0 note not yet said in this batch, with how many of its runs to do it holds for (set by run). */
    private Map<String, Integer> unsaidTauZeroNotes;

    /**
     * @param hubCommit    the commit a hub id resolves to in the local cache, or null (recorded to tell a later
     *                     revision from the one a finished run used)
     * @param rerunChanged rerun finished runs made with other inputs than the plan asks, instead of refusing the plan
     */
    public BatchRunner(Function<String, LoadedModel> loader, Function<String, String> hubCommit, PrintWriter log,
            Function<String, Progress> progress, boolean rerunChanged) {
        this.loader = loader;
        this.hubCommit = hubCommit;
        this.log = log;
        this.progress = progress;
        this.rerunChanged = rerunChanged;
    }

    /**
     * Runs the plan while holding {@code OUT/.lock}: two batches in one folder would both run every run and move
     * each other's results to superseded/. The operating system drops the lock when the process dies, however.
     */
    public Outcome run(BatchPlan plan) throws IOException {
        Files.createDirectories(plan.out());
        Path lockFile = plan.out().resolve(LOCK);
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = tryLock(channel)) {
            if (lock == null) {
                throw new PlanException(plan.file() + ": another batch is running in " + plan.out() + " (it holds "
                        + lockFile + "); nothing was run. Wait for it to end, or give this plan another 'out'");
            }
            return runLocked(plan);
        }
    }

    /** The lock, or null when another process, or another batch of this one, holds it. */
    private static FileLock tryLock(FileChannel channel) throws IOException {
        try {
            return channel.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    private Outcome runLocked(BatchPlan plan) throws IOException {
        // what a killed batch was writing: no one else writes here while the lock is held
        AtomicFile.deleteLeftovers(plan.out());
        for (RunSpec r : plan.runs()) {
            AtomicFile.deleteLeftovers(plan.out().resolve(r.id()));
        }
        Manifest manifest = Manifest.load(plan.out());
        inputs = new RunInputs(plan, manifest, hubCommit);
        Resume.Finished earlier = Resume.finishedRuns(plan, manifest, inputs, rerunChanged, log);
        Set<String> finished = earlier.done();
        for (RunSpec r : plan.runs()) {
            manifest.entry(r.id());
        }
        manifest.save();
        unsaidTauZeroNotes = tauZeroNotes(plan, finished);
        Map<String, List<RunSpec>> byModel = new LinkedHashMap<>();
        for (RunSpec r : plan.runs()) {
            byModel.computeIfAbsent(r.model(), k -> new ArrayList<>()).add(r);
        }
        int done = 0;
        int validated = 0;
        int failed = 0;
        int skipped = 0;
        for (Map.Entry<String, List<RunSpec>> group : byModel.entrySet()) {
            List<RunSpec> todo = new ArrayList<>();
            for (RunSpec r : group.getValue()) {
                if (earlier.toValidate().contains(r.id())) {
                    todo.add(r); // its discovery is kept; it is validated, which needs the model
                } else if (finished.contains(r.id())) {
                    skipped++;
                    log.printf(Locale.ROOT, "skip   %s (finished earlier)%n", r.id());
                } else {
                    todo.add(r);
                }
            }
            if (todo.isEmpty()) {
                continue;
            }
            // fingerprinted before its weights are read: the runs record the files they run on, not later ones
            ObjectNode modelAsLoaded = inputs.model(group.getKey());
            LoadedModel loaded;
            try {
                loaded = loader.apply(group.getKey());
            } catch (RuntimeException | OutOfMemoryError e) {
                String why = e instanceof OutOfMemoryError oom ? outOfMemory(oom) : e.getMessage();
                for (RunSpec r : todo) {
                    if (earlier.toValidate().contains(r.id())) { // its discovery stands; the validation is tried again
                        failValidation(manifest, r, "model " + group.getKey() + ": " + why);
                        failed++;
                        continue;
                    }
                    // a changed run's earlier result is moved away with its record, as runOne does, before the record
                    // is overwritten: its numbers (the AUC is in the manifest alone) were lost at the next attempt
                    Resume.supersede(plan, manifest, r, log);
                    fail(manifest, r, "model " + group.getKey() + ": " + why, 0);
                    failed++;
                }
                continue;
            }
            if (!modelAsLoaded.has("model_sha256")) { // a hub id's commit is in the cache once loading downloaded it
                modelAsLoaded = inputs.model(group.getKey());
            }
            try (loaded) {
                for (RunSpec r : todo) {
                    if (earlier.toValidate().contains(r.id())) {
                        if (validateOne(plan, manifest, r, loaded)) {
                            validated++;
                        } else {
                            failed++;
                        }
                    } else if (runOne(plan, manifest, r, loaded, modelAsLoaded)) {
                        done++;
                    } else {
                        failed++;
                    }
                }
            }
        }
        SummaryTable.write(plan, manifest);
        log.printf(Locale.ROOT, "batch: %d done, %s%d failed, %d skipped; summary in %s%n", done,
                validated > 0 ? validated + " validated (found earlier), " : "", failed, skipped,
                plan.out().resolve("summary.md"));
        log.flush();
        return new Outcome(done, failed, skipped);
    }

    /** The least time between two writes of a run's progress file; tests set 0 to record every destination. */
    static double progressSeconds = ProgressFile.INTERVAL_SECONDS;

    /** The journal a run's ACDC and exact patching are given, from its progress file; tests wrap it to stop a run. */
    static java.util.function.Function<ProgressFile, RunJournal> journalSeam = f -> f;

    private boolean runOne(BatchPlan plan, Manifest manifest, RunSpec r, LoadedModel loaded, ObjectNode modelAsLoaded) {
        long start = System.nanoTime();
        try {
            Resume.supersede(plan, manifest, r, log);
            Manifest.Entry e = manifest.entry(r.id());
            e.state = Manifest.State.RUNNING;
            e.error = null;
            e.results = new LinkedHashMap<>(); // an earlier attempt's numbers are not this run's
            e.seconds = 0;
            e.inputs = inputs.startedWith(r, modelAsLoaded);
            manifest.save();
            log.printf(Locale.ROOT, "run    %s%n", r.id());
            log.flush();
            Task task = r.task() == null ? PlantedModels.byArgument(r.model()).task(r.settings().seed(), r.examples())
                    : readTask(r, loaded);
            checkTask(task, r.settings());
            sayTauZeroNote(r);
            // read before the discovery, so a bad reference fails the run before its work, not after
            Circuit truth = reference(r, ComputationGraph.of(loaded.model().config()), loaded);
            sayPlantedTaskNote(r, task);
            Path source = PlantedModels.isPlanted(r.model()) ? null : loaded.source();
            // an interrupted run's ACDC or exact patching goes on from where it was (removed once circuit.json is written)
            ProgressFile progressFile = new ProgressFile(plan.out().resolve(r.id()).resolve(ProgressFile.NAME),
                    DiscoveryRun.fingerprint(loaded.model(), r.model(), source, task, r.settings()), log,
                    progressSeconds);
            CircuitDocument doc = DiscoveryRun.run(loaded.model(), r.model(), source, task, r.settings(),
                    CallerNames.planKeys(), progress.apply(r.id()),
                    Discovery.keepsProgress(r.settings().options()) ? journalSeam.apply(progressFile) : RunJournal.none());
            Map<String, Object> results = new LinkedHashMap<>();
            results.put("edges", doc.summary().get("edges_in_graph"));
            results.put("faithfulness", doc.summary().get("faithfulness"));
            results.put("forward_passes", doc.summary().get("forward_passes"));
            results.put("gradient_passes", doc.summary().get("gradient_passes"));
            if (r.validate()) {
                RunValidation.Result validated = validate(r, loaded, task, doc, truth);
                doc = validated.document();
                results.putAll(verdicts(validated.report()));
            }
            if (truth != null) {
                Circuit found = doc.circuit();
                if (found.graph().positions() != truth.graph().positions()) {
                    found = found.acrossPositions();
                    truth = truth.acrossPositions();
                }
                results.put("auc", RocCurve.of(found.scores(), truth.keepMask()).auc());
            }
            Path dir = plan.out().resolve(r.id());
            Files.createDirectories(dir);
            CircuitJson.write(dir.resolve("circuit.json"), doc.withExtra("software", Provenance.software()));
            progressFile.delete();
            e.results = results;
            e.seconds = (System.nanoTime() - start) / 1e9;
            e.state = Manifest.State.DONE;
            manifest.save();
            return true;
        } catch (Exception ex) {
            fail(manifest, r, ex.getMessage() == null ? ex.toString() : ex.getMessage().replace('\n', ' '),
                    (System.nanoTime() - start) / 1e9);
            return false;
        } catch (OutOfMemoryError ex) {
            // the run's arrays are unreachable once here; left uncaught it ended the batch and stayed RUNNING, so
            // every restart ran it first and died again
            fail(manifest, r, outOfMemory(ex), (System.nanoTime() - start) / 1e9);
            return false;
        }
    }

    /**
     * Validates a run found earlier without a validation (told validate: false then, or made by a version that did not
     * validate batch runs), as its discovery would have been: its circuit.json gains the validation and comparison
     * sections, the manifest its verdicts; the circuit and its discovery's numbers stay as they were. A failure leaves
     * the run finished, with the error, and the next batch tries again.
     */
    private boolean validateOne(BatchPlan plan, Manifest manifest, RunSpec r, LoadedModel loaded) {
        long start = System.nanoTime();
        Manifest.Entry e = manifest.entry(r.id());
        try {
            log.printf(Locale.ROOT, "validate %s (found earlier; validated now, its discovery kept)%n", r.id());
            log.flush();
            Path file = plan.out().resolve(r.id()).resolve("circuit.json");
            CircuitDocument doc = CircuitJson.read(file, ComputationGraph.of(loaded.model().config()));
            requireOwnCircuit(file, r, e, doc);
            Task task = r.task() == null ? PlantedModels.byArgument(r.model()).task(r.settings().seed(), r.examples())
                    : readTask(r, loaded);
            checkTask(task, r.settings());
            Circuit truth = reference(r, ComputationGraph.of(loaded.model().config()), loaded);
            sayPlantedTaskNote(r, task);
            RunValidation.Result validated = validate(r, loaded, task, doc, truth);
            CircuitJson.write(file, validated.document());
            e.results.putAll(verdicts(validated.report()));
            if (e.inputs instanceof ObjectNode recorded) {
                recorded.put(RunInputs.VALIDATE, true);
            }
            e.error = null;
            e.seconds += (System.nanoTime() - start) / 1e9;
            manifest.save();
            return true;
        } catch (Exception ex) {
            failValidation(manifest, r, ex.getMessage() == null ? ex.toString() : ex.getMessage().replace('\n', ' '));
            return false;
        } catch (OutOfMemoryError ex) {
            failValidation(manifest, r, outOfMemory(ex));
            return false;
        }
    }

    /**
     * Refuses a circuit.json that is not the circuit the run found: another run's put in its place (other method or
     * settings) or edited (edges taken into or out of its graph) since. Validated, its verdicts would be recorded beside
     * the run's own edges and faithfulness.
     */
    private void requireOwnCircuit(Path file, RunSpec r, Manifest.Entry e, CircuitDocument doc) throws IOException {
        JsonNode written = CIRCUIT.readTree(file.toFile());
        ObjectNode found = inputs.fromCircuit(written);
        // the model by its name alone: circuit.json keeps the path it was found at, and a batch may move with its
        // plan and models (its manifest records them relative to the plan); the graph was checked as it was read
        found.remove("model");
        List<String> differences = RunInputs.differences(found, inputs.of(r), true);
        String model = fileName(written.path("model").path("name").asText());
        if (!model.equals(fileName(r.model()))) {
            differences.add("model " + model + " -> " + fileName(r.model()));
        }
        Object recorded = e.results.get("edges");
        Object summary = doc.summary().get("edges_in_graph");
        int edges = doc.circuit().edgeCount();
        if (recorded instanceof Number n && n.longValue() != edges) {
            differences.add(edges + " edges in its graph where the run found " + n);
        } else if (summary instanceof Number n && n.longValue() != edges) {
            differences.add(edges + " edges in its graph where its summary says " + n);
        }
        if (!differences.isEmpty()) {
            throw new IllegalArgumentException(file + " is not the circuit this run found (" + String.join(", ", differences)
                    + "; the file's -> the plan's): replaced or edited since; nothing was validated. Put the run's own "
                    + "circuit.json back, or delete " + file.getParent() + " to redo the run");
        }
    }

    /** A model's file or folder name (a hub id's last part, a planted model's name). */
    private static String fileName(String model) {
        int slash = Math.max(model.lastIndexOf('/'), model.lastIndexOf(java.io.File.separatorChar));
        return model.substring(slash + 1);
    }

    /** Discover's validation, with its default thresholds and the run's seed, as discover runs it without options. */
    private RunValidation.Result validate(RunSpec r, LoadedModel loaded, Task task, CircuitDocument doc, Circuit truth) {
        return RunValidation.validate(loaded.model(), task, doc, r.settings(), validationSettings(r), truth,
                referenceName(r), progress.apply(r.id()));
    }

    /** What a batch validates a run with: discover's defaults and the run's seed. */
    static ValidationSettings validationSettings(RunSpec r) {
        return ValidationSettings.defaults().withSeed(r.settings().seed());
    }

    /**
     * Discover's note when a planted model runs on a task file that is not its own: the comparison section and the
     * AUC are taken against its ground truth, which assumes its own task's corruption.
     */
    private void sayPlantedTaskNote(RunSpec r, Task task) {
        if (r.reference() == null && r.task() != null && PlantedModels.isPlanted(r.model())
                && PlantedTasks.replacesOwnTask(PlantedModels.byArgument(r.model()), task, r.settings().seed())) {
            log.println("       " + PlantedTasks.note(PlantedModels.byArgument(r.model())));
        }
    }

    /** The validation's verdicts as the manifest and summary keep them (minimal null for a circuit without components). */
    private static Map<String, Object> verdicts(ValidationReport report) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put(VERDICT, report.sufficient());
        v.put("necessary", report.necessary());
        v.put("minimal", report.minimalityApplies() ? report.minimal() : null);
        return v;
    }

    /** A failed validation of a run found earlier: the run stays finished (its discovery stands), with the error. */
    private void failValidation(Manifest manifest, RunSpec r, String message) {
        Manifest.Entry e = manifest.entry(r.id());
        e.error = "validation: " + message;
        manifest.save();
        log.printf(Locale.ROOT, "FAILED validate %s: %s%n", r.id(), message);
        log.flush();
    }

    /**
     * What discovery would refuse in this task, refused naming the plan's fields (discovery names them in words):
     * an example alone at its length under mean ablation, prompts of several lengths split by position. Small
     * mean-ablation groups are noted in the log.
     */
    private void checkTask(Task task, DiscoverySettings s) {
        if (s.ablation() == Ablation.MEAN) {
            MeanAblationGroups groups = MeanAblationGroups.of(task);
            groups.requireNoSingletons("ablation");
            groups.smallGroupNotes("ablation").forEach(n -> log.println("       " + n));
        }
        if (s.byPosition()) {
            task.commonLength("by_position");
        }
    }

    /** Discover's tau-0 note of each run to do, with how many of them it holds for, in the order they run. */
    private static Map<String, Integer> tauZeroNotes(BatchPlan plan, Set<String> finished) {
        Map<String, Integer> notes = new LinkedHashMap<>();
        for (RunSpec r : plan.runs()) {
            String note = r.settings().tauZeroNote(CallerNames.planKeys());
            if (note != null && !finished.contains(r.id())) {
                notes.merge(note, 1, Integer::sum);
            }
        }
        return notes;
    }

    /**
     * Discover's tau-0 note, said once per batch at the first run it holds for, with how many runs that is: a plan
     * crossing tau 0 with several seeds or tasks would otherwise repeat the same sentence under every run.
     */
    private void sayTauZeroNote(RunSpec r) {
        String note = r.settings().tauZeroNote(CallerNames.planKeys());
        Integer runs = note == null ? null : unsaidTauZeroNotes.remove(note);
        if (runs != null) {
            log.println("       note: " + note + (runs > 1 ? "; it holds for this run and " + (runs - 1) + " other"
                    + (runs > 2 ? "s" : "") + " of this batch" : ""));
        }
    }

    private static String outOfMemory(OutOfMemoryError e) {
        return String.format(Locale.ROOT, "Java ran out of memory (%s; it may use %.1f GB here): give it more with "
                + "CIRCUITSCOPE_JAVA_OPTS=-Xmx..., or use fewer examples or a smaller batch_size", e.getMessage(),
                Runtime.getRuntime().maxMemory() / 1e9);
    }

    /** The run's task file; prompts of unequal lengths are answered with the plan's way to align them. */
    private static Task readTask(RunSpec r, LoadedModel loaded) {
        try {
            return TaskFile.read(r.task(), (r.bos() ? loaded : loaded.withoutBos()).tokenizer(), r.align(),
                    loaded.model().config().vocabSize(), loaded.model().config().contextLength());
        } catch (UnequalPromptLengthsException e) {
            throw e.orAlign("set align: true in the plan");
        }
    }

    /**
     * The plan's reference circuit (read against the model's graph, split as the file says) or, as discover takes it,
     * a planted model's ground truth; null without either.
     */
    private static Circuit reference(RunSpec r, ComputationGraph graph, LoadedModel loaded) {
        if (r.reference() != null) {
            Circuit read = io.circuitscope.circuits.io.RecordedModel.readReference(r.reference(), graph,
                    loaded.model().config(), "reference").circuit();
            // the run's AUC ranks every edge against it: with none or all of them in it, nothing can be told apart
            if (read.edgeCount() == 0 || read.edgeCount() == read.graph().nEdges()) {
                throw new IllegalArgumentException(String.format(Locale.ROOT, "%s: the reference keeps %d of %d edges; its "
                        + "ROC AUC needs some but not all of them in the reference", r.reference(), read.edgeCount(),
                        read.graph().nEdges()));
            }
            return read;
        }
        if (PlantedModels.isPlanted(r.model())) {
            return Circuit.ofEdgeNames(ComputationGraph.of(loaded.model().config()),
                    PlantedModels.byArgument(r.model()).groundTruthEdges(r.settings().ablation()));
        }
        return null;
    }

    /** How the comparison section names the run's reference: its file, or the planted model's ground truth. */
    private static String referenceName(RunSpec r) {
        if (r.reference() != null) {
            return r.reference().getFileName().toString();
        }
        return PlantedModels.isPlanted(r.model())
                ? PlantedTasks.referenceName(PlantedModels.byArgument(r.model()), r.settings().ablation()) : null;
    }

    private void fail(Manifest manifest, RunSpec r, String message, double seconds) {
        Manifest.Entry e = manifest.entry(r.id());
        e.state = Manifest.State.FAILED;
        e.error = message;
        e.results = new LinkedHashMap<>(); // numbers of an earlier attempt would read as this one's
        e.seconds = seconds;
        manifest.save();
        log.printf(Locale.ROOT, "FAILED %s: %s%n", r.id(), message);
        log.flush();
    }

    static void writeAtomically(Path file, String content) throws IOException {
        AtomicFile.write(file, tmp -> Files.writeString(tmp, content));
    }
}
