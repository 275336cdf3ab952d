package io.circuitscope.core.io;

import io.circuitscope.core.model.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;

/**
 * Refuses to load a model that cannot fit, before any weight is read: the estimate is the parameter
 * count (from the tensor shapes, at least what the config implies) times 4 bytes, since every
 * weight is computed in float32, plus a margin; the memory available is {@code MemAvailable} of
 * {@code /proc/meminfo} (JVM heap settings do not matter: weights live in native memory), or the
 * {@value #LIMIT_PROPERTY} system property / {@value #LIMIT_ENV} environment variable when set.
 * Where neither is known the check is skipped.
 */
public final class MemoryCheck {
    public static final String LIMIT_PROPERTY = "circuitscope.memoryLimitBytes";
    public static final String LIMIT_ENV = "CIRCUITSCOPE_MEMORY_LIMIT_BYTES";
    /** Relative margin for activations, temporaries while widening F16/BF16 tensors, allocator slack. */
    static final double MARGIN_FACTOR = 1.15;
    /** Fixed margin for the runtime itself. */
    static final long MARGIN_BYTES = 128L << 20;
    private static final double GIB = 1024.0 * 1024 * 1024;

    /** Memory available to the model and where that figure comes from. */
    public record Available(long bytes, String source) {
    }

    /** The estimate: parameters, and the bytes they need with the margin. */
    public record Estimate(long parameters, long bytes) {
    }

    private MemoryCheck() {
    }

    /** Parameters from the stored shapes (constant buffers such as GPT-2's causal masks excluded), at least the config's count. */
    public static Estimate estimate(ModelConfig config, TensorSource source) {
        long fromShapes = 0;
        if (source != null) {
            for (String name : source.names()) {
                if (isBuffer(name)) {
                    continue;
                }
                long n = 1;
                for (long d : source.shape(name)) {
                    n *= d;
                }
                fromShapes += n;
            }
        }
        long params = Math.max(fromShapes, config.parameterCount(true));
        long bytes = (long) (params * 4.0 * MARGIN_FACTOR) + MARGIN_BYTES;
        return new Estimate(params, bytes);
    }

    private static boolean isBuffer(String name) {
        return name.endsWith(".attn.bias") || name.endsWith(".attn.masked_bias") || name.endsWith("inv_freq")
                || name.endsWith(".masked_bias");
    }

    /** The override if set, else MemAvailable from /proc/meminfo, else empty (unknown). */
    public static java.util.Optional<Available> available() {
        String override = System.getProperty(LIMIT_PROPERTY);
        String origin = "-D" + LIMIT_PROPERTY;
        if (override == null || override.isBlank()) {
            override = System.getenv(LIMIT_ENV);
            origin = LIMIT_ENV;
        }
        if (override != null && !override.isBlank()) {
            try {
                return java.util.Optional.of(new Available(Long.parseLong(override.trim()), origin));
            } catch (NumberFormatException e) {
                throw new CheckpointException(origin + " must be a number of bytes, got '" + override + "'");
            }
        }
        OptionalLong meminfo = memAvailable(Path.of("/proc/meminfo"));
        return meminfo.isPresent()
                ? java.util.Optional.of(new Available(meminfo.getAsLong(), "MemAvailable in /proc/meminfo"))
                : java.util.Optional.empty();
    }

    /** MemAvailable of a meminfo file, in bytes. */
    static OptionalLong memAvailable(Path meminfo) {
        try {
            if (!Files.isReadable(meminfo)) {
                return OptionalLong.empty();
            }
            List<String> lines = Files.readAllLines(meminfo);
            for (String line : lines) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.substring("MemAvailable:".length()).trim().split("\\s+");
                    long value = Long.parseLong(parts[0]);
                    boolean kb = parts.length > 1 && parts[1].equalsIgnoreCase("kB");
                    return OptionalLong.of(kb ? value * 1024 : value);
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: the check is skipped
        }
        return OptionalLong.empty();
    }

    /** Throws a {@link CheckpointException} naming needed vs available GiB when the model cannot fit. */
    public static void check(Path model, ModelConfig config, TensorSource source) {
        java.util.Optional<Available> available = available();
        if (available.isEmpty()) {
            return;
        }
        Estimate estimate = estimate(config, source);
        Available a = available.get();
        if (estimate.bytes() > a.bytes()) {
            throw new CheckpointException(String.format(Locale.ROOT,
                    "%s: not enough memory to load this model: it needs about %.2f GiB (%,d parameters x 4 bytes as"
                            + " float32, plus margin) but only %.2f GiB is available (%s); free memory or use a smaller"
                            + " model (-D%s=BYTES overrides the available figure)",
                    model, estimate.bytes() / GIB, estimate.parameters(), a.bytes() / GIB, a.source(), LIMIT_PROPERTY));
        }
    }
}
