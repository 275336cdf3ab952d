package io.circuitscope.core.arch;

import com.fasterxml.jackson.databind.JsonNode;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.ConfigReader;
import io.circuitscope.core.model.Rotary;
import io.circuitscope.core.model.RotaryStyle;

/**
 * Rotary settings from a Hugging Face config: base frequency, then {@code rope_scaling} (or the
 * newer {@code rope_parameters}) of type "default", "linear" or "llama3". Any other type is
 * rejected, naming the field, because the logits would silently differ from Hugging Face's.
 */
final class RopeConfig {
    private RopeConfig() {
    }

    /**
     * @param thetaField the config field holding the base (rope_theta, or rotary_emb_base for NeoX)
     */
    static Rotary read(ConfigReader c, int rotaryDim, String thetaField, RotaryStyle style) {
        return read(c, rotaryDim, thetaField, 10000.0, style);
    }

    /** As {@link #read(ConfigReader, int, String, RotaryStyle)}, with the base used when the config has none. */
    static Rotary read(ConfigReader c, int rotaryDim, String thetaField, double defaultTheta, RotaryStyle style) {
        return withBase(c, rotaryDim, c.optDouble(thetaField, c.optDouble("rope_theta", defaultTheta)), thetaField,
                style);
    }

    /**
     * As {@link #read}, with the base {@code theta} (from {@code thetaField}) chosen by the caller, for a family whose
     * config class does not read a top-level rope_theta; a rope_theta inside rope_parameters still overrides it.
     */
    static Rotary withBase(ConfigReader c, int rotaryDim, double theta, String thetaField, RotaryStyle style) {
        refuseAmbiguous(c, theta, thetaField);
        String scalingField = c.has("rope_parameters") ? "rope_parameters" : "rope_scaling";
        JsonNode scaling = c.has(scalingField) ? c.node(scalingField) : null;
        return fromParameters(c, scalingField, scaling, theta, thetaField, rotaryDim, style);
    }

    /**
     * Refuses rotary settings that transformers 4 and 5 read differently, so that no choice here could match the
     * checkpoint's own: a rope_parameters (v5's name, unknown to v4) beside a different rope_scaling (v4's name, which
     * v5 still reads first), and a rope_theta inside rope_scaling that differs from the base (v4 ignores it there, v5
     * uses it).
     */
    private static void refuseAmbiguous(ConfigReader c, double theta, String thetaField) {
        JsonNode params = c.has("rope_parameters") ? c.node("rope_parameters") : null;
        JsonNode legacy = c.has("rope_scaling") ? c.node("rope_scaling") : null;
        boolean bothSet = params != null && !params.isNull() && legacy != null && !legacy.isNull();
        if (bothSet && !params.equals(legacy)) {
            throw c.error("rope_parameters", "is " + params + " but 'rope_scaling' is " + legacy + ": transformers 5 "
                    + "reads rope_scaling first and transformers 4 knows only rope_scaling, while a config saved by 5 "
                    + "keeps rope_parameters, so which one the checkpoint was made with is unclear; keep one of them");
        }
        if (params == null && legacy != null && legacy.isObject() && legacy.hasNonNull("rope_theta")
                && legacy.get("rope_theta").isNumber() && legacy.get("rope_theta").asDouble() != theta) {
            throw c.error("rope_scaling", "holds rope_theta " + legacy.get("rope_theta") + " but the base is " + theta
                    + " (" + thetaField + " or its default): transformers 4 ignores a rope_theta inside rope_scaling "
                    + "and 5 uses it, so the rotation is unclear; set the base in one place");
        }
    }

