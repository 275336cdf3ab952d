package io.circuitscope.circuits.toy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;

/**
 * Where each head attends on the IOI roles, mean over a task's clean prompts, [layer][head]: from
 * the last position (END) to the indirect object, to the first and to the second mention of the
 * subject (name movers attend to IO, S-inhibition heads to S2), and from S2 to S1 (duplicate-token
 * heads). Roles are found by token: IO is the target's correct answer, S its wrong answer.
 */
public record IoiHeadScores(double[][] endToIo, double[][] endToS1, double[][] endToS2, double[][] s2ToS1) {

    /** The scores by their key in reference_circuit.json. */
    public java.util.Map<String, double[][]> columns() {
        java.util.Map<String, double[][]> c = new java.util.LinkedHashMap<>();
        c.put("end_to_io", endToIo);
        c.put("end_to_s1", endToS1);
        c.put("end_to_s2", endToS2);
        c.put("s2_to_s1", s2ToS1);
        return c;
    }

    public static IoiHeadScores of(HookedTransformer model, Task task) {
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        double[][] io = new double[layers][heads];
        double[][] s1 = new double[layers][heads];
        double[][] s2 = new double[layers][heads];
        double[][] duplicate = new double[layers][heads];
        int[][] tokens = task.examples().stream().map(Example::clean).toArray(int[][]::new);
        int[][] roles = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            roles[b] = roles(task.examples().get(b));
        }
        try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.all(run)) {
            model.forward(run, tokens, Hooks.caching(cache));
            for (int l = 0; l < layers; l++) {
                NDArray pattern = cache.get(HookName.of(HookSite.PATTERN, l));
                int seq = (int) pattern.getShape().get(2);
                float[] p = pattern.toFloatArray(); // [b, h, s_q, s_k]
                for (int h = 0; h < heads; h++) {
                    for (int b = 0; b < tokens.length; b++) {
                        int base = (b * heads + h) * seq * seq;
                        int end = (seq - 1) * seq;
                        int[] r = roles[b];
                        io[l][h] += p[base + end + r[0]] / tokens.length;
                        s1[l][h] += p[base + end + r[1]] / tokens.length;
                        s2[l][h] += p[base + end + r[2]] / tokens.length;
                        duplicate[l][h] += p[base + r[2] * seq + r[1]] / tokens.length;
                    }
                }
            }
        }
        return new IoiHeadScores(io, s1, s2, duplicate);
    }

    /** Positions of IO, S1 and S2 in an example's clean prompt. */
    private static int[] roles(Example e) {
        Target t = e.targets().get(0);
        int[] tokens = e.clean();
        int io = -1;
        int s1 = -1;
        int s2 = -1;
        for (int p = 0; p < tokens.length; p++) {
            if (tokens[p] == t.correctId()) {
                io = p;
            } else if (tokens[p] == t.wrongId()) {
                if (s1 < 0) {
                    s1 = p;
                } else {
                    s2 = p;
                }
            }
        }
        if (io < 0 || s2 < 0) {
            throw new IllegalArgumentException("not an IOI prompt (IO once, S twice): "
                    + java.util.Arrays.toString(tokens));
        }
        return new int[] {io, s1, s2};
    }
}
