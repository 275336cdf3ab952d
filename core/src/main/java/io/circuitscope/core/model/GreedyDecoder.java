package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;

/**
 * Greedy decoding: append the argmax of the last position's logits, one token at a time. Each step
 * recomputes the full forward pass (no key/value cache yet), which is exact and simple.
 */
public final class GreedyDecoder {
    /**
     * @param tokens           prompt followed by the generated tokens
     * @param newTokens        the generated tokens only
     * @param stoppedAtContext true when generation stopped early because the context window was full
     */
    public record Result(int[] tokens, int[] newTokens, boolean stoppedAtContext) {
    }

    private GreedyDecoder() {
    }

    /** Up to {@code maxNew} tokens after {@code prompt}, fewer when the context window fills up. */
    public static Result generate(HookedTransformer model, int[] prompt, int maxNew) {
        if (maxNew < 0) {
            throw new IllegalArgumentException("the number of new tokens must not be negative, got " + maxNew);
        }
        model.validate(new int[][] {prompt});
        int context = model.config().contextLength();
        int[] tokens = Arrays.copyOf(prompt, prompt.length + maxNew);
        int length = prompt.length;
        boolean stopped = false;
        for (int step = 0; step < maxNew; step++) {
            if (length >= context) {
                stopped = true;
                break;
            }
            tokens[length] = nextToken(model, Arrays.copyOf(tokens, length));
            length++;
        }
        int[] all = Arrays.copyOf(tokens, length);
        return new Result(all, Arrays.copyOfRange(all, prompt.length, length), stopped);
    }

    /** The argmax of the logits at the last position of {@code tokens}. */
    public static int nextToken(HookedTransformer model, int[] tokens) {
        try (NDManager run = model.newRunManager()) {
            NDArray logits = model.forward(run, new int[][] {tokens});
            return (int) logits.get(0, tokens.length - 1).argMax().getLong();
        }
    }
}
