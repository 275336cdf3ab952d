package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Greater-Than (Hanna et al. 2023): "The war lasted from the year 1732 to the year 17" -> a two-digit year
 * token greater than 32, in the wording of Hanna et al.'s and EAP-IG's data sets ("The {noun} lasted from the
 * year {CC}{YY} to the year {CC}"; ACDC's omits the second "the year"). The answers are the paper's: the
 * correct answer is the set of years after YY and the wrong one the set of years up to and including YY, so
 * {@code prob-diff} is the paper's probability difference sum p(YY' > YY) - sum p(YY' <= YY) and
 * {@code logit-diff} the log-odds of a later year.
 * As in their data sets, the century CC is drawn from 11..17 and YY from 02..98, and a year is used only when
 * " CCYY" tokenizes as the two tokens " CC" and "YY" (the one token of the two-digit year); other years are
 * skipped and counted. Corrupted start year: CCYY -> CC01 (the paper's "01" baseline). Two-digit years that are
 * not one token of the tokenizer are left out of both answer sets, and counted. The nouns are our own list,
 * not theirs.
 */
public final class GreaterThanGenerator implements TaskGenerator {
    static final String[] NOUNS = {"war", "expedition", "siege", "reign", "drought", "dynasty", "project", "strike",
        "pilgrimage", "voyage", "occupation", "rebellion"};
    /** The centuries of Hanna et al.'s and EAP-IG's data sets: years 1100..1799. */
    static final int FIRST_CENTURY = 11;
    static final int LAST_CENTURY = 17;

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
            int cc = FIRST_CENTURY + rng.nextInt(LAST_CENTURY - FIRST_CENTURY + 1);
            int yy = 2 + rng.nextInt(97);
            String clean = "The " + noun + " lasted from the year " + cc + two(yy) + " to the year " + cc;
            String corrupt = "The " + noun + " lasted from the year " + cc + "01 to the year " + cc;
            List<String> unknown = UnknownWords.in(tokenizer, clean, corrupt);
            if (!unknown.isEmpty()) {
                UnknownWords.skip(skips, unknown);
                continue;
            }
            int[] c = tokenizer.encodePrompt(clean);
            int[] k = tokenizer.encodePrompt(corrupt);
            if (!centuryThenYear(tokenizer, cc, yy, yearToken) || !centuryThenYear(tokenizer, cc, 1, yearToken)) {
                skips.add("year not the two tokens ' CC' + 'YY'");
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
     * Whether " CCYY" is the token " CC" followed by YY's own two-character token, as Hanna et al. and EAP-IG
     * require: the prompt then ends in the century token and the model's next token is the two-digit year.
     */
    static boolean centuryThenYear(TextTokenizer tokenizer, int cc, int yy, int[] yearToken) {
        int[] century = tokenizer.encodeContinuation(" " + cc);
        int[] year = tokenizer.encodeContinuation(" " + cc + two(yy));
        return century.length == 1 && yearToken[yy] >= 0 && year.length == 2 && year[0] == century[0]
                && year[1] == yearToken[yy];
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
        return String.format(Locale.ROOT, "%02d", yy);
    }
}
