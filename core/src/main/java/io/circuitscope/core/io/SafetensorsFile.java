package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file. The header is parsed and checked on open; tensor data is memory
 * mapped one tensor at a time, so a file is never copied whole into the Java heap.
 */
public final class SafetensorsFile extends IndexedTensorFile<SafetensorsFile.Entry> {
    /** Headers beyond this are not real checkpoints (the format's own limit is 100 MB). */
    private static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    /**
     * A key given twice is refused, as the safetensors library refuses it: read loosely, the last of two entries
     * for one tensor (or two shapes or data_offsets in one entry) won without a word.
     */
    private static final ObjectMapper HEADER_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    record Entry(SafetensorsDtype dtype, long[] shape, long begin, long end) implements IndexedTensorFile.Indexed {
    }

    private final FileChannel channel;
    private final FloatTensorReader reader;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, FileChannel channel, FloatTensorReader reader, Map<String, Entry> entries,
            Map<String, String> metadata) {
        super(path, entries);
        this.channel = channel;
        this.reader = reader;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path path) {
        return open(path, FloatTensorReader.DEFAULT_MAX_PIECE_BYTES);
    }

    /**
     * As {@link #open(Path)}, reading tensors larger than {@code maxPieceBytes} of float32 in pieces
     * (tests use a small size).
     */
    static SafetensorsFile open(Path path, long maxPieceBytes) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open safetensors file (" + e.getMessage() + ")", e);
        }
        try {
            return parse(path, channel, maxPieceBytes);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    private static SafetensorsFile parse(Path path, FileChannel channel, long maxPieceBytes) {
        try {
            long size = channel.size();
            if (size < 8) {
                throw new CheckpointException(path + ": file of " + size + " bytes is too short for a safetensors header");
            }
            ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(lengthBytes, 0);
            long headerLength = lengthBytes.flip().getLong();
            if (headerLength == 0) {
                throw new CheckpointException(path + ": header length is 0, but a safetensors file starts with the "
                        + "byte length of its JSON header (corrupt or not a safetensors file)");
            }
            // The length is an unsigned 64-bit integer: print it as one, as it was written.
            if (Long.compareUnsigned(headerLength, size - 8) > 0) {
                throw new CheckpointException(path + ": header length " + Long.toUnsignedString(headerLength)
                        + " is beyond the file size of " + size + " bytes (truncated or not a safetensors file)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new CheckpointException(path + ": header length " + headerLength + " is above the 100 MiB "
                        + "that safetensors allows a header (corrupt or not a safetensors file)");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            channel.read(header, 8);
            JsonNode root;
            try {
                root = HEADER_JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CheckpointException(path + ": header is " + ReadErrors.describe(e), e);
            }
            if (root == null || !root.isObject()) {
                throw new CheckpointException(path + ": header is not a JSON object");
            }
            long dataStart = 8 + headerLength;
            long dataSize = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> field = it.next();
                String name = field.getKey();
                JsonNode node = field.getValue();
                if (name.equals("__metadata__")) {
                    // the library's own reader refuses anything else; read loosely, [1,2] was no metadata at all
                    for (Iterator<Map.Entry<String, JsonNode>> m = node.fields(); m.hasNext() || !node.isObject();) {
                        Map.Entry<String, JsonNode> e = node.isObject() ? m.next() : null;
                        if (e == null || !e.getValue().isTextual()) {
                            throw new CheckpointException(path + ": header field '__metadata__' must be an object of "
                                    + "strings, got " + (e == null ? node : "'" + e.getKey() + "': " + e.getValue()));
                        }
                        metadata.put(e.getKey(), e.getValue().textValue());
                    }
                    continue;
                }
                entries.put(name, parseEntry(path, name, node, dataSize));
            }
            requireDisjoint(path, entries);
            FloatTensorReader reader = new FloatTensorReader(channel, dataStart, maxPieceBytes);
            return new SafetensorsFile(path, channel, reader, Collections.unmodifiableMap(entries), metadata);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot read safetensors header (" + e.getMessage() + ")", e);
        }
    }

    private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || shape == null || !shape.isArray() || offsets == null || !offsets.isArray()
                || offsets.size() != 2) {
            throw new CheckpointException(path + ": tensor '" + name
                    + "' header entry needs dtype, shape and two data_offsets");
        }
        SafetensorsDtype type = SafetensorsDtype.parse(dtype.asText(), path, name);
        long[] dims = new long[shape.size()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = naturalNumber(shape.get(i));
            if (dims[i] < 0) {
                throw new CheckpointException(path + ": tensor '" + name + "' has a negative or non-numeric dimension");
            }
        }
        long needed;
        try {
            for (long d : dims) {
                count = Math.multiplyExact(count, d);
            }
            needed = type.bytesFor(count);
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(path + ": tensor '" + name + "' has shape " + shape
                    + ", too large for any file");
        }
        long begin = naturalNumber(offsets.get(0));
        long end = naturalNumber(offsets.get(1));
        if (begin < 0 || end < 0) {
            throw new CheckpointException(path + ": tensor '" + name + "' has data_offsets " + offsets
                    + "; they must be two non-negative integers");
        }
        if (end < begin || end > dataSize) {
            throw new CheckpointException(path + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end
                    + "] outside the data section of " + dataSize + " bytes");
        }
        if (needed < 0) {
            throw new CheckpointException(path + ": tensor '" + name + "' has shape " + Arrays.toString(dims) + " of "
                    + type + ", which does not fill a whole number of bytes");
        }
        if (end - begin != needed) {
            throw new CheckpointException(path + ": tensor '" + name + "' has " + (end - begin) + " bytes but shape "
                    + Arrays.toString(dims) + " of " + type + " needs " + needed);
        }
        return new Entry(type, dims, begin, end);
    }

    /** A JSON integer that fits a long and is not negative, or -1. */
    private static long naturalNumber(JsonNode n) {
        return n.isIntegralNumber() && n.canConvertToLong() ? Math.max(-1, n.asLong()) : -1;
    }

    /**
     * Refuses tensors whose byte ranges overlap: each would read part of the other's data, silently
     * giving wrong weights. Empty tensors own no bytes and may sit anywhere.
     */
    private static void requireDisjoint(Path path, Map<String, Entry> entries) {
        List<Map.Entry<String, Entry>> byBegin = new ArrayList<>();
        entries.entrySet().stream().filter(e -> e.getValue().end() > e.getValue().begin()).forEach(byBegin::add);
        byBegin.sort(Comparator.comparingLong(e -> e.getValue().begin()));
        for (int i = 1; i < byBegin.size(); i++) {
            Map.Entry<String, Entry> before = byBegin.get(i - 1);
            Map.Entry<String, Entry> after = byBegin.get(i);
            if (after.getValue().begin() < before.getValue().end()) {
                throw new CheckpointException(path + ": tensors '" + before.getKey() + "' (data_offsets ["
                        + before.getValue().begin() + ", " + before.getValue().end() + "]) and '" + after.getKey()
                        + "' ([" + after.getValue().begin() + ", " + after.getValue().end()
                        + "]) overlap; each would read the other's bytes");
            }
        }
    }

    public Path path() {
        return path;
    }

    public Map<String, String> metadata() {
        return Collections.unmodifiableMap(metadata);
    }

    @Override
    protected String missing(String name) {
        return "tensor '" + name + "' is missing";
    }

    @Override
    protected String shapeSource() {
        return "config.json";
    }

    @Override
    public NDArray load(String name, NDManager manager, long[] expected) {
        Entry e = checkedEntry(name, expected);
        TensorDtype type = readableType(name, e);
        try {
            return NonFiniteCheck.requireFinite(reader.read(type, e.shape(), e.begin(), manager), path, name);
        } catch (IOException ex) {
            throw new CheckpointException(path + ": cannot read tensor '" + name + "' (" + ex.getMessage() + ")", ex);
        }
    }

    /**
     * The float type a tensor is read as. Checked here, not when the file opens, so that buffers the
     * loader never reads (BOOL causal masks) do not stop a checkpoint from loading.
     */
    private TensorDtype readableType(String name, Entry e) {
        if (e.dtype().readable() == null) {
            throw new CheckpointException(path + ": tensor '" + name + "' has dtype " + e.dtype()
                    + ", which circuitscope cannot read as weights (it reads F32, F16 and BF16)");
        }
        return e.dtype().readable();
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a read-only channel cannot lose data
        }
    }
}
