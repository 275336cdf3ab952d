package io.circuitscope.circuits.batch;

import java.io.IOException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * summary.csv and summary.md: one row per run with size, faithfulness, the validation's verdicts (sufficient,
 * necessary, minimal; empty for a run not validated, and minimal for a circuit without components), AUC, time, and
 * its cost in passes as discover's cost line counts them: forward passes, and the scorers' gradient passes (a forward
 * and a backward pass each).
 */
final class SummaryTable {
    private static final String[] COLUMNS = {"run", "state", "model", "task", "method", "settings", "seed", "edges",
            "faithfulness", "sufficient", "necessary", "minimal", "auc", "seconds", "forward_passes", "gradient_passes", "error"};

    private SummaryTable() {
    }

    static void write(BatchPlan plan, Manifest manifest) throws IOException {
        StringBuilder csv = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        StringBuilder md = new StringBuilder("| " + String.join(" | ", COLUMNS) + " |\n|");
        md.append("---|".repeat(COLUMNS.length)).append('\n');
        Set<String> varying = varyingRunSettings(plan);
        for (RunSpec r : plan.runs()) {
            Manifest.Entry e = manifest.entry(r.id());
            String[] cells = {r.id(), e.state.name().toLowerCase(java.util.Locale.ROOT), r.model(),
                    r.task() == null ? "(planted task)" : r.task().getFileName().toString(), r.settings().method(),
                    settings(plan, r, varying), String.valueOf(r.settings().seed()),
                    value(e, "edges"), number(e, "faithfulness"), value(e, "sufficient"), value(e, "necessary"),
                    value(e, "minimal"), number(e, "auc"), String.format(Locale.ROOT, "%.1f", e.seconds),
                    value(e, "forward_passes"), value(e, "gradient_passes"), e.error == null ? "" : e.error};
            for (int i = 0; i < cells.length; i++) {
                csv.append(i == 0 ? "" : ",").append(csvCell(cells[i]));
            }
            csv.append('\n');
            md.append("| ").append(String.join(" | ", java.util.Arrays.stream(cells)
                    .map(c -> c.replace("|", "\\|")).toArray(String[]::new))).append(" |\n");
        }
        BatchRunner.writeAtomically(plan.out().resolve("summary.csv"), csv.toString());
        BatchRunner.writeAtomically(plan.out().resolve("summary.md"), md.toString());
    }

    /**
     * The method's settings that apply, then those of the run ({@link #runSettings}) that differ between the plan's
     * runs, key=value, so that runs differing only in them can be told apart.
     */
    private static String settings(BatchPlan plan, RunSpec r, Set<String> varying) {
        StringBuilder out = new StringBuilder();
        r.settings().asMap().forEach((key, v) -> {
            if (v != null && !key.equals("key") && !key.equals("seed")) {
                out.append(out.length() == 0 ? "" : " ").append(key).append('=').append(v);
            }
        });
        runSettings(plan, r).forEach((key, v) -> {
            if (v != null && !v.isEmpty() && varying.contains(key)) {
                out.append(out.length() == 0 ? "" : " ").append(key).append('=').append(v);
            }
        });
        return out.toString();
    }

    /**
     * What a run is made with besides its method's settings, null where it does not apply: examples of a planted
     * model's own task, align and bos of a task file's prompts, the reference (as the plan names it; "" for none),
     * and validate (a run not validated has empty verdicts, as one finished by a version that did not validate).
     */
    private static Map<String, String> runSettings(BatchPlan plan, RunSpec r) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("examples", r.task() == null ? String.valueOf(r.examples()) : null);
        m.put("align", r.task() == null ? null : String.valueOf(r.align()));
        m.put("bos", r.task() == null ? null : String.valueOf(r.bos()));
        m.put("reference", r.reference() == null ? "" : plan.folder().relativize(r.reference()).toString());
        m.put("validate", String.valueOf(r.validate()));
        return m;
    }

    /** The run settings with more than one value among the runs they apply to: shown; the rest are the same in all. */
    private static Set<String> varyingRunSettings(BatchPlan plan) {
        Map<String, Set<String>> values = new LinkedHashMap<>();
        for (RunSpec r : plan.runs()) {
            runSettings(plan, r).forEach((key, v) -> {
                if (v != null) {
                    values.computeIfAbsent(key, k -> new HashSet<>()).add(v);
                }
            });
        }
        Set<String> varying = new HashSet<>();
        values.forEach((key, seen) -> {
            if (seen.size() > 1) {
                varying.add(key);
            }
        });
        return varying;
    }

    private static String value(Manifest.Entry e, String key) {
        Object v = e.results.get(key);
        return v == null ? "" : v.toString();
    }

    private static String number(Manifest.Entry e, String key) {
        Object v = e.results.get(key);
        return v instanceof Number n ? String.format(Locale.ROOT, "%.4f", n.doubleValue()) : "";
    }

    private static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
