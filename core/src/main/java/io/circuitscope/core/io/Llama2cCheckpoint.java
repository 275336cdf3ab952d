package io.circuitscope.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A llama2.c checkpoint ({@code .bin}, the legacy version-0 export of Karpathy's llama2.c): a
 * header of 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len; a positive vocab_size means the classifier shares the token embedding) followed by
 * float32 arrays. The arrays are exposed under Hugging Face Llama names, unpermuted, and
 * {@link #config()} describes the model as a Llama config with consecutive-pair rotary, theta
 * 10000 and RMSNorm eps 1e-5, so it loads through the same code path as Hugging Face Llama.
 *
 * <p>The file is never read whole into the Java heap: each tensor is memory mapped when loaded.
 */
public final class Llama2cCheckpoint extends IndexedTensorFile<Llama2cCheckpoint.Entry> {
    private static final int HEADER_BYTES = 28;
    private static final int MAGIC_AK42 = 0x616b3432;

    record Entry(long offset, long[] shape) implements IndexedTensorFile.Indexed {
        long bytes() {
            long n = 4;
            for (long s : shape) {
                n *= s;
            }
            return n;
        }
    }

    private final FileChannel channel;
    private final ConfigReader config;

    private Llama2cCheckpoint(Path path, FileChannel channel, Map<String, Entry> entries, ConfigReader config) {
        super(path, entries);
        this.channel = channel;
        this.config = config;
    }

    public static Llama2cCheckpoint open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new CheckpointException(path + ": cannot open llama2.c checkpoint (" + e.getMessage() + ")", e);
        }
        try {
            return parse(path, channel);
        } catch (IOException e) {
            close(channel);
            throw new CheckpointException(path + ": cannot read llama2.c checkpoint (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            close(channel);
            throw e;
        }
    }

    private static Llama2cCheckpoint parse(Path path, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size < HEADER_BYTES) {
            throw new CheckpointException(path + ": llama2.c checkpoint of " + size
                    + " bytes is shorter than its 28-byte header (7 int32: dim, hidden_dim, n_layers, n_heads, "
                    + "n_kv_heads, vocab_size, seq_len)");
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        while (header.hasRemaining()) {
            if (channel.read(header, header.position()) < 0) {
                break;
            }
        }
        header.flip();
        if (header.getInt(0) == MAGIC_AK42) {
            throw new CheckpointException(path + ": llama2.c version-1/2 export (magic 'ak42') is not supported; "
                    + "export with the legacy version-0 format");
        }
        int[] h = new int[7];
        for (int i = 0; i < 7; i++) {
            h[i] = header.getInt();
        }
        int dim = h[0];
        int hidden = h[1];
        int layers = h[2];
        int heads = h[3];
        int kvHeads = h[4];
        int vocabRaw = h[5];
        int seqLen = h[6];
        boolean shared = vocabRaw > 0;
        long vocabLong = Math.abs((long) vocabRaw); // -2^31 has no int absolute value
        if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || vocabLong == 0 || seqLen <= 0
                || dim % heads != 0 || heads % kvHeads != 0) {
            throw new CheckpointException(path + ": implausible llama2.c header [dim, hidden_dim, n_layers, n_heads, "
                    + "n_kv_heads, vocab_size, seq_len] = " + Arrays.toString(h)
                    + " (all must be positive, dim divisible by n_heads, n_heads by n_kv_heads); a PyTorch "
                    + "pytorch_model.bin is not a llama2.c file: convert it to safetensors");
        }
        long headSize = dim / heads;
        long kvDim = (long) dim * kvHeads / heads;
        long d = dim;
        long m = hidden;
        // The size the header implies, checked before any entry is made: a corrupt header (a billion layers, a
        // dimension of 2^30) implies more bytes than a long holds, or more entries than fit in memory.
        BigInteger bd = BigInteger.valueOf(d);
        BigInteger layerFloats = bd.multiply(BigInteger.valueOf(2 + 2 * d + 2 * kvDim + 3 * m));
        BigInteger floats = BigInteger.valueOf(vocabLong).multiply(bd).multiply(BigInteger.valueOf(shared ? 1 : 2))
                .add(BigInteger.valueOf(layers).multiply(layerFloats))
                .add(bd)
                .add(BigInteger.valueOf(2L * seqLen * (headSize / 2)));
        BigInteger implied = floats.shiftLeft(2).add(BigInteger.valueOf(HEADER_BYTES));
        if (!implied.equals(BigInteger.valueOf(size))) {
            throw new CheckpointException(path + ": llama2.c checkpoint has " + size + " bytes but its header "
                    + Arrays.toString(h) + " implies " + implied + " bytes"
                    + (implied.compareTo(BigInteger.valueOf(size)) > 0
                            ? " (truncated file)" : " (trailing data; not a version-0 llama2.c export?)"));
        }
        int vocab = (int) vocabLong;

        Map<String, Entry> entries = new LinkedHashMap<>();
        long[] cursor = {HEADER_BYTES};
        entries.put("model.embed_tokens.weight", next(cursor, vocab, d));
        String[][] perLayer = {
            {"input_layernorm.weight"}, {"self_attn.q_proj.weight"}, {"self_attn.k_proj.weight"},
            {"self_attn.v_proj.weight"}, {"self_attn.o_proj.weight"}, {"post_attention_layernorm.weight"},
            {"mlp.gate_proj.weight"}, {"mlp.down_proj.weight"}, {"mlp.up_proj.weight"}};
        long[][] shapes = {{d}, {d, d}, {kvDim, d}, {kvDim, d}, {d, d}, {d}, {m, d}, {d, m}, {m, d}};
        for (int a = 0; a < perLayer.length; a++) {
            for (int l = 0; l < layers; l++) {
                entries.put("model.layers." + l + "." + perLayer[a][0], next(cursor, shapes[a]));
            }
        }
        entries.put("model.norm.weight", next(cursor, d));
        cursor[0] += 4L * 2 * seqLen * (headSize / 2); // legacy freq_cis_real / freq_cis_imag, skipped
        if (!shared) {
            entries.put("lm_head.weight", next(cursor, vocab, d));
        }

        ObjectNode c = new ObjectMapper().createObjectNode();
        c.put("model_type", "llama");
        c.put("hidden_size", dim);
        c.put("intermediate_size", hidden);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", kvHeads);
        c.put("head_dim", headSize);
        c.put("vocab_size", vocab);
        c.put("max_position_embeddings", seqLen);
        c.put("rms_norm_eps", 1e-5);
        c.put("rope_theta", 10000.0);
        c.put("hidden_act", "silu");
        c.put("tie_word_embeddings", shared);
        c.put("circuitscope_rope_style", "consecutive_pairs");
        return new Llama2cCheckpoint(path, channel, Collections.unmodifiableMap(entries), new ConfigReader(path, c));
    }

    private static Entry next(long[] cursor, long... shape) {
        Entry e = new Entry(cursor[0], shape);
        cursor[0] += e.bytes();
        return e;
    }

    /** The header as a Llama config.json (errors name the .bin file). */
    public ConfigReader config() {
        return config;
    }

    public Path path() {
        return path;
    }

    @Override
    protected String missing(String name) {
        return "llama2.c checkpoint has no tensor '" + name + "'";
    }

    @Override
    protected String shapeSource() {
        return "the config";
    }

    @Override
    public NDArray load(String name, NDManager manager, long[] expected) {
        Entry e = checkedEntry(name, expected);
        if (e.bytes() > Integer.MAX_VALUE) {
            throw new CheckpointException(path + ": tensor '" + name + "' is larger than 2 GiB");
        }
        try {
            ByteBuffer bytes = channel.map(FileChannel.MapMode.READ_ONLY, e.offset(), e.bytes())
                    .order(ByteOrder.LITTLE_ENDIAN);
            NDArray raw = manager.create(bytes, new Shape(e.shape()), DataType.FLOAT32);
            // Copy out of the mapping so the tensor does not depend on the file staying open.
            NDArray copy = raw.duplicate();
            raw.close();
            return NonFiniteCheck.requireFinite(copy, path, name);
        } catch (IOException ex) {
            throw new CheckpointException(path + ": cannot read tensor '" + name + "' (" + ex.getMessage() + ")", ex);
        }
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        close(channel);
    }

    private static void close(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException ignored) {
            // read-only
        }
    }
}
