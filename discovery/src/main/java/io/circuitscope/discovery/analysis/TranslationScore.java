package io.circuitscope.discovery.analysis;

import ai.djl.ndarray.NDManager;
import io.circuitscope.core.hook.ActivationCache;
import io.circuitscope.core.hook.HookName;
import io.circuitscope.core.hook.HookSite;
import io.circuitscope.core.hook.Hooks;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.task.generate.TranslationGenerator.Pair;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The seed study's translation-head score. Prompt: "{source language}: {source}. {target language}: {target}",
 * tokenized piece by piece so the source and target spans are known. A head's score on one prompt is the mean of
 * the "diagonal" of its attention from the target span to the source span (target token i to source token i, for
 * i below the shorter span). Translation pairs are compared with random pairs (pair i's target after pair i+1's
 * source, a different sentence of similar length); heads whose mean difference exceeds the threshold are
 * translation-head candidates (the seed used 0.075 on Qwen2.5-3B, 0.04 on Gemma2-2B).
 */
public final class TranslationScore {
    public record Result(double[][] translation, double[][] random, double[][] difference, double threshold,
            List<String> selected) {
    }

    /** Token ids of a prompt and where its source and target spans start and how long they are. */
    record Prompt(int[] ids, int srcStart, int srcLength, int tgtStart, int tgtLength) {
    }

    private TranslationScore() {
    }

    /**
     * "SRC_LANG: source. TGT_LANG: target" as the model reads it, encoded whole, with the spans found from the
     * encodings of its prefixes. Encoding the parts one by one would be wrong for tokenizers that prepend '▁' to
     * every input (Llama 2 reads ". French:" alone as "▁." and " Bonjour" alone as [▁, ▁Bonjour]).
     */
    static Prompt prompt(TextTokenizer tok, Pair sourceOf, Pair targetOf) {
        String head = sourceOf.sourceLanguage() + ":";
        String withSource = head + " " + sourceOf.sourceText();
        String withLabel = withSource + ". " + targetOf.targetLanguage() + ":";
        int[] ids = tok.encodePrompt(withLabel + " " + targetOf.targetText());
        int[] a = tok.encodePrompt(head);
        int[] b = tok.encodePrompt(withSource);
        int[] c = tok.encodePrompt(withLabel);
        if (startsWith(ids, c) && startsWith(c, b) && startsWith(b, a) && a.length < b.length && c.length < ids.length) {
            return new Prompt(ids, a.length, b.length - a.length, c.length, ids.length - c.length);
        }
        // a token spans a boundary: put the parts side by side, each read as it continues the text before it
        int[] src = tok.encodeContinuation(" " + sourceOf.sourceText());
        int[] mid = tok.encodeContinuation(". " + targetOf.targetLanguage() + ":");
        int[] tgt = tok.encodeContinuation(" " + targetOf.targetText());
        int[] joined = new int[a.length + src.length + mid.length + tgt.length];
        System.arraycopy(a, 0, joined, 0, a.length);
        System.arraycopy(src, 0, joined, a.length, src.length);
        System.arraycopy(mid, 0, joined, a.length + src.length, mid.length);
        System.arraycopy(tgt, 0, joined, a.length + src.length + mid.length, tgt.length);
        return new Prompt(joined, a.length, src.length, a.length + src.length + mid.length, tgt.length);
    }

    private static boolean startsWith(int[] ids, int[] prefix) {
        return prefix.length <= ids.length && java.util.Arrays.equals(ids, 0, prefix.length, prefix, 0, prefix.length);
    }

    public static Result compute(HookedTransformer model, TextTokenizer tokenizer, List<Pair> pairs, double threshold) {
        if (pairs.size() < 2) {
            throw new IllegalArgumentException("the translation score needs at least 2 sentence pairs (random pairs "
                    + "mix them)");
        }
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        double[][] trans = new double[layers][heads];
        double[][] rand = new double[layers][heads];
        for (int i = 0; i < pairs.size(); i++) {
            add(model, prompt(tokenizer, pairs.get(i), pairs.get(i)), trans, pairs.size());
            add(model, prompt(tokenizer, pairs.get((i + 1) % pairs.size()), pairs.get(i)), rand, pairs.size());
        }
        double[][] diff = new double[layers][heads];
        List<String> selected = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            for (int h = 0; h < heads; h++) {
                diff[l][h] = trans[l][h] - rand[l][h];
                if (diff[l][h] > threshold) {
                    selected.add(l + "." + h);
                }
            }
        }
        return new Result(trans, rand, diff, threshold, selected);
    }

    private static void add(HookedTransformer model, Prompt p, double[][] into, int n) {
        int layers = model.config().nLayers();
        int heads = model.config().nHeads();
        if (p.ids().length > model.config().contextLength()) {
            throw new IllegalArgumentException("translation prompt of " + p.ids().length + " tokens exceeds the context");
        }
        Set<HookName> names = new HashSet<>();
        for (int l = 0; l < layers; l++) {
            names.add(HookName.of(HookSite.PATTERN, l));
        }
        try (NDManager run = model.newRunManager(); ActivationCache cache = ActivationCache.of(run, names)) {
            model.forward(run, new int[][] {p.ids()}, Hooks.caching(cache));
            int seq = p.ids().length;
            for (int l = 0; l < layers; l++) {
                float[] pattern = DirectLogitAttribution.floats(cache.get(HookSite.PATTERN, l));
                for (int h = 0; h < heads; h++) {
                    into[l][h] += diagonal(pattern, h, seq, p) / n;
                }
            }
        }
    }

    /** Mean attention from target token i to source token i, pattern [1, H, S, S] flattened. */
    static double diagonal(float[] pattern, int head, int seq, Prompt p) {
        int n = Math.min(p.srcLength(), p.tgtLength());
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += pattern[(head * seq + p.tgtStart() + i) * seq + p.srcStart() + i];
        }
        return n == 0 ? 0 : s / n;
    }
}
