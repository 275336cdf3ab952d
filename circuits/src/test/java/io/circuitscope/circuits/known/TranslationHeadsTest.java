package io.circuitscope.circuits.known;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.circuits.reference.KnownCircuits;
import io.circuitscope.core.io.LoadedModel;
import io.circuitscope.core.task.generate.TranslationGenerator;
import io.circuitscope.discovery.analysis.TranslationScore;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The seed study's translation heads, when the models are available locally (CIRCUITSCOPE_QWEN25_3B,
 * CIRCUITSCOPE_GEMMA2_2B or the Hugging Face cache): the heads our translation score selects at the
 * seed's thresholds must include most of the heads the study lists for at least one language pair.
 */
class TranslationHeadsTest {
    @ParameterizedTest
    @CsvSource({"CIRCUITSCOPE_QWEN25_3B, Qwen/Qwen2.5-3B, Qwen2.5-3B", "CIRCUITSCOPE_GEMMA2_2B, google/gemma-2-2b, Gemma2-2B"})
    void translationScoreRecoversTheSeedHeads(String env, String hubId, String key) {
        try (LoadedModel model = LocalModels.require(env, hubId)) {
            JsonNode reference = KnownCircuits.translationHeads().get(key);
            TranslationScore.Result r = TranslationScore.compute(model.model(), model.requireTokenizer(),
                    TranslationGenerator.PAIRS, reference.get("threshold").asDouble());
            Set<String> selected = new HashSet<>();
            for (String layerDotHead : r.selected()) { // "20.4" -> "a20.h4"
                String[] parts = layerDotHead.split("\\.");
                selected.add("a" + parts[0] + ".h" + parts[1]);
            }
            double best = 0;
            for (JsonNode heads : reference.get("heads")) {
                int hit = 0;
                for (JsonNode h : heads) {
                    hit += selected.contains(h.asText()) ? 1 : 0;
                }
                best = Math.max(best, (double) hit / heads.size());
            }
            System.out.printf("%s: selected %s; best overlap with the seed's lists %.2f%n", key, selected, best);
            assertTrue(best >= 0.5, "overlap " + best);
        }
    }
}
