package io.circuitscope.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.circuitscope.core.DjlRuntime;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tensors larger than one piece (256 MiB of float32; over 2 GiB no Java buffer can hold them) are read
 * in pieces. Forcing pieces of a few values on small tensors gives exactly the values and shape of
 * reading them whole, for every stored float type and for pieces that split rows.
 */
class TensorPiecesTest {
    @TempDir
    Path dir;

    private static final long[][] SHAPES = {{5, 7}, {35}, {3, 4, 5}, {1, 9}, {}, {0, 3}};

    private Path write(TensorDtype dtype) throws Exception {
        Random rng = new Random(dtype.ordinal());
        SafetensorsWriter w = new SafetensorsWriter();
        for (int i = 0; i < SHAPES.length; i++) {
            long count = 1;
            for (long d : SHAPES[i]) {
                count *= d;
            }
            float[] values = new float[(int) count];
            for (int j = 0; j < values.length; j++) {
                values[j] = (float) rng.nextGaussian() * 3;
            }
            w.put("t" + i, new SafetensorsWriter.Tensor(dtype, SHAPES[i], values));
        }
        Path file = dir.resolve(dtype + ".safetensors");
        w.write(file);
        return file;
    }

    private static void assertSameTensors(Path file, long maxPieceBytes) {
        try (SafetensorsFile whole = SafetensorsFile.open(file);
                SafetensorsFile pieces = SafetensorsFile.open(file, maxPieceBytes);
                NDManager manager = DjlRuntime.newManager()) {
            for (int i = 0; i < SHAPES.length; i++) {
                NDArray expected = whole.load("t" + i, manager, SHAPES[i]);
                NDArray actual = pieces.load("t" + i, manager, SHAPES[i]);
                String what = file.getFileName() + " t" + i + " in pieces of " + maxPieceBytes + " bytes";
                assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what);
                assertArrayEquals(expected.toFloatArray(), actual.toFloatArray(), what);
            }
        }
    }

    @Test
    void piecesGiveTheSameTensorForEveryFloatType() throws Exception {
        for (TensorDtype dtype : TensorDtype.values()) {
            Path file = write(dtype);
            for (long maxPieceBytes : new long[] {4, 12, 28, 36, 1 << 10}) {
                assertSameTensors(file, maxPieceBytes);
            }
        }
    }
}
