package io.circuitscope.validation;

import io.circuitscope.core.graph.Circuit;
import io.circuitscope.core.graph.Node;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.graph.TaskPatcher;

/**
 * A circuit against a known one: precision and recall of its edges and of its component nodes (heads and MLPs), the
 * ROC of its scores against the reference's edges, and MIB's CPR and CMD with the faithfulness curves they are areas
 * of ({@link FaithfulnessCurve}).
 *
 * @param acrossPositions whether one side was position-aware and the other not, so that whole edges were compared
 *                        (an edge counts if kept at any position)
 * @param roc             null when the reference holds no edge or every edge, or when the circuit scores no edge: no
 *                        ranking can be told from another
 * @param curve           null when the circuit scores no edge (a hand-made circuit, a reference judged as one): there is
 *                        no ranking whose top edges make its circuits, so no CPR or CMD
 * @param nodeRoc         the ROC of the circuit's node importances (|sum of a node's out-edge scores|, or the scorer's own
 *                        node ranking) against the reference's heads and MLPs, as ACDC's node-level AUCs (its Table 2,
 *                        "(N)") rank nodes; null where {@code roc} would be, or when the reference holds no component or
 *                        every one
 */
public record CircuitComparison(boolean acrossPositions, Counts edges, Counts nodes, RocCurve roc,
        FaithfulnessCurve curve, RocCurve nodeRoc) {

    /** What node precision and recall count. */
    public static final String NODES_COMPARED = "heads and MLPs (input and logits, which every circuit holds, left out)";

    /**
     * How many items the circuit keeps, the reference holds, and both do: what precision (both / circuit) and recall
     * (both / reference) are ratios of, so that a reader can tell 2999/3000 from 1 where three decimals cannot.
     */
    public record Counts(int circuit, int reference, int both) {
        static Counts of(boolean[] circuit, boolean[] reference) {
            int inCircuit = 0;
            int inReference = 0;
            int both = 0;
            for (int i = 0; i < circuit.length; i++) {
                inCircuit += circuit[i] ? 1 : 0;
                inReference += reference[i] ? 1 : 0;
                both += circuit[i] && reference[i] ? 1 : 0;
            }
            return new Counts(inCircuit, inReference, both);
        }

        /** both / circuit; NaN for an empty circuit (0 / 0). */
        public double precision() {
            return circuit == 0 ? Double.NaN : (double) both / circuit;
        }

        /** both / reference; NaN for an empty reference (0 / 0). */
        public double recall() {
            return reference == 0 ? Double.NaN : (double) both / reference;
        }
    }

    /**
     * @param higherScoreSupports whether a higher score of {@code circuit} marks an edge that supports the behaviour
     *                            (see {@link FaithfulnessCurve#of(TaskPatcher, io.circuitscope.core.graph.EdgeScores,
     *                            boolean)}): it ranks the edges by signed score for CPR
     */
    public static CircuitComparison of(TaskPatcher task, Circuit circuit, Circuit reference, boolean higherScoreSupports) {
        // the curves patch the circuit's own graph, before any merging of positions; edges in index order are no ranking
        boolean scored = java.util.Arrays.stream(circuit.scores().values()).anyMatch(v -> !Double.isNaN(v));
        FaithfulnessCurve curve = scored ? FaithfulnessCurve.of(task, circuit.scores(), higherScoreSupports) : null;
        boolean acrossPositions = circuit.graph().positions() != reference.graph().positions();
        if (acrossPositions) {
            // a position-aware circuit against a position-agnostic reference (or the reverse): compare whole edges
            circuit = circuit.acrossPositions();
            reference = reference.acrossPositions();
        }
        boolean[] refEdges = reference.keepMask();
        Counts edges = Counts.of(circuit.keepMask(), refEdges);
        Counts nodes = Counts.of(componentMask(circuit), componentMask(reference));
        int refCount = reference.edgeCount();
        RocCurve roc = scored && refCount > 0 && refCount < circuit.graph().nEdges() ? RocCurve.of(circuit.scores(), refEdges)
                : null;
        return new CircuitComparison(acrossPositions, edges, nodes, roc, curve,
                scored ? nodeRoc(circuit, componentMask(reference)) : null);
    }

    /** The ROC of the circuit's node importances against {@code reference}'s components, the input left out. */
    private static RocCurve nodeRoc(Circuit circuit, boolean[] reference) {
        double[] importance = circuit.scores().nodeImportances();
        java.util.List<Node> components = circuit.graph().sources().stream().filter(n -> n.kind() != NodeKind.INPUT)
                .toList();
        double[] scores = new double[components.size()];
        boolean[] inReference = new boolean[components.size()];
        int positives = 0;
        for (int i = 0; i < scores.length; i++) {
            scores[i] = importance[components.get(i).sourceIndex()];
            inReference[i] = reference[components.get(i).sourceIndex()];
            positives += inReference[i] ? 1 : 0;
        }
        return positives > 0 && positives < scores.length ? RocCurve.of(scores, inReference) : null;
    }

    /**
     * The circuit's heads and MLPs, by source index. The input is left out, as in ScoreAgreement: every non-empty
     * circuit and reference holds it, so counting it would credit every circuit with one correct node.
     */
    private static boolean[] componentMask(Circuit circuit) {
        boolean[] mask = new boolean[circuit.graph().sources().size()];
        for (Node n : circuit.nodes()) {
            if (n.isSource() && n.kind() != NodeKind.INPUT) {
                mask[n.sourceIndex()] = true;
            }
        }
        return mask;
    }
}
