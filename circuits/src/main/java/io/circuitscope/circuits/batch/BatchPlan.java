package io.circuitscope.circuits.batch;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.circuitscope.circuits.io.CircuitFileException;
import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.run.CallerNames;
import io.circuitscope.circuits.run.DiscoverySettings;
import io.circuitscope.circuits.run.DiscoveryRun;
import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.io.JsonSyntax;
import io.circuitscope.core.io.ReadErrors;
import io.circuitscope.core.planted.PlantedModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A batch plan, JSON or YAML. Either the cross product
 * <pre>
 * {"out": "runs/my-batch", "models": [...], "tasks": [...], "methods": ["acdc", "pipeline"], "seeds": [0, 1],
 *  "settings": [{"tau": 0.01}, {"tau": 0.05}], "defaults": {"metric": "kl"}, "reference": "ref.json"}
 * </pre>
 * or an explicit list {@code {"runs": [{"model": ..., "task": ..., "method": ..., "seed": ..., ...}]}}.
 * Setting keys: method, scorer, candidates, tau, metric, ablation, ig_steps, edges, nodes, batch_size, seed,
 * reference, align, bos, by_position, examples (of a planted model's own task), validate, each checked when the plan is read ({@link SettingChecks}). Relative paths are
 * resolved against the plan's folder.
 */
public final class BatchPlan {
    /** The plan's own keys; a misspelt one would otherwise be ignored without a word. */
    private static final Set<String> PLAN_KEYS = Set.of("out", "models", "tasks", "methods", "seeds", "settings",
            "defaults", "reference", "runs");
    /** The keys of the cross product, which an explicit 'runs' list replaces. */
    private static final List<String> CROSS_PRODUCT_KEYS = List.of("models", "tasks", "methods", "seeds", "settings");

    private final Path file;
    private final Path folder;
    private final Path out;
    private final List<RunSpec> runs;

    private BatchPlan(Path file, Path folder, Path out, List<RunSpec> runs) {
        this.file = file;
        this.folder = folder;
        this.out = out;
        this.runs = runs;
    }

    public Path file() {
        return file;
    }

    /** The plan's folder without symbolic links: what its relative paths are resolved against. */
    public Path folder() {
        return folder;
    }

    public Path out() {
        return out;
    }

    public List<RunSpec> runs() {
        return runs;
    }

    public static BatchPlan read(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean yaml = name.endsWith(".yaml") || name.endsWith(".yml");
        // A key given twice is refused, not silently replaced by its last value
        ObjectMapper mapper = (yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper())
                .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try (JsonParser parser = mapper.createParser(Files.readString(file))) {
            root = mapper.readTree(parser);
            if (parser.nextToken() != null) { // a second object, or YAML document after ---, was ignored
                JsonLocation at = parser.currentTokenLocation();
                throw new PlanException(String.format(Locale.ROOT, "%s: text after the plan (line %d, column %d): a plan "
                        + "is one %s; remove it or merge it into the plan", file, at.getLineNr(), at.getColumnNr(),
                        yaml ? "YAML document (this one follows ---)" : "JSON object"));
            }
        } catch (JsonProcessingException e) {
            // Syntax errors in plain words, as for every other JSON file
            throw new PlanException(file + ": not valid " + (yaml ? "YAML: " + YamlSyntax.describe(e)
                    : "JSON: " + JsonSyntax.describe(e, false)));
        } catch (IOException e) {
            // ReadErrors: a plan that is not UTF-8 was "cannot read the plan (Input length = 1)"
            throw new PlanException(file + ": cannot read the plan: " + ReadErrors.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw new PlanException(file + ": the plan must be an object");
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!PLAN_KEYS.contains(key)) {
                throw new PlanException(file + ": unknown top-level key '" + key + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(PLAN_KEYS)) + ")");
            }
        }
        if (root.has("out") && !root.get("out").isTextual()) {
            throw new PlanException(file + ": field 'out' must be a folder name, got " + root.get("out"));
        }
        Path base = realFolder(file);
        if (root.has("out")) {
            validPath(file, "", "out", root.get("out").asText());
        }
        Path out = (root.has("out") ? base.resolve(root.get("out").asText())
                : base.resolve("runs").resolve(name.replaceFirst("\\.(json|ya?ml)$", ""))).normalize();
        // a file where the results folder (or a folder above it) would be made failed the batch with "PATH: exists and
        // is not a folder", naming no field of the plan
        for (Path p = out; p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new PlanException(file + ": field 'out' (" + out + "): " + (p.equals(out) ? "is a file, not a "
                            + "folder" : "cannot be created: " + p + " is a file, not a folder"));
                }
                break;
            }
        }
        List<ObjectNode> specs = new ArrayList<>();
        List<String> origins = new ArrayList<>(); // of each cross-product run
        ObjectNode defaults = root.has("defaults") ? object(file, root.get("defaults"), "defaults") : new ObjectMapper().createObjectNode();
        SettingChecks.check(file, "defaults", defaults);
        if (root.has("reference") && !defaults.has("reference")) {
            defaults.set("reference", root.get("reference"));
        }
        if (root.has("runs")) {
            List<String> crossProduct = CROSS_PRODUCT_KEYS.stream().filter(root::has).toList();
            if (!crossProduct.isEmpty()) { // they were ignored without a word
                throw new PlanException(file + ": 'runs' lists every run itself and cannot be combined with the cross "
                        + "product's " + String.join(", ", crossProduct.stream().map(k -> "'" + k + "'").toList())
                        + "; give either the 'runs' list or the cross product (settings shared by the runs go in 'defaults')");
            }
            JsonNode list = root.get("runs");
            if (!list.isArray() || list.isEmpty()) {
                throw new PlanException(file + ": field 'runs' must be a non-empty list");
            }
            for (int i = 0; i < list.size(); i++) {
                ObjectNode r = defaults.deepCopy();
                ObjectNode run = object(file, list.get(i), "runs[" + i + "]");
                SettingChecks.check(file, "runs[" + i + "]", run);
                r.setAll(run);
                specs.add(r);
            }
        } else {
            List<JsonNode> models = list(file, root, "models", true);
            List<JsonNode> tasks = root.has("tasks") ? list(file, root, "tasks", true) : ownTasks(file, models);
            List<JsonNode> methods = root.has("methods") ? list(file, root, "methods", true) : List.of();
            List<JsonNode> seeds = root.has("seeds") ? list(file, root, "seeds", true) : List.of();
            List<JsonNode> settings = root.has("settings") ? list(file, root, "settings", true) : List.of();
            for (int k = 0; k < settings.size(); k++) {
                SettingChecks.check(file, "settings[" + k + "]", object(file, settings.get(k), "settings[" + k + "]"));
                refuseListed(file, root, "settings[" + k + "]", settings.get(k), List.of("model", "task", "method", "seed"));
            }
            refuseListed(file, root, "defaults", defaults, List.of("model", "task"));
            for (int k = 0; k < seeds.size(); k++) {
                String problem = SettingChecks.seedProblem(seeds.get(k));
                if (problem != null) {
                    throw new PlanException(file + ": seeds[" + k + "]: " + problem);
                }
            }
            for (int k = 0; k < methods.size(); k++) {
                String problem = SettingChecks.methodProblem(methods.get(k));
                if (problem != null) {
                    throw new PlanException(file + ": methods[" + k + "]: " + problem);
                }
            }
            for (int k = 0; k < models.size(); k++) {
                try {
                    SettingChecks.modelProblem(models.get(k));
                } catch (IllegalArgumentException e) {
                    throw new PlanException(file + ": models[" + k + "]: " + e.getMessage());
                }
            }
            for (int mi = 0; mi < models.size(); mi++) {
                JsonNode m = models.get(mi);
                for (int ti = 0; ti < tasks.size(); ti++) {
                    JsonNode t = tasks.get(ti);
                    for (int ci = 0; ci < Math.max(1, methods.size()); ci++) {
                        for (int si = 0; si < Math.max(1, seeds.size()); si++) {
                            for (int k = 0; k < Math.max(1, settings.size()); k++) {
                                ObjectNode r = defaults.deepCopy();
                                if (!settings.isEmpty()) {
                                    r.setAll(object(file, settings.get(k), "settings[" + k + "]"));
                                }
                                r.set("model", m);
                                r.set("task", t);
                                // without its list, a method or seed is the settings' or else the defaults'
                                if (!methods.isEmpty()) {
                                    r.set("method", methods.get(ci));
                                }
                                if (!seeds.isEmpty()) {
                                    r.set("seed", seeds.get(si));
                                }
                                specs.add(r);
                                // where a combination's values come from, for an error only the combination shows
                                origins.add("models[" + mi + "], " + (root.has("tasks") ? "tasks[" + ti + "], " : "")
                                        + (methods.isEmpty() ? "" : "methods[" + ci + "], ")
                                        + (seeds.isEmpty() ? "" : "seeds[" + si + "], ")
                                        + (settings.isEmpty() ? "" : "settings[" + k + "], ") + "defaults");
                            }
                        }
                    }
                }
            }
        }
        List<RunSpec> runs = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            runs.add(spec(file, base, i, specs.get(i), root.has("runs") ? "runs[" + i + "]"
                    : "run " + i + " (" + origins.get(i) + ")"));
        }
        checkReferences(file, runs);
        checkTasks(file, root, runs);
        checkModels(file, root, runs);
        return new BatchPlan(file, base, out, runs);
    }

    /**
     * Every task file exists and is a readable file, checked when the plan is read: a run reads its task only when
     * its turn comes, so a typo failed that run after every earlier run had spent its time. Named by its entry in the
     * 'tasks' list, or by its run in an explicit 'runs' list.
     */
    private static void checkTasks(Path file, JsonNode root, List<RunSpec> runs) {
        if (root.has("runs")) {
            for (int i = 0; i < runs.size(); i++) {
                Path task = runs.get(i).task();
                String unreadable = task == null ? null : ReadErrors.whyUnreadable(task);
                if (unreadable != null) {
                    throw new PlanException(file + ": runs[" + i + "]: field 'task': " + task + ": " + unreadable);
                }
            }
            return;
        }
        if (!root.has("tasks")) {
            return; // planted models' own tasks
        }
        java.util.Map<Path, Integer> entries = new java.util.LinkedHashMap<>(); // the first tasks[k] of each file
        int k = 0;
        for (JsonNode t : root.get("tasks")) {
            if (t.isTextual() && !t.asText().isEmpty()) {
                entries.putIfAbsent(realFolder(file).resolve(t.asText()).normalize(), k);
            }
            k++;
        }
        runs.stream().map(RunSpec::task).filter(java.util.Objects::nonNull).distinct().forEach(task -> {
            String unreadable = ReadErrors.whyUnreadable(task);
            if (unreadable != null) {
                Integer entry = entries.get(task);
                throw new PlanException(file + ": " + (entry == null ? "task" : "tasks[" + entry + "]") + ": " + task
                        + ": " + unreadable);
            }
        });
    }

    /**
     * Every model path exists, checked when the plan is read: a batch loads each model when its first run comes, so a
     * typo in the last model's path failed its runs after every other model's had spent their hours. Hub ids and
     * planted models are checked when loaded. Named by the entry of 'models', or the run of 'runs', that gives it.
     */
    private static void checkModels(Path file, JsonNode root, List<RunSpec> runs) {
        List<String> entries = new ArrayList<>(); // where each run's model was written
        if (root.has("runs")) {
            for (int i = 0; i < runs.size(); i++) {
                entries.add("runs[" + i + "]: field 'model'");
            }
        } else {
            int perModel = runs.size() / root.get("models").size(); // the cross product varies the model slowest
            for (int i = 0; i < runs.size(); i++) {
                entries.add("models[" + i / perModel + "]");
            }
        }
        for (int i = 0; i < runs.size(); i++) {
            String model = runs.get(i).model();
            if (!PlantedModels.isPlanted(model) && Path.of(model).isAbsolute() && !Files.exists(Path.of(model))) {
                throw new PlanException(file + ": " + entries.get(i) + ": " + model + ": no such model file or folder "
                        + "(a path is read from the plan's folder; a hub id is written ORG/NAME)");
            }
        }
    }

    /**
     * Every reference file exists and is JSON, checked when the plan is read: a run compares with its reference only
     * after its discovery, and a typo would otherwise fail every run that names it, each after its work.
     */
    private static void checkReferences(Path file, List<RunSpec> runs) {
        runs.stream().map(RunSpec::reference).filter(java.util.Objects::nonNull).distinct().forEach(reference -> {
            String unreadable = ReadErrors.whyUnreadable(reference);
            if (unreadable != null) {
                throw new PlanException(file + ": field 'reference': " + reference + ": " + unreadable);
            }
            try {
                com.fasterxml.jackson.databind.JsonNode raw = CircuitJson.readRaw(reference);
                if (raw == null || !raw.isObject()) {
                    throw new CircuitFileException(reference + ": not a circuit (a JSON object)");
                }
            } catch (CircuitFileException e) {
                throw new PlanException(file + ": field 'reference': " + e.getMessage());
            }
        });
    }

    private static RunSpec spec(Path file, Path base, int index, ObjectNode r, String where) {
        for (Iterator<String> it = r.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!SettingChecks.KEYS.contains(key)) {
                throw new PlanException(file + ": " + where + ": unknown field '" + key + "' (known: "
                        + String.join(", ", new java.util.TreeSet<>(SettingChecks.KEYS)) + ")");
            }
        }
        String model = validPath(file, where + ": ", "model", text(file, r, "model", where, null));
        boolean planted = PlantedModels.isPlanted(model);
        // "": the planted model's own task
        String task = validPath(file, where + ": ", "task", text(file, r, "task", where, planted ? "" : null));
        DiscoverySettings d = DiscoverySettings.defaults();
        DiscoverySettings s;
        try {
            s = new DiscoverySettings(text(file, r, "method", where, d.method()), text(file, r, "scorer", where, d.scorer()),
                    text(file, r, "candidates", where, d.candidates()), number(file, r, "tau", where, d.tau()),
                    text(file, r, "metric", where, d.metric()),
                    Ablation.parse(text(file, r, "ablation", where, d.ablation().name())),
                    (int) whole(file, r, "ig_steps", where, d.igSteps()), (int) whole(file, r, "edges", where, d.edges()),
                    (int) whole(file, r, "nodes", where, d.nodes()),
                    (int) whole(file, r, "batch_size", where, d.batchSize()), whole(file, r, "seed", where, d.seed()),
                    flag(file, r, "by_position", where, d.byPosition()));
            // a misspelt method, scorer, metric or planted model fails here, before any run, not hours into the batch
            DiscoveryRun.check(s, CallerNames.planKeys());
            if (planted) {
                PlantedModels.byArgument(model);
            }
        } catch (IllegalArgumentException e) {
            throw new PlanException(file + ": " + where + ": " + e.getMessage());
        }
        String reference = validPath(file, where + ": ", "reference", text(file, r, "reference", where, ""));
        // the id names a folder: a method such as relp:ln+identity is written relp_ln_identity
        String id = String.format(Locale.ROOT, "%03d-%s-%s-%s-s%d", index, slug(model),
                task.isEmpty() ? "own-task" : slug(Path.of(task).getFileName().toString()),
                s.method().replaceAll("[^A-Za-z0-9_.-]", "_"), s.seed());
        // normalised, so summaries and errors show ../shared/m.bin as the path it is
        return new RunSpec(id, isPathLike(model, base) ? base.resolve(model).normalize().toString() : model,
                task.isEmpty() ? null : base.resolve(task).normalize(), s,
                reference.isEmpty() ? null : base.resolve(reference).normalize(), flag(file, r, "align", where, false),
                (int) whole(file, r, "examples", where, PlantedModels.DEFAULT_EXAMPLES), flag(file, r, "bos", where, true),
                flag(file, r, "validate", where, true));
    }

    /**
     * The plan's folder without symbolic links, so that normalising "../x" against it (for readable paths in
     * summaries and errors) names the file the operating system would open.
     */
    private static Path realFolder(Path file) {
        Path folder = file.toAbsolutePath().getParent();
        try {
            return folder.toRealPath();
        } catch (IOException e) {
            return folder;
        }
    }

    /**
     * Refuses in {@code where} the keys among {@code keys} that the cross product sets for every run (model and task
     * always, method and seed when listed): the lists' values replaced them without a word.
     */
    private static void refuseListed(Path file, JsonNode root, String where, JsonNode settings, List<String> keys) {
        for (String key : keys) {
            String list = key + "s";
            if (settings.has(key) && (root.has(list) || key.equals("model") || key.equals("task"))) {
                throw new PlanException(file + ": " + where + ": key '" + key + "' cannot be set here: "
                        + (root.has(list) ? "the '" + list + "' list" : "each model's own task (there is no 'tasks' list)")
                        + " sets it for every run and would override it; "
                        + (key.equals("model") || key.equals("task") ? "give it in '" + list + "'"
                        : "give it in '" + list + "' or in 'defaults' without a '" + list + "' list")
                        + ", or list the runs in 'runs'");
            }
        }
    }

    /** Without a 'tasks' list every model must bring its own task, as planted models do; a null task stands for it. */
    private static List<JsonNode> ownTasks(Path file, List<JsonNode> models) {
        for (JsonNode m : models) {
            if (!m.isTextual() || !PlantedModels.isPlanted(m.asText())) {
                throw new PlanException(file + ": field 'tasks' is missing (or give an explicit 'runs' list); model " + m
                        + " brings no task of its own (only " + PlantedModels.PREFIX + "NAME models do)");
            }
        }
        return List.of(com.fasterxml.jackson.databind.node.NullNode.getInstance());
    }

    /**
     * A model file or folder rather than a hub id; ORG/NAME is a path when it exists beside the plan (not in the
     * working directory: a plan names the same files wherever it is run from).
     */
    private static boolean isPathLike(String model, Path base) {
        if (PlantedModels.isPlanted(model)) {
            return false; // planted:induction is built in memory, not a file beside the plan
        }
        return model.startsWith(".") || model.startsWith("/") || Files.exists(base.resolve(model))
                || !model.matches("[\\w.-]+/[\\w.-]+(@.*)?") || !couldBeHubId(model);
    }

    /**
     * Whether the loader would take {@code model} for a hub id: ORG/NAME.bin (.safetensors, .json) is a file name to
     * it, so a missing one is a missing file, refused with the plan, not a hub id whose run fails.
     */
    private static boolean couldBeHubId(String model) {
        try {
            return io.circuitscope.core.io.hub.HubId.parse(model).isPresent();
        } catch (io.circuitscope.core.io.CheckpointException e) {
            return true; // a malformed revision: the run names it, as it did
        }
    }

    private static String slug(String s) {
        String base = s.replaceAll("\\.(jsonl?|bin)$", "");
        int slash = base.lastIndexOf('/');
        base = slash >= 0 && slash < base.length() - 1 ? base.substring(slash + 1) : base;
        return base.replaceAll("[^A-Za-z0-9_.-]", "_");
    }

    private static ObjectNode object(Path file, JsonNode node, String field) {
        if (node == null || !node.isObject()) {
            throw new PlanException(file + ": field '" + field + "' must be an object");
        }
        return (ObjectNode) node;
    }

    private static List<JsonNode> list(Path file, JsonNode root, String field, boolean required) {
        JsonNode n = root.get(field);
        if (n == null) {
            if (required) {
                throw new PlanException(file + ": field '" + field + "' is missing (or give an explicit 'runs' list)");
            }
            return List.of();
        }
        if (!n.isArray() || n.isEmpty()) {
            throw new PlanException(file + ": field '" + field + "' must be a non-empty list");
        }
        List<JsonNode> out = new ArrayList<>();
        n.forEach(out::add);
        return out;
    }

    /**
     * {@code value} when the operating system can take it as a path: one holding a NUL character failed the plan with
     * Java's bare "Nul character not allowed", naming no field.
     */
    private static String validPath(Path file, String where, String key, String value) {
        try {
            Path.of(value);
        } catch (InvalidPathException e) {
            throw new PlanException(file + ": " + where + "field '" + key + "' is not a valid path (" + e.getReason()
                    + ")");
        }
        return value;
    }

    private static String text(Path file, ObjectNode r, String key, String where, String fallback) {
        JsonNode n = r.get(key);
        if (n == null || n.isNull() || n.isMissingNode()) {
            if (fallback == null) {
                throw new PlanException(file + ": " + where + ": field '" + key + "' is missing");
            }
            return fallback;
        }
        if (!n.isValueNode()) {
            throw new PlanException(file + ": " + where + ": field '" + key + "' must be a value, got " + n);
        }
        return n.asText();
    }

    private static boolean flag(Path file, ObjectNode r, String key, String where, boolean fallback) {
        JsonNode n = r.get(key);
        if (n == null || n.isNull() || n.isMissingNode()) {
            return fallback;
        }
        if (!n.isBoolean()) {
            throw new PlanException(file + ": " + where + ": field '" + key + "' must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private static double number(Path file, ObjectNode r, String key, String where, double fallback) {
        JsonNode n = r.get(key);
        if (n == null || n.isNull() || n.isMissingNode()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw new PlanException(file + ": " + where + ": field '" + key + "' must be a number, got " + n);
        }
        return n.asDouble();
    }

    /**
     * A whole-number setting as a long (its range was checked with the plan, {@link SettingChecks}): through a double,
     * seed 9007199254740993 ran as 9007199254740992.
     */
    private static long whole(Path file, ObjectNode r, String key, String where, long fallback) {
        JsonNode n = r.get(key);
        if (n == null || n.isNull() || n.isMissingNode()) {
            return fallback;
        }
        if (!n.isNumber() || !n.canConvertToLong() || (!n.isIntegralNumber() && n.asDouble() != Math.rint(n.asDouble()))) {
            throw new PlanException(file + ": " + where + ": field '" + key + "' must be a whole number, got " + n);
        }
        return n.asLong();
    }
}
