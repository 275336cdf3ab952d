package io.circuitscope.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/** Rotates the first rotaryDim dimensions of each head of q or k [b, s, h, e] by position. */
final class RotaryEmbedding {
    private final Rotary rotary;
    private final NDArray cos;
    private final NDArray sin;

    RotaryEmbedding(Rotary rotary, NDManager run, int seq) {
        this.rotary = rotary;
        int pairs = rotary.rotaryDim() / 2;
        float[] c = new float[seq * pairs];
        float[] s = new float[seq * pairs];
        for (int p = 0; p < seq; p++) {
            for (int i = 0; i < pairs; i++) {
                double angle = p * rotary.inverseFrequency(i);
                c[p * pairs + i] = (float) Math.cos(angle);
                s[p * pairs + i] = (float) Math.sin(angle);
            }
        }
        this.cos = run.create(c, new Shape(1, seq, 1, pairs));
        this.sin = run.create(s, new Shape(1, seq, 1, pairs));
    }

    NDArray apply(NDArray x) {
        Shape shape = x.getShape();
        long dHead = shape.get(3);
        int rot = rotary.rotaryDim();
        NDArray rotated = rot == dHead ? x : x.get(new NDIndex("..., 0:{}", rot));
        NDArray out;
        if (rotary.style() == RotaryStyle.HALVES) {
            NDArray x1 = rotated.get(new NDIndex("..., 0:{}", rot / 2));
            NDArray x2 = rotated.get(new NDIndex("..., {}:", rot / 2));
            out = x1.mul(cos).sub(x2.mul(sin)).concat(x2.mul(cos).add(x1.mul(sin)), -1);
        } else {
            NDArray pairs = rotated.reshape(shape.get(0), shape.get(1), shape.get(2), rot / 2, 2);
            NDArray x1 = pairs.get(new NDIndex("..., 0"));
            NDArray x2 = pairs.get(new NDIndex("..., 1"));
            out = x1.mul(cos).sub(x2.mul(sin)).stack(x1.mul(sin).add(x2.mul(cos)), -1)
                    .reshape(shape.get(0), shape.get(1), shape.get(2), rot);
        }
        return rot == dHead ? out : out.concat(x.get(new NDIndex("..., {}:", rot)), -1);
    }
}
