package io.circuitscope.core;

import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.Rotary;
import io.circuitscope.core.task.Example;
import io.circuitscope.core.task.Target;
import io.circuitscope.core.task.Task;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** Stable SHA-256 fingerprints of configs and tasks, recorded with every result. */
public final class Hashes {
    private Hashes() {
    }

    public static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String of(ModelConfig c) {
        String rotary = describe(c.rotary());
        // Written as the former boolean slidingEveryOther where that still describes the config, so the
        // hashes of configs that existed before per-layer sliding lists and local rotary are unchanged.
        String sliding;
        if (c.slidingLayers() == null) {
            sliding = "false";
        } else if (c.slidingLayers().equals(ModelConfig.evenLayers(c.nLayers()))) {
            sliding = "true";
        } else {
            sliding = "layers" + c.slidingLayers();
        }
        String local = c.localRotary() == null ? "" : "|local:" + describe(c.localRotary());
        return sha256(String.join("|", c.family(), "" + c.dModel(), "" + c.nLayers(), "" + c.nHeads(), "" + c.nKvHeads(),
                "" + c.dHead(), "" + c.dMlp(), "" + c.vocabSize(), "" + c.contextLength(), c.normType().name(),
                "" + c.normEps(), "" + c.learnedPositions(), rotary, c.activation().name(), "" + c.gatedMlp(),
                "" + c.parallelAttnMlp(), "" + c.sandwichNorms(), "" + c.qkNorm(), "" + c.attnScale(),
                "" + c.attnSoftcap(), "" + c.finalSoftcap(), "" + c.slidingWindow(), sliding,
                "" + c.embeddingScale()) + local + (c.attnScaleByInverseLayer() ? "|attn-scale/(layer+1)" : ""));
    }

    private static String describe(Rotary r) {
        return r == null ? "none" : r.rotaryDim() + "/" + r.style() + "/" + Arrays.toString(r.inverseFrequencies());
    }

    public static String of(Task task) {
        StringBuilder sb = new StringBuilder();
        for (Example e : task.examples()) {
            sb.append(Arrays.toString(e.clean())).append(';').append(Arrays.toString(e.corrupt())).append(';');
            for (Target t : e.targets()) {
                if (t.hasAnswerSets()) {
                    sb.append(t.position()).append(',').append(t.correctIds()).append(',').append(t.wrongIds()).append(';');
                } else { // the form hashes had before answer sets existed, so recorded task hashes stay valid
                    sb.append(t.position()).append(',').append(t.correctId()).append(',').append(t.wrongId()).append(';');
                }
            }
            sb.append('\n');
        }
        return sha256(sb.toString());
    }
}
