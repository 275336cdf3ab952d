package io.circuitscope.core.model;

import java.util.List;
import java.util.Objects;

/**
 * Everything the forward pass needs to know about an architecture, validated once at
 * construction. Families differ only in these fields: there is one forward implementation.
 *
 * @param family           display name of the architecture family ("gpt2", "llama", ...)
 * @param dModel           residual stream width
 * @param nLayers          number of transformer blocks
 * @param nHeads           query heads per layer; every query head is its own node
 * @param nKvHeads         key/value heads per layer (grouped-query attention when fewer than nHeads)
 * @param dHead            width of one head
 * @param dMlp             hidden width of the MLP
 * @param vocabSize        number of tokens
 * @param contextLength    longest sequence the model accepts
 * @param normType         normalisation before each sublayer and at the end
 * @param normEps          epsilon inside the normalisation
 * @param learnedPositions whether a learned positional embedding is added to the token embedding
 * @param rotary           rotary embedding settings, or null
 * @param activation       MLP non-linearity
 * @param gatedMlp         whether the MLP is gated: act(gate x) * (up x)
 * @param parallelAttnMlp  whether attention and MLP read the same residual stream (NeoX/GPT-J)
 * @param sandwichNorms    Gemma 2: extra norms on each sublayer's output before it joins the stream
 * @param qkNorm           Qwen3: RMSNorm on every query and key head before rotary
 * @param attnScale        factor applied to q·k (usually 1/sqrt(dHead))
 * @param attnScaleByInverseLayer GPT-2's scale_attn_by_inverse_layer_idx (Stanford CRFM's GPT-2 runs, BioMedLM): layer l's
 *                         q·k is further divided by l + 1 (see {@link #attnScale(int)})
 * @param attnSoftcap      Gemma 2 attention-logit soft cap (0 = none)
 * @param finalSoftcap     Gemma 2 final-logit soft cap (0 = none)
 * @param slidingWindow    window of local-attention layers (0 = none)
 * @param slidingLayers    which layers are local ("sliding_attention") layers, one entry per layer;
 *                         null means every layer (Mistral). Gemma 2: even layers; Gemma 3: every layer
 *                         except each sliding_window_pattern-th, or the config's layer_types
 * @param embeddingScale   factor on the token embedding (Gemma: sqrt(dModel)); 1 otherwise
 * @param localRotary      Gemma 3: rotary settings of the local layers (rope_local_base_freq), or null
 *                         when every layer uses {@code rotary}
 */
