package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.testing.TinyCheckpoint;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every safetensors dtype is known, so a checkpoint carrying BOOL or integer buffers beside its
 * float weights (Pythia's attention masks, older GPT-2 files' U8 attn.bias) loads; a dtype is
 * refused only when its tensor is read as a weight.
 */
class SafetensorsDtypesTest {
    @TempDir
    Path dir;

    private static final int[][] TOKENS = {{1, 5, 2, 7, 3, 0}};

    private static TinyCheckpoint gpt2WithoutMask() {
        return TinyCheckpoint.gpt2(3, 1, 2, 4, 19, 8, false).without("h.0.attn.bias");
    }

    private static float[] logits(Path location) {
        try (LoadedModel model = ModelLoader.load(location);
                NDManager run = model.model().newRunManager()) {
            NDArray logits = model.model().forward(run, TOKENS);
            return logits.toFloatArray();
        }
    }

    private static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
        }
    }

    private void assertSameLogitsWith(String name, String dtype, long[] shape, byte[] data) throws Exception {
        float[] without = logits(gpt2WithoutMask().write(dir.resolve("plain"), TensorDtype.F32));
        Path withBuffer = gpt2WithoutMask().write(dir.resolve(dtype), TensorDtype.F32);
        RawSafetensors.add(withBuffer.resolve("model.safetensors"), name, dtype, shape, data);
        assertArrayEquals(without, logits(withBuffer));
    }

    @Test
    void boolCausalMaskIsSkipped() throws Exception {
        assertSameLogitsWith("h.0.attn.bias", "BOOL", new long[] {1, 1, 8, 8}, RawSafetensors.causalMaskBytes(8));
    }

    @Test
    void u8CausalMaskOfOlderGpt2SavesIsSkipped() throws Exception {
        assertSameLogitsWith("h.0.attn.bias", "U8", new long[] {1, 1, 8, 8}, RawSafetensors.causalMaskBytes(8));
    }

    @Test
    void i64MaskedBiasIsSkipped() throws Exception {
        assertSameLogitsWith("h.0.attn.masked_bias", "I64", new long[] {},
                ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-10000).array());
    }

    @Test
    void weightOfAnUnreadableDtypeIsRefusedWhenRead() throws Exception {
        Path model = gpt2WithoutMask().without("wpe.weight").write(dir, TensorDtype.F32);
        Path file = model.resolve("model.safetensors");
        RawSafetensors.add(file, "wpe.weight", "F64", new long[] {8, 8}, new byte[8 * 8 * 8]);
        SafetensorsFile.open(file).close();
        assertMessage(assertThrows(CheckpointException.class, () -> ModelLoader.load(model)), file.toString(),
                "'wpe.weight'", "dtype F64", "cannot read", "F32, F16 and BF16");
    }

    @Test
    void dtypeTheFormatDoesNotDefineIsRefusedOnOpen() throws Exception {
        Path file = gpt2WithoutMask().write(dir, TensorDtype.F32).resolve("model.safetensors");
        RawSafetensors.add(file, "h.0.attn.bias", "F128", new long[] {1}, new byte[16]);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)), file.toString(),
                "'h.0.attn.bias'", "dtype 'F128'", "not a safetensors dtype", "BOOL", "BF16");
    }

    @Test
    void byteCountOfAnUnreadBufferIsStillChecked() throws Exception {
        Path file = gpt2WithoutMask().write(dir, TensorDtype.F32).resolve("model.safetensors");
        RawSafetensors.add(file, "h.0.attn.masked_bias", "I64", new long[] {2}, new byte[12]);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)), file.toString(),
                "'h.0.attn.masked_bias'", "has 12 bytes", "[2] of I64 needs 16");
    }

    @Test
    void fourBitValuesMustFillWholeBytes() throws Exception {
        Path file = gpt2WithoutMask().write(dir, TensorDtype.F32).resolve("model.safetensors");
        RawSafetensors.add(file, "packed", "F4", new long[] {4}, new byte[2]);
        SafetensorsFile.open(file).close();
        RawSafetensors.add(file, "odd", "F4", new long[] {3}, new byte[2]);
        assertMessage(assertThrows(CheckpointException.class, () -> SafetensorsFile.open(file)), file.toString(),
                "'odd'", "[3] of F4", "whole number of bytes");
    }
}
