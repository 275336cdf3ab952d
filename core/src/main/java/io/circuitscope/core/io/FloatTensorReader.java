package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;

/**
 * Reads a stored F32, F16 or BF16 tensor from a file as float32. Java buffers, memory mappings and
 * DJL's create-from-buffer all stop at 2 GiB, while single tensors of real models are larger
 * (Qwen2.5-7B's embedding is 2.03 GiB in float32, Gemma-2-2B's 2.2 GiB), and sharding never
 * splits a tensor. So a tensor whose float32 form exceeds the piece size is read in pieces, each
 * copied into one flat float32 tensor: memory stays the tensor plus one piece.
 */
final class FloatTensorReader {
    /** Far below the 2 GiB limit of one buffer: reading takes the tensor plus one piece of memory. */
    static final long DEFAULT_MAX_PIECE_BYTES = 1L << 28;

    private final FileChannel channel;
    private final long dataStart;
    private final long pieceElements;

    /**
     * Reads tensors whose offsets count from {@code dataStart}, in pieces of at most
     * {@code maxPieceBytes} of float32.
     */
    FloatTensorReader(FileChannel channel, long dataStart, long maxPieceBytes) {
        if (maxPieceBytes < Float.BYTES || maxPieceBytes > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("piece size " + maxPieceBytes + " is not between 4 bytes and 2 GiB");
        }
        this.channel = channel;
        this.dataStart = dataStart;
        this.pieceElements = maxPieceBytes / Float.BYTES;
    }

    /** The tensor of {@code shape} stored as {@code type} from byte {@code begin}, as float32. */
    NDArray read(TensorDtype type, long[] shape, long begin, NDManager manager) throws IOException {
        Shape target = new Shape(shape);
        long count = target.size();
        if (count <= pieceElements) {
            NDArray whole = piece(type, begin, target, manager, null);
            return type == TensorDtype.F32 ? copyOutOfMapping(whole) : whole;
        }
        // One widening buffer for all pieces, each copied into flat before the next is widened: direct
        // buffers are freed only by the garbage collector, so one per piece would hold the tensor twice.
        ByteBuffer widened = type == TensorDtype.BF16 ? floatBuffer(pieceElements) : null;
        try (NDArray flat = manager.create(new Shape(count), DataType.FLOAT32)) {
            for (long first = 0; first < count; first += pieceElements) {
                long n = Math.min(pieceElements, count - first);
                try (NDArray part = piece(type, begin + first * type.bytes(), new Shape(n), manager, widened)) {
                    flat.set(new NDIndex().addSliceDim(first, first + n), part);
                }
            }
            // A view sharing flat's storage, which stays alive after flat's handle is closed.
            return flat.reshape(target);
        }
    }

    /**
     * At most {@link #pieceElements} values as float32; F32 ones still read from the file mapping.
     * BF16 values are widened into {@code widenInto} when given, else into a new buffer.
     */
    private NDArray piece(TensorDtype type, long begin, Shape shape, NDManager manager, ByteBuffer widenInto)
            throws IOException {
        long length = shape.size() * type.bytes();
        ByteBuffer bytes = length == 0 ? ByteBuffer.allocateDirect(0)
                : channel.map(FileChannel.MapMode.READ_ONLY, dataStart + begin, length);
        bytes.order(ByteOrder.LITTLE_ENDIAN);
        if (type == TensorDtype.BF16) {
            // DJL's PyTorch engine aborts the JVM when creating bfloat16 from a buffer, so widen here,
            // off-heap: bfloat16 is the top half of a float32.
            ByteBuffer out = widenInto != null ? widenInto.clear() : floatBuffer(shape.size());
            return manager.create(widenBfloat16(bytes, out), shape, DataType.FLOAT32);
        }
        NDArray raw = manager.create(bytes, shape, type.djlType());
        if (type == TensorDtype.F32) {
            return raw;
        }
        NDArray widened = raw.toType(DataType.FLOAT32, true);
        raw.close();
        return widened;
    }

    /** A copy, so the tensor does not depend on the file staying open (pieces are copied into the whole). */
    private static NDArray copyOutOfMapping(NDArray mapped) {
        NDArray copy = mapped.duplicate();
        mapped.close();
        return copy;
    }

    private static ByteBuffer floatBuffer(long count) {
        return ByteBuffer.allocateDirect(Math.toIntExact(count * Float.BYTES)).order(ByteOrder.nativeOrder());
    }

    private static ByteBuffer widenBfloat16(ByteBuffer halves, ByteBuffer out) {
        int count = halves.remaining() / 2;
        for (int i = 0; i < count; i++) {
            out.putInt((halves.getShort() & 0xFFFF) << 16);
        }
        return out.flip();
    }
}
