package io.circuitscope.core.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes tensors in the safetensors format (atomically: a temporary file renamed into place). */
public final class SafetensorsWriter {
    /** A tensor to write: values are given as floats and stored in {@code dtype}. */
    public record Tensor(TensorDtype dtype, long[] shape, float[] values) {
        public Tensor {
            long count = 1;
            for (long d : shape) {
                count *= d;
            }
            if (count != values.length) {
                throw new IllegalArgumentException("shape needs " + count + " values, got " + values.length);
            }
        }

        public static Tensor f32(float[] values, long... shape) {
            return new Tensor(TensorDtype.F32, shape, values);
        }
    }

    private final Map<String, Tensor> tensors = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafetensorsWriter put(String name, Tensor tensor) {
        tensors.put(name, tensor);
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = json.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", t.dtype().name());
            ArrayNode shape = entry.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
            long bytes = (long) t.values().length * t.dtype().bytes();
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] headerBytes = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        // Pad the header with spaces to 8 bytes, as the reference implementation does.
        int padded = (headerBytes.length + 7) / 8 * 8;
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            for (int i = headerBytes.length; i < padded; i++) {
                out.write(' ');
            }
            for (Tensor t : tensors.values()) {
                writeValues(out, t);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writeValues(OutputStream out, Tensor t) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(t.values().length * t.dtype().bytes()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : t.values()) {
            switch (t.dtype()) {
                case F32 -> buf.putFloat(v);
                case F16 -> buf.putShort(HalfFloats.toHalf(v));
                case BF16 -> buf.putShort(HalfFloats.toBfloat16(v));
                default -> throw new IllegalStateException(t.dtype().name());
            }
        }
        out.write(buf.array());
    }
}
