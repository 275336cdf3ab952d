package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Greater-Than (Hanna et al. 2023): "The war lasted from the year 1732 to the year 17" -> a two-digit year
 * token greater than 32. The answers are the paper's: the correct answer is the set of years after YY and the
 * wrong one the set of years up to and including YY, so {@code prob-diff} is the paper's probability difference
 * sum p(YY' > YY) - sum p(YY' <= YY) and {@code logit-diff} the log-odds of a later year.
 * Corrupted start year: 17YY -> 1701 (the paper's "01" baseline). YY is drawn from 02..98; prompts whose year
 * does not tokenize as " 17" + "YY" are skipped and counted; two-digit years that are not one token of the
 * tokenizer are left out of both answer sets, and counted.
 */
public final class GreaterThanGenerator implements TaskGenerator {
    static final String[] NOUNS = {"war", "expedition", "siege", "reign", "drought", "dynasty", "project", "strike",
        "pilgrimage", "voyage", "occupation", "rebellion"};

    @Override
    public String name() {
        return "greater-than";
    }

    @Override
    public Generated generate(TextTokenizer tokenizer, int vocabSize, int n, long seed) {
        TaskGenerator.require(tokenizer, name());
        Skips skips = new Skips();
        int[] yearToken = yearTokens(tokenizer);
        for (int token : yearToken) {
            if (token < 0) {
                skips.add("two-digit year not one token (left out of the answer sets)");
            }
        }
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int attempt = 0; out.size() < n && attempt < 20 * n + 100; attempt++) {
            String noun = NOUNS[rng.nextInt(NOUNS.length)];
            int yy = 2 + rng.nextInt(97);
            String clean = "The " + noun + " lasted from the year 17" + two(yy) + " to the year 17";
            String corrupt = "The " + noun + " lasted from the year 1701 to the year 17";
            List<String> unknown = UnknownWords.in(tokenizer, clean, corrupt);
            if (!unknown.isEmpty()) {
                UnknownWords.skip(skips, unknown);
                continue;
            }
            int[] c = tokenizer.encodePrompt(clean);
            int[] k = tokenizer.encodePrompt(corrupt);
            int[] year = tokenizer.encode(" 17" + two(yy));
            if (year.length != 2) {
                skips.add("year not two tokens");
                continue;
            }
            if (c.length != k.length) {
                skips.add("clean and corrupt lengths differ");
                continue;
            }
            Target answers = answerSets(yy, yearToken);
            if (answers == null) {
                skips.add("no one-token year on one side of the start year");
                continue;
            }
            out.add(new Example(c, k, List.of(answers)));
        }
        return skips.task("greater-than", out);
    }

    /**
     * The token of each two-digit year 00..99 written without a space ("53", the way the year continues after
     * "to the year 17"), or -1 when it is not one known token.
     */
    public static int[] yearTokens(TextTokenizer tokenizer) {
        int[] out = new int[100];
        for (int yy = 0; yy < 100; yy++) {
            int[] ids = tokenizer.encode(two(yy));
            boolean one = ids.length == 1 && UnknownWords.in(tokenizer, two(yy)).isEmpty();
            // a token two years share (a normalising tokenizer) would stand for both sides: leave it out
            out[yy] = one && java.util.Arrays.stream(out, 0, yy).noneMatch(t -> t == ids[0]) ? ids[0] : -1;
        }
        return out;
    }

    /**
     * The paper's answers for start year YY at the last position: correct = the years after YY, wrong = the years
     * up to and including YY (those with a token in {@code yearToken}); null when either side has none.
     */
    public static Target answerSets(int yy, int[] yearToken) {
        if (yy < 0 || yy > 99) {
            throw new IllegalArgumentException("start year " + yy + " is not a two-digit year 00..99");
        }
        List<Integer> later = new ArrayList<>();
        List<Integer> notLater = new ArrayList<>();
        for (int y = 0; y < yearToken.length; y++) {
            if (yearToken[y] >= 0) {
                (y > yy ? later : notLater).add(yearToken[y]);
            }
        }
        return later.isEmpty() || notLater.isEmpty() ? null : new Target(-1, later, notLater);
    }

    static String two(int yy) {
        return String.format("%02d", yy);
    }
}
