package io.circuitscope.core.hook;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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
        Matcher m = LAYERED.matcher(name);
        if (m.matches()) {
            int layer = Integer.parseInt(m.group(1));
            String rest = "blocks.%d." + m.group(2);
            for (HookSite site : HookSite.values()) {
                if (site.perLayer() && site.pattern().equals(rest)) {
                    return new HookName(site, layer);
                }
            }
        } else {
            for (HookSite site : HookSite.values()) {
                if (!site.perLayer() && site.pattern().equals(name)) {
                    return new HookName(site, -1);
                }
            }
        }
        throw new IllegalArgumentException("unknown hook name '" + name + "'");
    }

    @Override
    public String toString() {
        return site.format(layer);
    }
}
