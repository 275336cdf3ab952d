package io.circuitscope.discovery;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.core.graph.ComputationGraph;
import io.circuitscope.core.graph.Edge;
import io.circuitscope.core.graph.NodeKind;
import io.circuitscope.core.model.GradientRules;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Metric;
import io.circuitscope.core.task.Task;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A task's prompts in {@link EdgeOracle}: clean runs (with RelP's constants), patched outputs (resample, mean or zero)
 * and targets, and each scorer's definition computed from them by central differences, averaged over the targets as
 * the task's metric is.
 */
final class OraclePrompts {
    static final int STEPS = 3; // EAP-IG's steps
    private static final double H = 1e-5; // the pattern shift's central-difference step, double precision

    final EdgeOracle oracle;
    final List<Example> examples;
    final double[][][][] clean; // [prompt][source][s][d]
    final double[][][][] patched;
    final double[][][][] headSums; // [prompt][layer][s][d], clean
    final double[][][][][] patterns; // [prompt][layer][head][s][s]
    final List<Map<String, double[]>> constants = new ArrayList<>();
    final double cleanMetric;
    final Metric metric;
    final double[][][] cleanLogProbs; // [prompt][target][vocab], for KL
    final int targets;

    OraclePrompts(EdgeOracle oracle, Task task, Ablation ablation, Metric metric) {
        this.oracle = oracle;
        this.metric = metric;
        this.examples = task.examples();
        this.targets = examples.stream().mapToInt(e -> e.targets().size()).sum();
        this.cleanLogProbs = new double[examples.size()][][];
        int n = examples.size();
        clean = new double[n][][][];
        patched = new double[n][][][];
        headSums = new double[n][][][];
        patterns = new double[n][][][][];
        double total = 0;
        for (int b = 0; b < n; b++) {
            EdgeOracle.Pass p = new EdgeOracle.Pass();
            p.constants = EdgeOracle.newConstants();
            double[][] logits = oracle.forward(examples.get(b).clean(), p);
            cleanLogProbs[b] = new double[examples.get(b).targets().size()][];
            for (int t = 0; t < cleanLogProbs[b].length; t++) {
                int position = examples.get(b).targets().get(t).resolvedPosition(logits.length);
                cleanLogProbs[b][t] = logSoftmax(logits[position]);
            }
            total += metric(b, logits);
            clean[b] = p.outputs;
            headSums[b] = p.headSums;
            patterns[b] = p.patterns;
            constants.add(p.constants);
            EdgeOracle.Pass corrupt = new EdgeOracle.Pass();
            oracle.forward(examples.get(b).corrupt(), corrupt);
            patched[b] = corrupt.outputs;
        }
        cleanMetric = total / targets;
        if (ablation != Ablation.RESAMPLE) {
            double[][][] mean = new double[clean[0].length][clean[0][0].length][clean[0][0][0].length];
            for (int b = 0; b < n && ablation == Ablation.MEAN; b++) { // every prompt has the same length
                for (int s = 0; s < mean.length; s++) {
                    mean[s] = EdgeOracle.added(mean[s], scaled(patched[b][s], 1.0 / n));
                }
            }
            java.util.Arrays.fill(patched, mean);
        }
    }

    double cleanMetric() {
        return cleanMetric;
    }

    /** The metric summed over prompt b's targets. */
    double metric(int b, double[][] logits) {
        double sum = 0;
        List<io.circuitscope.core.task.Target> ts = examples.get(b).targets();
        for (int t = 0; t < ts.size(); t++) {
            io.circuitscope.core.task.Target target = ts.get(t);
            double[] x = logits[target.resolvedPosition(logits.length)];
            double[] logP = logSoftmax(x);
            sum += switch (metric.name()) {
                case "logit-diff" -> logSumExp(x, target.correctIds()) - logSumExp(x, target.wrongIds());
                case "logprob" -> logSumExp(logP, target.correctIds());
                case "prob" -> Math.exp(logSumExp(logP, target.correctIds()));
                case "prob-diff" -> Math.exp(logSumExp(logP, target.correctIds()))
                        - Math.exp(logSumExp(logP, target.wrongIds()));
                case "kl" -> {
                    double kl = 0;
                    for (int v = 0; v < x.length; v++) {
                        double clean = cleanLogProbs[b][t][v];
                        kl += Math.exp(clean) * (clean - logP[v]);
                    }
                    yield kl;
                }
                default -> throw new IllegalArgumentException("the oracle has no metric " + metric.name());
            };
        }
        return sum;
    }