    /**
     * Inverse frequencies from base {@code theta} and a scaling object ({@code rope_scaling} or
     * {@code rope_parameters}, or a per-layer-type entry of it); a {@code rope_theta} inside the object
     * overrides {@code theta}. {@code scalingField} names the object in errors.
     */
    static Rotary fromParameters(ConfigReader c, String scalingField, JsonNode scaling, double theta,
            String thetaField, int rotaryDim, RotaryStyle style) {
        if (rotaryDim <= 0 || rotaryDim % 2 != 0) {
            throw new CheckpointException(c.file() + ": rotary dimension " + rotaryDim
                    + " (from head_dim and rotary_pct) must be positive and even");
        }
        if (scaling != null && scaling.isNull()) {
            scaling = null;
        }
        if (scaling != null && !scaling.isObject()) {
            throw c.error(scalingField, "must be an object, got " + scaling);
        }
        if (scaling != null && scaling.hasNonNull("rope_theta")) {
            theta = number(c, scalingField, scaling, "rope_theta");
            thetaField = scalingField + ".rope_theta";
        }
        if (!(theta > 0)) {
            throw c.error(thetaField, "must be positive, got " + theta);
        }
        double[] inv = new double[rotaryDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / rotaryDim);
        }
        if (scaling == null) {
            return new Rotary(rotaryDim, style, inv);
        }
        JsonNode typeNode = scaling.hasNonNull("rope_type") ? scaling.get("rope_type") : scaling.get("type");
        String type = typeNode == null || typeNode.isNull() ? "default" : typeNode.asText();
        switch (type) {
            case "default":
                break;
            case "linear": {
                double factor = number(c, scalingField, scaling, "factor");
                for (int i = 0; i < inv.length; i++) {
                    inv[i] /= factor;
                }
                break;
            }
            case "llama3": {
                double factor = number(c, scalingField, scaling, "factor");
                double low = number(c, scalingField, scaling, "low_freq_factor");
                double high = number(c, scalingField, scaling, "high_freq_factor");
                double oldContext = originalContext(c, scalingField, scaling);
                if (!(high > low)) {
                    throw c.error(scalingField, "has high_freq_factor " + high + " not above low_freq_factor " + low);
                }
                double lowFreqWavelen = oldContext / low;
                double highFreqWavelen = oldContext / high;
                for (int i = 0; i < inv.length; i++) {
                    double wavelen = 2 * Math.PI / inv[i];
                    if (wavelen > lowFreqWavelen) {
                        inv[i] = inv[i] / factor;
                    } else if (!(wavelen < highFreqWavelen)) {
                        double smooth = (oldContext / wavelen - low) / (high - low);
                        inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
                    }
                }
                break;
            }
            default:
                throw c.error(scalingField, "has rope type '" + type
                        + "', which circuitscope does not implement (supported: default, linear, llama3)");
        }
        return new Rotary(rotaryDim, style, inv);
    }

    /**
     * llama3's pre-training context as transformers v5 standardises it: the scaling object's
     * original_max_position_embeddings, else a top-level one (which v5 puts in its place), else
     * max_position_embeddings. Both given and different is refused: v4 reads the object's, v5 the top-level one.
     */
    private static double originalContext(ConfigReader c, String scalingField, JsonNode scaling) {
        String key = "original_max_position_embeddings";
        if (scaling.hasNonNull(key)) {
            double inside = number(c, scalingField, scaling, key);
            if (c.has(key) && c.requireDouble(key) != inside) {
                throw c.error(key, "is " + c.node(key) + " but " + scalingField + "." + key + " is " + scaling.get(key)
                        + "; transformers v4 uses the latter and v5 the former, so give one value");
            }
            return inside;
        }
        if (c.has(key)) {
            double top = c.requireDouble(key);
            if (!(top > 0)) {
                throw c.error(key, "must be positive, got " + c.node(key));
            }
            return top;
        }
        return c.requirePositiveInt("max_position_embeddings");
    }

    private static double number(ConfigReader c, String field, JsonNode obj, String key) {
        JsonNode n = obj.get(key);
        if (n == null || n.isNull()) {
            throw c.error(field, "is missing '" + key + "'");
        }
        if (!n.isNumber()) {
            throw c.error(field, "has non-numeric '" + key + "': " + n);
        }
        double v = n.asDouble();
        if (!(v > 0)) {
            throw c.error(field, "has '" + key + "' = " + v + ", which must be positive");
        }
        return v;
    }
}
