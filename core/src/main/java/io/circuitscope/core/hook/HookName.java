package io.circuitscope.core.hook;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A typed hook address: a site and, for per-layer sites, the layer. Renders as the TransformerLens name. */
public record HookName(HookSite site, int layer) {
    private static final Pattern LAYERED = Pattern.compile("blocks\\.(\\d+)\\.(.+)");

    public HookName {
        Objects.requireNonNull(site, "site");
        if (site.perLayer() && layer < 0) {
            throw new IllegalArgumentException(site + " needs a layer");
        }
        if (!site.perLayer() && layer != -1) {
            throw new IllegalArgumentException(site + " is not per layer");
        }
    }

    public static HookName of(HookSite site, int layer) {
        return new HookName(site, layer);
    }

    public static HookName of(HookSite site) {
        return new HookName(site, -1);
    }

    /** Parses a TransformerLens-style name such as {@code blocks.3.attn.hook_z} or {@code hook_embed}. */
    public static HookName parse(String name) {
        String trimmed = name.strip();
        Matcher m = LAYERED.matcher(trimmed);
        if (m.matches()) {
            String rest = "blocks.%d." + m.group(2);
            for (HookSite site : HookSite.values()) {
                if (site.perLayer() && site.pattern().equals(rest)) {
                    return new HookName(site, layer(m.group(1), trimmed));
                }
            }
        } else {
            for (HookSite site : HookSite.values()) {
                if (!site.perLayer() && site.pattern().equals(trimmed)) {
                    return new HookName(site, -1);
                }
            }
        }
        throw new IllegalArgumentException(unknown(trimmed));
    }

    private static int layer(String digits, String name) {
        try {
            return Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("layer " + digits + " of hook name '" + name + "' is too large", e);
        }
    }

    /** TransformerLens hook names with no counterpart here, and what to use instead. */
    private static final Map<Pattern, String> TRANSFORMER_LENS_ONLY = Map.of(
            Pattern.compile("blocks\\.\\d+\\.attn\\.hook_rot_[qk]"),
            "rotary is applied inside the attention scores: attn.hook_q/hook_k are before rotary (and q/k norm),"
                    + " attn.hook_attn_scores after",
            Pattern.compile("blocks\\.\\d+\\.hook_attn_in"),
            "the per-head attention inputs are blocks.L.hook_q_input, hook_k_input and hook_v_input",
            Pattern.compile("(blocks\\.\\d+\\.ln[12](_post)?|ln_final)\\.hook_(scale|normalized)"),
            "normalisations are not hooked inside (only ln_final.hook_normalized is); the pre-norms' inputs are"
                    + " blocks.L.hook_resid_pre (or the per-head hook_q/k/v_input) and blocks.L.hook_mlp_in, Gemma's"
                    + " post-norms' outputs blocks.L.hook_attn_out and blocks.L.hook_mlp_out",
            Pattern.compile("blocks\\.\\d+\\.mlp\\.hook_pre_linear"),
            "the gated MLP's up projection is not hooked: mlp.hook_pre is the gate projection, mlp.hook_post"
                    + " the product after the non-linearity");

    /** The error for a name that is no hook: what TransformerLens users should use instead, or the nearest name. */
    private static String unknown(String name) {
        String message = "unknown hook name '" + name + "'";
        for (Map.Entry<Pattern, String> e : TRANSFORMER_LENS_ONLY.entrySet()) {
            if (e.getKey().matcher(name).matches()) {
                return message + ": TransformerLens has it, but it has no equivalent here; " + e.getValue();
            }
        }
        String suggestion = nearest(name);
        return message + (suggestion == null ? "." : "; did you mean '" + suggestion + "'?") + " Hook names are: "
                + Arrays.stream(HookSite.values()).map(s -> s.pattern().replace("%d", "L"))
                        .collect(Collectors.joining(", "));
    }

    /** The hook name closest to {@code name} by edit distance, with its layer, or null when none is close. */
    private static String nearest(String name) {
        Matcher m = LAYERED.matcher(name);
        String layer = m.matches() ? m.group(1) : "L";
        String layerless = m.matches() ? "blocks.L." + m.group(2) : name;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (HookSite site : HookSite.values()) {
            String candidate = site.pattern().replace("%d", "L");
            // a per-layer site named without its blocks.L. prefix (hook_z for blocks.L.attn.hook_z) is close
            int distance = candidate.endsWith("." + layerless) ? 0 : editDistance(layerless, candidate);
            if (distance < bestDistance && distance <= Math.max(2, candidate.length() / 4)) {
                best = site.pattern().replace("%d", layer);
                bestDistance = distance;
            }
        }
        return best;
    }

    private static int editDistance(String a, String b) {
        int[] previous = new int[b.length() + 1];
        int[] current = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.length()];
    }

    @Override
    public String toString() {
        return site.format(layer);
    }
}
