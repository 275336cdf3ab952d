package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Greater-Than (Hanna et al. 2023): "The war lasted from the year 1732 to the year 17" -> a two-digit year
 * token greater than 32. The paper's metric is a probability difference over all years (sum p(YY' > YY) -
 * sum p(YY' <= YY)); a {@link Target} has one correct and one wrong token, so this generator uses the
 * nearest pair: correct = YY + 1, wrong = YY - 1 (so logit-diff and prob-diff both measure "later than YY").
 * Corrupted start year: 17YY -> 1701 (the paper's "01" baseline). YY is drawn from 02..98; prompts whose year
 * does not tokenize as " 17" + "YY", or whose answers are not one token, are skipped and counted.
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
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        for (int attempt = 0; out.size() < n && attempt < 20 * n + 100; attempt++) {
            String noun = NOUNS[rng.nextInt(NOUNS.length)];
            int yy = 2 + rng.nextInt(97);
            String clean = "The " + noun + " lasted from the year 17" + two(yy) + " to the year 17";
            String corrupt = "The " + noun + " lasted from the year 1701 to the year 17";
            List<String> answers = answerPair(yy);
            List<String> unknown = UnknownWords.in(tokenizer, clean, corrupt, answers.get(0), answers.get(1));
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
            int[] up = tokenizer.encode(answers.get(0));
            int[] down = tokenizer.encode(answers.get(1));
            if (up.length != 1 || down.length != 1) {
                skips.add("answer year not one token");
                continue;
            }
            out.add(new Example(c, k, List.of(new Target(-1, up[0], down[0]))));
        }
        return skips.task("greater-than", out);
    }

    /**
     * The nearest-pair answers for start year YY (1..98): the correct one YY + 1 and the wrong one YY - 1, each
     * as two digits without a space ("53", "51" for 52), the way the year continues after "to the year 13".
     */
    public static List<String> answerPair(int yy) {
        if (yy < 1 || yy > 98) {
            throw new IllegalArgumentException("start year " + yy + " has no two-digit year on both sides (needs 1..98)");
        }
        return List.of(two(yy + 1), two(yy - 1));
    }

    static String two(int yy) {
        return String.format("%02d", yy);
    }
}
