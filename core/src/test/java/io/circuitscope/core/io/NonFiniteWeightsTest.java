package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A checkpoint holding NaN or infinity is refused at load, naming the file and the tensor. */
class NonFiniteWeightsTest {
    @TempDir
    Path dir;

    private static void assertMessage(Path location, String... parts) {
        String m = assertThrows(CheckpointException.class, () -> ModelLoader.load(location).close()).getMessage();
        for (String part : parts) {
            assertTrue(m.contains(part), "message '" + m + "' lacks '" + part + "'");
        }
    }

    private static TinyCheckpoint gpt2WithBadValues(String tensor, float... bad) {
        TinyCheckpoint ck = TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false);
        System.arraycopy(bad, 0, ck.tensors().get(tensor).data(), 0, bad.length);
        return ck;
    }

    @Test
    void llama2cFileWithBytesSetTo0xff() throws Exception {
        TinyCheckpoint llama = TinyCheckpoint.llamaFamily("llama", 1, 1, 4, 2, 4, 16, 20, 23, 16, false, false);
        Path bin = llama.writeLlama2c(dir.resolve("tiny.bin"));
        // Three floats of the first layer's attention norm, right after the 23 x 16 token embedding.
        byte[] ff = new byte[12];
        Arrays.fill(ff, (byte) 0xff);
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(ff), 28 + 4L * 23 * 16);
        }
        assertMessage(bin, "tiny.bin", "'model.layers.0.input_layernorm.weight'", "has 3 non-finite values");
    }

    @Test
    void safetensorsWithNanAndInfinity() throws Exception {
        gpt2WithBadValues("h.0.mlp.c_fc.weight", Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)
                .write(dir, TensorDtype.F32);
        assertMessage(dir, "model.safetensors", "'h.0.mlp.c_fc.weight'", "has 3 non-finite values");
    }

    @Test
    void halfPrecisionInfinity() throws Exception {
        gpt2WithBadValues("wpe.weight", Float.POSITIVE_INFINITY).write(dir, TensorDtype.F16);
        assertMessage(dir, "model.safetensors", "'wpe.weight'", "has 1 non-finite value");
    }

    @Test
    void bfloat16Nan() throws Exception {
        gpt2WithBadValues("ln_f.bias", Float.NaN, Float.NaN).write(dir, TensorDtype.BF16);
        assertMessage(dir, "model.safetensors", "'ln_f.bias'", "has 2 non-finite values");
    }

    @Test
    void shardNamedWhenItHoldsTheBadTensor() throws Exception {
        gpt2WithBadValues("h.0.attn.c_proj.bias", Float.NaN).writeSharded(dir, TensorDtype.F32, 2);
        assertMessage(dir, "model-0000", ".safetensors", "'h.0.attn.c_proj.bias'", "has 1 non-finite value");
    }

    @Test
    void largeFiniteValuesWhoseSumOverflowsStillLoad() throws Exception {
        gpt2WithBadValues("h.0.mlp.c_fc.bias", 3e38f, 3e38f).write(dir, TensorDtype.F32);
        ModelLoader.load(dir).close();
    }
}
