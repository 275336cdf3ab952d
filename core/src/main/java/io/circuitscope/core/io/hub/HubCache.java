package io.circuitscope.core.io.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.JsonSyntax;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The Hugging Face hub cache layout, shared with {@code huggingface_hub}:
 * {@code models--ORG--NAME/refs/<revision>} holds a commit hash, {@code snapshots/<commit>/<file>}
 * are the files (usually symlinks to {@code ../../blobs/<etag>}), {@code blobs/<etag>} the contents.
 */
public final class HubCache {
    /**
     * Files a model loads without, fetched when the repository has them: the tokenizer, and the BOS token
     * prompts begin with (BosToken reads tokenizer_config.json).
     */
    public static final List<String> OPTIONAL_FILES = List.of("tokenizer.json", "tokenizer_config.json");

    private final Path root;

    public HubCache(Path root) {
        this.root = root;
    }

    public Path root() {
        return root;
    }

    public Path repoDir(HubId id) {
        return root.resolve(id.cacheFolder());
    }

    /**
     * {@code refs/<revision>}: a revision with '/' nests in subfolders ({@code refs/refs/pr/1}) as huggingface_hub
     * stores it; one that would resolve outside refs/ is refused.
     */
    public Path refFile(HubId id) {
        Path refs = repoDir(id).resolve("refs").normalize();
        Path ref = refs.resolve(id.revision()).normalize();
        if (!ref.startsWith(refs) || ref.equals(refs)) {
            throw new CheckpointException(id.repo() + ": revision '" + id.revision() + "' would name a ref outside "
                    + refs + "; it is not a valid branch, tag or commit");
        }
        return ref;
    }

    public Path snapshotDir(HubId id, String commit) {
        return repoDir(id).resolve("snapshots").resolve(commit);
    }

    public Path blob(HubId id, String etag) {
        return repoDir(id).resolve("blobs").resolve(etag);
    }

    public Path incomplete(HubId id, String etag) {
        return repoDir(id).resolve("blobs").resolve(etag + ".incomplete");
    }

    /** {@code .no_exist/<commit>/<file>}: huggingface_hub's marker that the hub answered 404 for the file. */
    public Path noExist(HubId id, String commit, String file) {
        return repoDir(id).resolve(".no_exist").resolve(commit).resolve(file);
    }

    public void markAbsent(HubId id, String commit, String file) throws IOException {
        Path marker = noExist(id, commit, file);
        Files.createDirectories(marker.getParent());
        if (!Files.exists(marker)) {
            Files.createFile(marker);
        }
    }

    /** The optional files snapshot {@code commit} lacks and the hub was never asked for (no .no_exist marker). */
    public List<String> unaskedOptionalFiles(HubId id, String commit) {
        Path snapshot = snapshotDir(id, commit);
        return OPTIONAL_FILES.stream().filter(f -> !Files.isRegularFile(snapshot.resolve(f)))
                .filter(f -> !Files.exists(noExist(id, commit, f))).toList();
    }

    /**
     * Why {@code file} is missing from {@code dir} and how to get it, when {@code dir} is a snapshot in this
     * layout ({@code models--ORG--NAME/snapshots/<commit>}); empty for any other directory.
     */
    public static Optional<String> missingFileHint(Path dir, String file) {
        Path snapshots = dir == null ? null : dir.toAbsolutePath().getParent();
        Path repoDir = snapshots == null ? null : snapshots.getParent();
        if (repoDir == null || repoDir.getFileName() == null
                || !snapshots.getFileName().toString().equals("snapshots")
                || !repoDir.getFileName().toString().startsWith("models--")) {
            return Optional.empty();
        }
        String repo = repoDir.getFileName().toString().substring("models--".length()).replaceFirst("--", "/");
        String commit = dir.getFileName().toString();
        if (Files.exists(repoDir.resolve(".no_exist").resolve(commit).resolve(file))) {
            return Optional.of(repo + " has no " + file + " at commit " + commit + " (the hub answered 404)");
        }
        return Optional.of(file + " is not in this Hugging Face cache snapshot (a cache filled by transformers'"
                + " AutoModel alone lacks it): run once without HF_HUB_OFFLINE to fetch it, or run 'hf download "
                + repo + " " + file + " --revision " + commit + "'");
    }

