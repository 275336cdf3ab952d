package io.circuitscope.core.io;

import io.circuitscope.core.io.hub.HubCache;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Locale;
import java.util.TreeSet;

/**
 * What a local model's results depend on: the SHA-256 of the files the loader reads (a llama2.c file itself; of a
 * model folder its config.json, tokenizer files and safetensors weights). A model rewritten in place (train-toy
 * again with another seed) keeps its path, so the path alone cannot tell a finished run's model from today's.
 */
public final class ModelFingerprint {
    /** The files of a model folder read besides the weights (ModelLoader, BosToken). */
    private static final List<String> FOLDER_FILES = List.of("config.json", "tokenizer.json", "tokenizer_config.json");

    /** Digests by path and {@link #stat}, so one process hashes the same unchanged weights once. */
    private static final Map<String, String> DIGESTS = new ConcurrentHashMap<>();

    private ModelFingerprint() {
    }

    /**
     * What circuit.json's model block records of a model loaded from {@code source}: its absolute path and, for a
     * Hugging Face cache snapshot, the commit it is (its folder name), else the SHA-256 of its files
     * ({@link #sha256}), so a model rewritten in place, same config and all, gives other provenance.
     */
    public static Map<String, Object> provenance(Path source) {
        Path path = source.toAbsolutePath().normalize();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("path", path.toString());
        if (isHubSnapshot(path)) {
            out.put("hub_commit", path.getFileName().toString());
            return out;
        }
        try {
            List<Path> files = files(path);
            String key = path + "\n" + stat(path, files);
            String sha = DIGESTS.get(key);
            if (sha == null) {
                sha = sha256(path, files);
                DIGESTS.put(key, sha);
            }
            out.put("files_sha256", sha);
        } catch (IOException e) {
            out.put("files_sha256", "unreadable: " + path + ": " + ReadErrors.describe(e));
        }
        return out;
    }

    /** Whether {@code path} is a Hugging Face cache snapshot: {@code models--ORG--NAME/snapshots/<commit>}. */
    private static boolean isHubSnapshot(Path path) {
        Path snapshots = path.getParent();
        Path repo = snapshots == null ? null : snapshots.getParent();
        return repo != null && repo.getFileName() != null && snapshots.getFileName().toString().equals("snapshots")
                && repo.getFileName().toString().startsWith("models--");
    }

    /** The files the loader reads for {@code model}, in name order; those absent are left out, as the loader does. */
    public static List<Path> files(Path model) {
        if (!Files.isDirectory(model)) {
            return List.of(model);
        }
        TreeSet<String> names = new TreeSet<>();
        FOLDER_FILES.stream().filter(n -> Files.isRegularFile(model.resolve(n))).forEach(names::add);
        Path index = model.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(model.resolve("model.safetensors"))) {
            names.add("model.safetensors");
        } else if (Files.isRegularFile(index)) {
            names.add(index.getFileName().toString());
            try {
                names.addAll(HubCache.shardNames(index));
            } catch (CheckpointException e) {
                // the index alone then: loading the model reports what is wrong with it
            }
        }
        return names.stream().map(model::resolve).toList();
    }

    /**
     * Each file's name, size and modification time: while these are unchanged the files are taken as unchanged, so
     * a resumed batch reuses the digest the manifest holds instead of reading gigabytes of weights again.
     */
    public static String stat(Path model, List<Path> files) throws IOException {
        List<String> parts = new ArrayList<>();
        for (Path f : files) {
            parts.add(String.format(Locale.ROOT, "%s %d %s", name(model, f), Files.size(f), Files.getLastModifiedTime(f)));
        }
        return String.join("; ", parts);
    }

    /** One file's SHA-256; of a folder's files the SHA-256 of their sha256sum listing ("HEX  NAME" lines). */
    public static String sha256(Path model, List<Path> files) throws IOException {
        if (files.size() == 1 && files.get(0).equals(model)) {
            return hex(fileDigest(model));
        }
        StringBuilder listing = new StringBuilder();
        for (Path f : files) {
            listing.append(hex(fileDigest(f))).append("  ").append(name(model, f)).append('\n');
        }
        return hex(sha256().digest(listing.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static String name(Path model, Path file) {
        return file.equals(model) ? file.getFileName().toString() : model.relativize(file).toString();
    }

    /** Read in blocks: weights can be larger than the heap. */
    private static byte[] fileDigest(Path file) throws IOException {
        MessageDigest md = sha256();
        byte[] block = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(block)) > 0;) {
                md.update(block, 0, n);
            }
        }
        return md.digest();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    private static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}