    private static double logSumExp(double[] x, List<Integer> ids) {
        double max = Double.NEGATIVE_INFINITY;
        for (int id : ids) {
            max = Math.max(max, x[id]);
        }
        double sum = 0;
        for (int id : ids) {
            sum += Math.exp(x[id] - max);
        }
        return max + Math.log(sum);
    }

    private static double[] logSoftmax(double[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (double v : x) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] - max - Math.log(sum);
        }
        return out;
    }

    /**
     * EAP (exact rules) or RelP: the mean over targets of the derivative along patched_s - clean_s at the destination,
     * of the forward with {@code rules}' quantities frozen at the clean run.
     */
    double slope(Edge e, GradientRules rules) {
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            EdgeOracle.Pass template = new EdgeOracle.Pass();
            if (!rules.equals(GradientRules.EXACT)) {
                template.frozen = true;
                template.rules = rules;
                template.constants = constants.get(b);
            }
            sum += slopeAt(b, e, template, difference(patched[b][source(e)], clean[b][source(e)], e));
        }
        return sum / targets;
    }

    /** Exact patching: m(the edge alone patched) - m(clean), averaged over the targets. */
    double patchedAlone(Edge e) {
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            EdgeOracle.Pass p = new EdgeOracle.Pass();
            p.destination = e.destination().index();
            p.push = difference(patched[b][source(e)], clean[b][source(e)], e);
            p.pushLayer = headLayer(e);
            sum += metric(b, oracle.forward(examples.get(b).clean(), p));
        }
        return sum / targets - cleanMetric;
    }

    /** The metric with the edges not in {@code keep} patched (position-agnostic graph). */
    double withPatched(boolean[] keep, ComputationGraph g) {
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            EdgeOracle.Pass p = new EdgeOracle.Pass();
            p.patched = patched[b];
            p.patchedEdges = new boolean[g.nSources()][g.nDestinations()];
            for (Edge e : g.edges()) {
                p.patchedEdges[source(e)][e.destination().index()] = !keep[e.index()];
            }
            sum += metric(b, oracle.forward(examples.get(b).clean(), p));
        }
        return sum / targets;
    }

    /** Exact node patching: m(the source's output patched, every out-edge) - m(clean). */
    double nodePatched(int source) {
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            EdgeOracle.Pass p = new EdgeOracle.Pass();
            p.pushedSource = source;
            p.sourcePush = EdgeOracle.added(patched[b][source], scaled(clean[b][source], -1));
            sum += metric(b, oracle.forward(examples.get(b).clean(), p));
        }
        return sum / targets - cleanMetric;
    }

    /** Node AtP: the derivative along patched - clean added to the source's own output (at one position, or all). */
    double nodeSlope(int source, int position) {
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            double[][] direction = new double[clean[b][source].length][];
            for (int i = 0; i < direction.length; i++) {
                direction[i] = new double[oracle.d];
                for (int j = 0; j < oracle.d && (position < 0 || position == i); j++) {
                    direction[i][j] = patched[b][source][i][j] - clean[b][source][i][j];
                }
            }
            double[] values = new double[2];
            double h = 1e-5;
            for (int side = 0; side < 2; side++) {
                EdgeOracle.Pass p = new EdgeOracle.Pass();
                p.pushedSource = source;
                p.sourcePush = scaled(direction, side == 0 ? h : -h);
                values[side] = metric(b, oracle.forward(examples.get(b).clean(), p));
            }
            sum += (values[0] - values[1]) / (2 * h);
        }
        return sum / targets;
    }

    /**
     * GradDrop's importance terms: [0] per edge, [1] per source node, each the mean over prompts of the absolute
     * per-prompt derivative with one layer's outputs held, averaged over the other layers.
     */
    double[][] gradDrop(ComputationGraph g) {
        int layers = oracle.layers;
        double[] edges = new double[g.nEdges()];
        double[] nodes = new double[g.nSources()];
        for (int b = 0; b < examples.size(); b++) {
            for (int dropped = 0; dropped < layers; dropped++) {
                double[] nodeSum = new double[g.nSources()];
                for (Edge e : g.edges()) {
                    EdgeOracle.Pass template = new EdgeOracle.Pass();
                    template.droppedLayer = dropped;
                    template.fixedOutputs = clean[b];
                    double[][] direction = difference(patched[b][source(e)], clean[b][source(e)], e);
                    double share = slopeAt(b, e, template, direction) / targets;
                    boolean logits = e.destination().node().kind() == NodeKind.LOGITS;
                    edges[e.index()] += Math.abs(share) / (logits ? layers : layers - 1);
                    nodeSum[source(e)] += share;
                }
                for (io.circuitscope.core.graph.Node n : g.sources()) {
                    if (n.layer() != dropped) { // a node in the dropped layer has its own output's gradient cut
                        boolean input = n.kind() == NodeKind.INPUT;
                        int others = input ? layers : layers - 1;
                        nodes[n.sourceIndex()] += Math.abs(nodeSum[n.sourceIndex()]) / others;
                    }
                }
            }
        }
        return new double[][] {edges, nodes};
    }

    /** AtP*'s QK fix: the derivative along the exact change of the head's pattern, the edge alone patched. */
    double qkFix(Edge e) {
        int layer = e.destination().node().layer();
        int head = e.destination().node().head();
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            EdgeOracle.Pass patchedEdge = new EdgeOracle.Pass(); // the edge patched exactly, nothing else
            patchedEdge.destination = e.destination().index();
            patchedEdge.push = difference(patched[b][source(e)], clean[b][source(e)], e);
            patchedEdge.pushLayer = headLayer(e);
            oracle.forward(examples.get(b).clean(), patchedEdge);
            double[][] shift = EdgeOracle.added(patchedEdge.patterns[layer][head],
                    scaled(patterns[b][layer][head], -1));
            double up = patternMetric(b, layer, head, shift, H);
            double down = patternMetric(b, layer, head, shift, -H);
            sum += (up - down) / (2 * H);
        }
        return sum / targets;
    }

    private double patternMetric(int b, int layer, int head, double[][] shift, double t) {
        EdgeOracle.Pass p = new EdgeOracle.Pass();
        p.patternLayer = layer;
        p.patternHead = head;
        p.patternShift = scaled(shift, t);
        return metric(b, oracle.forward(examples.get(b).clean(), p));
    }

    /** EAP-IG over node outputs at k / STEPS, k = 1..STEPS. */
    double integratedOverNodes(Edge e) {
        double sum = 0;
        for (int k = 1; k <= STEPS; k++) {
            for (int b = 0; b < examples.size(); b++) {
                EdgeOracle.Pass at = new EdgeOracle.Pass();
                at.nodeAlpha = (double) k / STEPS;
                at.patched = patched[b];
                oracle.forward(examples.get(b).clean(), at); // the outputs of this point of the path
                EdgeOracle.Pass template = new EdgeOracle.Pass();
                template.nodeAlpha = at.nodeAlpha;
                template.patched = patched[b];
                // the derivative with respect to the edge's coefficient is along own_s - patched_s
                sum -= slopeAt(b, e, template, difference(at.outputs[source(e)], patched[b][source(e)], e));
            }
        }
        return sum / STEPS / targets;
    }

    /**
     * EAP-IG over the input at k / STEPS, k = 0..STEPS-1, along the fixed patched_s - clean_s carried to the stream
     * as at the clean run: through the derivative of the head's layer's attention output there (sandwich norms).
     */
    double integratedOverInput(Edge e) {
        double sum = 0;
        for (int b = 0; b < examples.size(); b++) {
            double[][] direction = difference(patched[b][source(e)], clean[b][source(e)], e);
            if (headLayer(e) >= 0 && oracle.sandwichNorms()) {
                direction = outputDerivative(headLayer(e), headSums[b][headLayer(e)], direction);
            }
            for (int k = 0; k < STEPS; k++) {
                EdgeOracle.Pass template = new EdgeOracle.Pass();
                template.inputAlpha = (double) k / STEPS;
                template.patched = patched[b];
                sum += slopeAt(b, e, template, direction, false);
            }
        }
        return sum / STEPS / targets;
    }

    /** The derivative of layer l's attention output at head sum {@code at} along {@code v} (central difference). */
    private double[][] outputDerivative(int l, double[][] at, double[][] v) {
        double step = 1e-6;
        double[][] up = oracle.attentionOutput(l, EdgeOracle.added(at, scaled(v, step)), new EdgeOracle.Pass());
        double[][] down = oracle.attentionOutput(l, EdgeOracle.added(at, scaled(v, -step)), new EdgeOracle.Pass());
        return scaled(EdgeOracle.added(up, scaled(down, -1)), 1 / (2 * step));
    }

    /** The layer of the edge's source if it is a head, else -1: a head's push goes inside its layer's output. */
    private static int headLayer(Edge e) {
        return e.source().kind() == NodeKind.HEAD ? e.source().layer() : -1;
    }

    /**
     * Central difference of prompt b's metric along {@code direction} at the edge's destination, the step shrunk
     * until two successive estimates agree: at an all-zero stream (the input zero-ablated, the path's first
     * point) every norm's slope is 1/sqrt(eps), so the metric is linear only over very short steps.
     */
    private double slopeAt(int b, Edge e, EdgeOracle.Pass template, double[][] direction) {
        return slopeAt(b, e, template, direction, true);
    }

    /** As above; {@code inside}: a head's push goes inside its layer's attention output (else to the stream). */
    private double slopeAt(int b, Edge e, EdgeOracle.Pass template, double[][] direction, boolean inside) {
        double previous = centralDifference(b, e, template, direction, 1e-5, inside);
        for (double h = 1e-6; h >= 1e-30; h /= 10) {
            double next = centralDifference(b, e, template, direction, h, inside);
            if (Math.abs(next - previous) <= 1e-5 * Math.abs(next) + 1e-7) {
                return previous; // the longer step: less rounding, and its curvature term is below the tolerance
            }
            previous = next;
        }
        throw new IllegalStateException("no central difference converged for " + e.name());
    }

    private double centralDifference(int b, Edge e, EdgeOracle.Pass template, double[][] direction, double h,
            boolean inside) {
        double[] values = new double[2];
        for (int side = 0; side < 2; side++) {
            EdgeOracle.Pass p = new EdgeOracle.Pass();
            p.frozen = template.frozen;
            p.rules = template.rules;
            p.constants = template.constants;
            p.nodeAlpha = template.nodeAlpha;
            p.inputAlpha = template.inputAlpha;
            p.patched = template.patched;
            p.droppedLayer = template.droppedLayer;
            p.fixedOutputs = template.fixedOutputs;
            p.destination = e.destination().index();
            p.push = scaled(direction, side == 0 ? h : -h);
            p.pushLayer = inside ? headLayer(e) : -1;
            values[side] = metric(b, oracle.forward(examples.get(b).clean(), p));
        }
        return (values[0] - values[1]) / (2 * h);
    }

    private static int source(Edge e) {
        return e.source().sourceIndex();
    }

    /** a - b, at the edge's position only in a position-aware graph. */
    private static double[][] difference(double[][] a, double[][] b, Edge e) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            if (e.byPosition() && i != e.position()) {
                continue;
            }
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] - b[i][j];
            }
        }
        return out;
    }

    private static double[][] scaled(double[][] a, double f) {
        double[][] out = new double[a.length][a[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[0].length; j++) {
                out[i][j] = a[i][j] * f;
            }
        }
        return out;
    }
}