public record ModelConfig(
        String family,
        int dModel,
        int nLayers,
        int nHeads,
        int nKvHeads,
        int dHead,
        int dMlp,
        int vocabSize,
        int contextLength,
        NormType normType,
        double normEps,
        boolean learnedPositions,
        Rotary rotary,
        Activation activation,
        boolean gatedMlp,
        boolean parallelAttnMlp,
        boolean sandwichNorms,
        boolean qkNorm,
        double attnScale,
        boolean attnScaleByInverseLayer,
        double attnSoftcap,
        double finalSoftcap,
        int slidingWindow,
        List<Boolean> slidingLayers,
        double embeddingScale,
        Rotary localRotary) {

    public ModelConfig {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(normType, "normType");
        Objects.requireNonNull(activation, "activation");
        positive("dModel", dModel);
        positive("nLayers", nLayers);
        positive("nHeads", nHeads);
        positive("nKvHeads", nKvHeads);
        positive("dHead", dHead);
        positive("dMlp", dMlp);
        positive("vocabSize", vocabSize);
        positive("contextLength", contextLength);
        if (nHeads % nKvHeads != 0) {
            throw new IllegalArgumentException("nHeads (" + nHeads + ") must be a multiple of nKvHeads ("
                    + nKvHeads + ")");
        }
        if (rotary != null && rotary.rotaryDim() > dHead) {
            throw new IllegalArgumentException("rotary dimension " + rotary.rotaryDim() + " exceeds dHead " + dHead);
        }
        if (!(attnScale > 0)) {
            throw new IllegalArgumentException("attnScale must be positive, got " + attnScale);
        }
        if (normType != NormType.NONE && !(normEps > 0)) {
            throw new IllegalArgumentException("normEps must be positive, got " + normEps);
        }
        if (slidingWindow < 0) {
            throw new IllegalArgumentException("slidingWindow must not be negative, got " + slidingWindow);
        }
        if (slidingLayers != null) {
            slidingLayers = List.copyOf(slidingLayers);
            if (slidingLayers.size() != nLayers) {
                throw new IllegalArgumentException("slidingLayers has " + slidingLayers.size() + " entries for "
                        + nLayers + " layers");
            }
        }
        if (localRotary != null) {
            if (rotary == null || slidingLayers == null) {
                throw new IllegalArgumentException("a local rotary needs a global rotary and a per-layer sliding list");
            }
            if (localRotary.rotaryDim() > dHead) {
                throw new IllegalArgumentException("local rotary dimension " + localRotary.rotaryDim()
                        + " exceeds dHead " + dHead);
            }
        }
    }

    private static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Query heads that share one key/value head. */
    public int queryHeadsPerKvHead() {
        return nHeads / nKvHeads;
    }

    /** Whether layer {@code layer} is a local ("sliding_attention") layer by type, whatever the window. */
    public boolean isLocalLayer(int layer) {
        return slidingLayers == null || slidingLayers.get(layer);
    }

    /** Whether layer {@code layer} restricts attention to a local window. */
    public boolean isSlidingLayer(int layer) {
        return slidingWindow > 0 && isLocalLayer(layer);
    }

    /** The rotary settings layer {@code layer} uses: {@link #localRotary()} on local layers when set. */
    public Rotary rotaryFor(int layer) {
        return localRotary != null && isLocalLayer(layer) ? localRotary : rotary;
    }

    /** One entry per layer: true for layers with an even index (Gemma 2's pattern). */
    public static List<Boolean> evenLayers(int nLayers) {
        Boolean[] out = new Boolean[Math.max(0, nLayers)];
        for (int l = 0; l < nLayers; l++) {
            out[l] = l % 2 == 0;
        }
        return List.of(out);
    }

    /** One entry per layer: layer i is global when (i + 1) % pattern == 0, local otherwise (Gemma 3). */
    public static List<Boolean> slidingPattern(int nLayers, int pattern) {
        if (pattern <= 0) {
            throw new IllegalArgumentException("sliding window pattern must be positive, got " + pattern);
        }
        Boolean[] out = new Boolean[Math.max(0, nLayers)];
        for (int l = 0; l < nLayers; l++) {
            out[l] = (l + 1) % pattern != 0;
        }
        return List.of(out);
    }

    /** Parameters, counted from the shapes (embedding and unembedding counted once each). */
    public long parameterCount(boolean tiedEmbeddings) {
        long d = dModel;
        long attn = d * nHeads * dHead + 2L * d * nKvHeads * dHead + (long) nHeads * dHead * d;
        long mlp = (gatedMlp ? 3L : 2L) * d * dMlp;
        long perLayer = attn + mlp + 4L * d;
        long embed = (long) vocabSize * d * (tiedEmbeddings ? 1 : 2);
        long pos = learnedPositions ? (long) contextLength * d : 0;
        return perLayer * nLayers + embed + pos;
    }

    /** The factor on layer {@code layer}'s q·k: {@link #attnScale()}, divided by layer + 1 where the checkpoint asks. */
    public double attnScale(int layer) {
        return attnScaleByInverseLayer ? attnScale / (layer + 1) : attnScale;
    }

    public static Builder builder(String family) {
        return new Builder(family);
    }

    /** Builder with GPT-2-like defaults; {@code set...} for the required sizes, {@code opt...} for the rest. */
    public static final class Builder {
        private final String family;
        private int dModel;
        private int nLayers;
        private int nHeads;
        private int nKvHeads;
        private int dHead;
        private int dMlp;
        private int vocabSize;
        private int contextLength;
        private NormType normType = NormType.LAYER_NORM;
        private double normEps = 1e-5;
        private boolean learnedPositions = true;
        private Rotary rotary;
        private Activation activation = Activation.GELU_TANH;
        private boolean gatedMlp;
        private boolean parallelAttnMlp;
        private boolean sandwichNorms;
        private boolean qkNorm;
        private double attnScale;
        private boolean attnScaleByInverseLayer;
        private double attnSoftcap;
        private double finalSoftcap;
        private int slidingWindow;
        private List<Boolean> slidingLayers;
        private boolean slidingEveryOther;
        private double embeddingScale = 1.0;
        private Rotary localRotary;

        private Builder(String family) {
            this.family = family;
        }

        public Builder setSizes(int dModel, int nLayers, int nHeads, int dMlp, int vocabSize, int contextLength) {
            this.dModel = dModel;
            this.nLayers = nLayers;
            this.nHeads = nHeads;
            this.dMlp = dMlp;
            this.vocabSize = vocabSize;
            this.contextLength = contextLength;
            return this;
        }

        public Builder optKvHeads(int nKvHeads) { this.nKvHeads = nKvHeads; return this; }
        public Builder optDHead(int dHead) { this.dHead = dHead; return this; }
        public Builder optNorm(NormType type, double eps) { this.normType = type; this.normEps = eps; return this; }
        public Builder optLearnedPositions(boolean learned) { this.learnedPositions = learned; return this; }
        public Builder optRotary(Rotary rotary) { this.rotary = rotary; return this; }
        public Builder optActivation(Activation activation) { this.activation = activation; return this; }
        public Builder optGatedMlp(boolean gated) { this.gatedMlp = gated; return this; }
        public Builder optParallelAttnMlp(boolean parallel) { this.parallelAttnMlp = parallel; return this; }
        public Builder optSandwichNorms(boolean sandwich) { this.sandwichNorms = sandwich; return this; }
        public Builder optQkNorm(boolean qkNorm) { this.qkNorm = qkNorm; return this; }
        public Builder optAttnScale(double scale) { this.attnScale = scale; return this; }
        public Builder optAttnScaleByInverseLayer(boolean on) { this.attnScaleByInverseLayer = on; return this; }
        public Builder optSoftcaps(double attn, double fin) { this.attnSoftcap = attn; this.finalSoftcap = fin; return this; }
        /** A window on every layer, or ({@code everyOther}) on the layers with an even index (Gemma 2). */
        public Builder optSlidingWindow(int window, boolean everyOther) {
            this.slidingWindow = window;
            this.slidingLayers = null;
            this.slidingEveryOther = everyOther;
            return this;
        }
        /** A window on the layers marked true in {@code layers} (one entry per layer); null = every layer. */
        public Builder optSlidingWindow(int window, List<Boolean> layers) {
            this.slidingWindow = window;
            this.slidingLayers = layers;
            this.slidingEveryOther = false;
            return this;
        }
        /** Rotary settings for the local layers (Gemma 3's rope_local_base_freq). */
        public Builder optLocalRotary(Rotary rotary) { this.localRotary = rotary; return this; }
        public Builder optEmbeddingScale(double scale) { this.embeddingScale = scale; return this; }

        public ModelConfig build() {
            int heads = nHeads;
            int dh = dHead > 0 ? dHead : (heads > 0 ? dModel / heads : 0);
            if (dHead <= 0 && heads > 0 && dModel % heads != 0) {
                throw new IllegalArgumentException("dModel " + dModel + " is not divisible by nHeads " + heads
                        + " and no head dimension was given");
            }
            int kv = nKvHeads > 0 ? nKvHeads : heads;
            double scale = attnScale > 0 ? attnScale : 1.0 / Math.sqrt(dh);
            return new ModelConfig(family, dModel, nLayers, heads, kv, dh, dMlp, vocabSize, contextLength,
                    normType, normEps, learnedPositions, rotary, activation, gatedMlp, parallelAttnMlp,
                    sandwichNorms, qkNorm, scale, attnScaleByInverseLayer, attnSoftcap, finalSoftcap, slidingWindow,
                    slidingEveryOther ? evenLayers(nLayers) : slidingLayers, embeddingScale, localRotary);
        }
    }
}
