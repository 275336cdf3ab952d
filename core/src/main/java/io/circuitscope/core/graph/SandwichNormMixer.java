package io.circuitscope.core.graph;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.circuitscope.core.model.HookedTransformer;
import io.circuitscope.core.model.LayerWeights;
import io.circuitscope.core.model.ModelConfig;
import io.circuitscope.core.model.NormType;
import java.util.function.IntFunction;

/**
 * What sandwich norms take from the stream a destination group reads, in a patched pass without gradients,
 * with no norm call per destination.
 *
 * <p>A destination whose patch weights on layer l's heads are w_h sees l's attention output as
 * N(a - sum_h w_h d_h) instead of N(a), where a is l's head sum plus its output bias and d_h the heads'
 * differences (this pass minus the patched run). N divides each row (position) by a scale sigma whose square
 * is quadratic in u = (1, -w_1, ..., -w_H): sigma^2 = u'Gu / d_model + eps, with G the row's Gram matrix over
 * d_model of x = (a, d_1, ..., d_H), centred for LayerNorm. So each row's G is computed once per layer, and
 * <pre>  N(a) - N(a - sum_h w_h d_h) = (1/sigma_a - 1/sigma) g*x_0 + sum_h (w_h / sigma) g*x_h</pre>
 * (g the norm's weight; its bias cancels) is a product of per-row coefficients with the stored g*x, one
 * batched product for every earlier layer of a destination group. Recomputing the norm for each destination
 * instead cost a dozen elementwise passes over [masks, destinations, B*s*d] per earlier layer. The Gram
 * matrices are float64, so a patched head sum near zero loses nothing to cancellation.
 */
final class SandwichNormMixer {
    private final NDManager run;
    private final HookedTransformer model;
    private final int masks;
    private final int batch;
    private final int heads;
    private final long dModel;
    private final NDArray[] grams; // per layer, [M or 1, B, s, H+1, H+1] float64; null until prepared
    private NDArray sources; // [M, B*s, layers * (H+1), d]: g*x of every prepared layer, in layer order
    private long rows;

    SandwichNormMixer(NDManager run, HookedTransformer model, int masks, int batch) {
        this.run = run;
        this.model = model;
        this.masks = masks;
        this.batch = batch;
        ModelConfig c = model.config();
        this.heads = c.nHeads();
        this.dModel = c.dModel();
        this.grams = new NDArray[c.nLayers()];
    }

    boolean isPrepared(int layer) {
        return grams[layer] != null;
    }

    /**
     * Stores layer {@code layer}'s Gram matrices and scaled inputs from its head sum [M or 1, 1, B*s*d] and its
     * heads' differences [M or 1, H, B*s*d]; both stay the caller's.
     */
    void prepare(int layer, NDArray headSum, NDArray differences) {
        ModelConfig c = model.config();
        LayerWeights w = model.weights().layer(layer);
        long width = headSum.getShape().get(2);
        rows = width / dModel;
        long leading = Math.max(headSum.getShape().get(0), differences.getShape().get(0));
        try (NDManager scratch = run.newSubManager()) {
            NDArray a = headSum.reshape(headSum.getShape().get(0), rows, 1, dModel);
            a.attach(scratch); // a view: everything computed from it belongs to the scratch manager
            if (w.bO() != null) {
                a = a.add(w.bO());
            }
            NDArray d = differences.reshape(differences.getShape().get(0), heads, rows, dModel);
            d.attach(scratch);
            NDArray x = NDArrays.concat(new NDList(a.broadcast(new Shape(leading, rows, 1, dModel)),
                    d.transpose(0, 2, 1, 3).broadcast(new Shape(leading, rows, heads, dModel))), 2);
            if (c.normType() == NormType.LAYER_NORM) {
                x = x.sub(x.mean(new int[] {-1}, true));
            }
            NDArray wide = x.toType(DataType.FLOAT64, false);
            NDArray gram = wide.matMul(wide.transpose(0, 1, 3, 2))
                    .reshape(leading, batch, rows / batch, heads + 1, heads + 1);
            gram.attach(run);
            grams[layer] = gram;
            NDArray scaled = w.postAttnNormWeight() == null ? x : x.mul(w.postAttnNormWeight());
            if (sources == null) {
                sources = run.zeros(new Shape(masks, rows, (long) c.nLayers() * (heads + 1), dModel), x.getDataType());
            }
            int first = layer * (heads + 1);
            sources.set(new NDIndex(":, :, {}:{}, :", first, first + heads + 1),
                    scaled.broadcast(new Shape(masks, rows, heads + 1, dModel)));
        }
    }