    /** The commit the id's revision points at in the cache: the revision itself when it is a commit hash, else refs/. */
    public Optional<String> commit(HubId id) {
        if (id.revisionIsCommit() && Files.isDirectory(snapshotDir(id, id.revision()))) {
            return Optional.of(id.revision());
        }
        Path ref = refFile(id);
        if (!Files.isRegularFile(ref)) {
            return id.revisionIsCommit() ? Optional.of(id.revision()) : Optional.empty();
        }
        try {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).trim();
            // a control character (a NUL a damaged disk left) made the snapshot path Java's bare InvalidPathException
            if (commit.isEmpty() || commit.contains("/") || commit.contains("\\") || commit.startsWith(".")
                    || commit.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
                throw new CheckpointException(ref + ": does not hold a commit hash");
            }
            return Optional.of(commit);
        } catch (IOException e) { // ReadErrors: a ref that is not UTF-8 said "cannot read (Input length = 1)"
            throw new CheckpointException(ref + ": cannot read: " + io.circuitscope.core.io.ReadErrors.describe(e), e);
        }
    }

    /** The cached snapshot of {@code id} when it holds a complete model. */
    public Optional<Path> completeSnapshot(HubId id) {
        return commit(id).map(c -> snapshotDir(id, c)).filter(dir -> missingFiles(dir).isEmpty());
    }

    /** What a model directory lacks: empty when config.json and all safetensors weights are present. */
    public static List<String> missingFiles(Path dir) {
        List<String> missing = new ArrayList<>();
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            missing.add("config.json");
        }
        if (Files.isRegularFile(dir.resolve("model.safetensors"))) {
            return missing;
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) {
            missing.add("model.safetensors (or model.safetensors.index.json and its shards)");
            return missing;
        }
        try {
            for (String shard : shardNames(index)) {
                if (!Files.isRegularFile(dir.resolve(shard))) {
                    missing.add(shard);
                }
            }
        } catch (CheckpointException e) {
            missing.add("a readable model.safetensors.index.json");
        }
        return missing;
    }

    /** The distinct shard file names of a model.safetensors.index.json's weight_map. */
    public static Set<String> shardNames(Path index) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(JsonSyntax.withoutByteOrderMark(Files.readString(index)));
        } catch (IOException e) {
            throw new CheckpointException(index + ": cannot read shard index: "
                    + io.circuitscope.core.io.ReadErrors.describe(e), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new CheckpointException(index + ": field 'weight_map' is missing or not an object");
        }
        Set<String> shards = new LinkedHashSet<>();
        map.fields().forEachRemaining(e -> shards.add(e.getValue().asText()));
        for (String shard : shards) {
            if (shard.isEmpty() || shard.startsWith("/") || shard.contains("..") || shard.contains("\\")) {
                throw new CheckpointException(index + ": weight_map names an unsafe shard path '" + shard + "'");
            }
        }
        return shards;
    }

    /** Points {@code snapshots/<commit>/<file>} at the blob: a relative symlink, or a copy where links are not allowed. */
    public Path link(HubId id, String commit, String file, Path blob) throws IOException {
        Path entry = snapshotDir(id, commit).resolve(file);
        Files.createDirectories(entry.getParent());
        Files.deleteIfExists(entry);
        try {
            Files.createSymbolicLink(entry, entry.getParent().relativize(blob));
        } catch (UnsupportedOperationException | IOException e) {
            Files.copy(blob, entry, StandardCopyOption.REPLACE_EXISTING);
        }
        return entry;
    }

    /** Writes refs/<revision> (not for commit-hash revisions, which need no ref). */
    public void writeRef(HubId id, String commit) throws IOException {
        if (id.revisionIsCommit() && id.revision().equals(commit)) {
            return;
        }
        Path ref = refFile(id);
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
