package io.circuitscope.circuits.run;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.circuitscope.circuits.io.CircuitDocument;
import io.circuitscope.circuits.io.ValidationSections;
import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.EdgePatcher;
import io.circuitscope.core.graph.TaskPatcher;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.progress.Progress;
import io.circuitscope.core.task.Metrics;
import io.circuitscope.core.task.Task;
import io.circuitscope.validation.CircuitValidator;
import io.circuitscope.validation.ValidationReport;
import io.circuitscope.validation.ValidationSettings;

/**
 * The validation that follows a discovery, in discover and in each run of a batch: the found circuit judged on the
 * task it was found on, under the run's metric and ablation, and compared with a reference when there is one. Both
 * commands write the same sections into circuit.json ("validation", and "comparison" with a reference), so a batch
 * run's file reads as discover's.
 */
public final class RunValidation {
    /**
     * @param document   the discovery's document with the sections added
     * @param comparison the "comparison" section, or null without a reference
     */
    public record Result(CircuitDocument document, ValidationReport report, ObjectNode comparison) {
    }

    private RunValidation() {
    }

    /**
     * @param reference     the circuit to compare with, or null
     * @param referenceName what the comparison section calls it (a file name, or a planted model's ground truth)
     */
    public static Result validate(HookedTransformer model, Task task, CircuitDocument doc, DiscoverySettings settings,
            ValidationSettings validation, Circuit reference, String referenceName, Progress progress) {
        try (TaskPatcher tp = new TaskPatcher(new EdgePatcher(model, doc.circuit().graph()), task,
                Metrics.byName(settings.metric()), settings.ablation(), settings.batchSize())) {
            ValidationReport report = new CircuitValidator(validation).validate(tp, doc.circuit(), progress);
            ObjectNode section = ValidationSections.validation(report);
            section.put("metric", settings.metric());
            section.put("ablation", settings.ablation().key());
            CircuitDocument validated = doc.withExtra("validation", section);
            ObjectNode comparison = null;
            if (reference != null) {
                comparison = ValidationSections.comparison(tp, doc.circuit(), reference, referenceName);
                validated = validated.withExtra("comparison", comparison);
            }
            return new Result(validated, report, comparison);
        }
    }
}
