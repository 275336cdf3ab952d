package io.circuitscope.core.task.generate;

import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import io.circuitscope.core.tokenize.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Factual recall in the seed's style: "The Eiffel Tower is located in the city of" -> " Paris". Corrupted prompt:
 * the same relation with another subject of the same token length and a different answer, whose answer is the
 * wrong token ("The Colosseum ..." -> " Rome"). The clean subject's token positions are recorded as
 * {@code noise_positions} for the Gaussian-noise (causal tracing) corruption. Facts whose answer is not one
 * token, or with no same-length partner, are skipped and counted.
 */
public final class FactualRecallGenerator implements TaskGenerator {
    record Fact(String relation, String subject, String answer) {
    }

    static final String LANDMARK = "The {S} is located in the city of";
    static final String LANGUAGE = "The official language of {S} is";
    static final String CAPITAL = "The capital of {S} is the city of";
    static final List<Fact> FACTS = List.of(
            new Fact(LANDMARK, "Eiffel Tower", " Paris"), new Fact(LANDMARK, "Colosseum", " Rome"),
            new Fact(LANDMARK, "Big Ben", " London"), new Fact(LANDMARK, "Brandenburg Gate", " Berlin"),
            new Fact(LANDMARK, "Sagrada Familia", " Barcelona"), new Fact(LANDMARK, "Kremlin", " Moscow"),
            new Fact(LANDMARK, "Forbidden City", " Beijing"), new Fact(LANDMARK, "Acropolis", " Athens"),
            new Fact(LANDMARK, "Space Needle", " Seattle"), new Fact(LANDMARK, "Charles Bridge", " Prague"),
            new Fact(LANDMARK, "Burj Khalifa", " Dubai"), new Fact(LANDMARK, "Tower of London", " London"),
            new Fact(LANGUAGE, "France", " French"), new Fact(LANGUAGE, "Germany", " German"),
            new Fact(LANGUAGE, "Spain", " Spanish"), new Fact(LANGUAGE, "Italy", " Italian"),
            new Fact(LANGUAGE, "Japan", " Japanese"), new Fact(LANGUAGE, "Russia", " Russian"),
            new Fact(LANGUAGE, "Portugal", " Portuguese"), new Fact(LANGUAGE, "China", " Chinese"),
            new Fact(CAPITAL, "France", " Paris"), new Fact(CAPITAL, "Italy", " Rome"),
            new Fact(CAPITAL, "Germany", " Berlin"), new Fact(CAPITAL, "Japan", " Tokyo"),
            new Fact(CAPITAL, "Russia", " Moscow"), new Fact(CAPITAL, "Greece", " Athens"),
            new Fact(CAPITAL, "Egypt", " Cairo"), new Fact(CAPITAL, "Spain", " Madrid"));

    @Override
    public String name() {
        return "factual";
    }

    @Override
    public Generated generate(TextTokenizer tokenizer, int vocabSize, int n, long seed) {
        TaskGenerator.require(tokenizer, name());
        Skips skips = new Skips();
        record Usable(Fact fact, int[] ids, int answer, int subjectStart, int subjectEnd) {
        }
        List<Usable> usable = new ArrayList<>();
        for (Fact f : FACTS) {
            List<String> unknown = UnknownWords.in(tokenizer, f.relation().replace("{S}", f.subject()), f.answer());
            if (!unknown.isEmpty()) {
                UnknownWords.skip(skips, unknown);
                continue;
            }
            int[] answer = tokenizer.encodeContinuation(f.answer());
            if (answer.length != 1) {
                skips.add("answer not one token");
                continue;
            }
            String prompt = f.relation().replace("{S}", f.subject());
            String before = f.relation().substring(0, f.relation().indexOf("{S}"));
            // positions in the prompt as the model reads it, after the BOS token when there is one
            int start = before.isEmpty() ? tokenizer.encodePrompt("").length : tokenizer.encodePrompt(before.stripTrailing()).length;
            int end = tokenizer.encodePrompt(before + f.subject()).length;
            usable.add(new Usable(f, tokenizer.encodePrompt(prompt), answer[0], start, end));
        }
        Random rng = new Random(seed);
        List<Example> out = new ArrayList<>();
        List<Usable> pool = new ArrayList<>(usable);
        java.util.Collections.shuffle(pool, rng);
        for (int i = 0; out.size() < n && i < 4 * pool.size(); i++) {
            Usable u = pool.get(i % pool.size());
            List<Usable> partners = new ArrayList<>();
            for (Usable v : usable) {
                if (v.fact().relation().equals(u.fact().relation()) && v.answer() != u.answer()
                        && v.ids().length == u.ids().length) {
                    partners.add(v);
                }
            }
            if (partners.isEmpty()) {
                if (i < pool.size()) {
                    skips.add("no same-length partner subject");
                }
                continue;
            }
            Usable p = partners.get(rng.nextInt(partners.size()));
            int[] noise = new int[Math.max(0, u.subjectEnd() - u.subjectStart())];
            for (int k = 0; k < noise.length; k++) {
                noise[k] = u.subjectStart() + k;
            }
            out.add(new Example(u.ids(), p.ids(), List.of(new Target(-1, u.answer(), p.answer())), noise));
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no factual-recall prompt fits this tokenizer (skipped: " + skips.counts
                    + ")");
        }
        return new Generated(new Task("factual", out), skips.counts);
    }
}
