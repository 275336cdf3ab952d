package io.circuitscope.core.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Adds a tensor of any dtype, given as raw bytes, to a safetensors file (the writer stores float
 * types only), as a real checkpoint holds BOOL or integer buffers beside its weights.
 */
final class RawSafetensors {
    private RawSafetensors() {
    }

    static void add(Path file, String name, String dtype, long[] shape, byte[] data) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int headerLength = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectMapper json = new ObjectMapper();
        ObjectNode header = (ObjectNode) json.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        byte[] oldData = Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length);
        ObjectNode entry = header.putObject(name);
        entry.put("dtype", dtype);
        entry.putArray("shape").addAll(Arrays.stream(shape).mapToObj(json.getNodeFactory()::numberNode).toList());
        entry.putArray("data_offsets").add(oldData.length).add(oldData.length + data.length);
        byte[] newHeader = json.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(newHeader.length).array());
        out.write(newHeader);
        out.write(oldData);
        out.write(data);
        Files.write(file, out.toByteArray());
    }

    /** A lower-triangular causal mask of ones, one byte per value, as BOOL and U8 store it. */
    static byte[] causalMaskBytes(int n) {
        byte[] mask = new byte[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                mask[i * n + j] = 1;
            }
        }
        return mask;
    }
}