    /**
     * The sum over layers l below {@code layers} of N_l(a_l) - N_l(a_l - sum_h w_h d_h) for {@code count}
     * destinations, [M, count, B*s*d], or null where no layer is patched into them. {@code weightsOf(l)} gives
     * layer l's head weights, [M, H, count] or by position [M, H, count, s] (freed here), or null
     * where they are all zero; every layer it does not return null for must be prepared.
     */
    NDArray correction(int layers, int count, IntFunction<NDArray> weightsOf) {
        ModelConfig c = model.config();
        try (NDManager scratch = run.newSubManager()) {
            NDArray[] perLayer = new NDArray[layers];
            boolean any = false;
            for (int l = 0; l < layers; l++) {
                NDArray w = weightsOf.apply(l);
                if (w != null) {
                    if (!isPrepared(l)) {
                        throw new IllegalStateException("layer " + l + " is patched but its norm inputs are not prepared");
                    }
                    w.attach(scratch);
                    perLayer[l] = layerCoefficients(scratch, l, w, count, c);
                    any = true;
                }
            }
            if (!any) {
                return null;
            }
            NDList blocks = new NDList();
            for (NDArray block : perLayer) {
                // a layer not patched here adds nothing: zero coefficients on its stored inputs
                blocks.add(block != null ? block : scratch.zeros(
                        new Shape(masks, batch, rows / batch, count, heads + 1), sources.getDataType()));
            }
            int used = layers * (heads + 1);
            NDArray coefficients = NDArrays.concat(blocks, 4).reshape(masks, rows, count, used);
            NDArray stored = sources.get(new NDIndex(":, :, 0:{}, :", used));
            stored.attach(scratch);
            NDArray out = coefficients.matMul(stored).transpose(0, 2, 1, 3).reshape(masks, count, rows * dModel);
            out.attach(run);
            return out;
        }
    }

    /** Layer l's coefficients [M, B, s, count, H+1] on g*x for head weights w [M, H, count(, s)]. */
    private NDArray layerCoefficients(NDManager scratch, int layer, NDArray w, int count, ModelConfig c) {
        // [M, 1, s or 1, H, count]: the batch and position axes of the Gram matrices broadcast against it
        NDArray perRow = (w.getShape().dimension() == 4 ? w.transpose(0, 3, 1, 2) : w.expandDims(1)).expandDims(1)
                .toType(DataType.FLOAT64, false);
        Shape rowShape = perRow.getShape();
        NDArray u = NDArrays.concat(new NDList(
                scratch.ones(new Shape(rowShape.get(0), 1, rowShape.get(2), 1, count), DataType.FLOAT64), perRow.neg()), 3);
        NDArray gram = grams[layer].reshape(grams[layer].getShape());
        gram.attach(scratch);
        NDArray inverse;
        NDArray inverseUnpatched;
        if (c.normType() == NormType.NONE) {
            inverse = scratch.ones(new Shape(masks, batch, rows / batch, count), DataType.FLOAT64);
            inverseUnpatched = scratch.ones(new Shape(1, 1, 1, 1), DataType.FLOAT64);
        } else {
            // u'Gu is a sum of squares; rounding must not make it negative
            NDArray squares = gram.matMul(u).mul(u).sum(new int[] {3}).maximum(0); // [M, B, s, count]
            inverse = squares.div(dModel).add(c.normEps()).pow(-0.5);
            inverseUnpatched = gram.get(new NDIndex(":, :, :, 0, 0")).div(dModel).add(c.normEps()).pow(-0.5)
                    .expandDims(-1);
        }
        Shape target = new Shape(masks, batch, rows / batch, count, 1);
        NDArray onSum = inverseUnpatched.sub(inverse).expandDims(-1).broadcast(target);
        NDArray onHeads = perRow.transpose(0, 1, 2, 4, 3).mul(inverse.expandDims(-1));
        return NDArrays.concat(new NDList(onSum, onHeads), 4).toType(sources.getDataType(), false);
    }
}
