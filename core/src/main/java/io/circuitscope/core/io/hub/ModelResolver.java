package io.circuitscope.core.io.hub;

import io.circuitscope.core.io.CheckpointException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Turns what a user passes as {@code --model} into a local path: an existing directory or file wins;
 * otherwise a hub id {@code ORG/NAME[@revision]} is taken from the Hugging Face cache, or downloaded
 * into it (unless offline).
 */
public final class ModelResolver {
    private final HubEnvironment env;
    private final HubCache cache;
    private final Backoff backoff;

    public ModelResolver(HubEnvironment env) {
        this(env, Backoff.standard());
    }

    /** With the pauses between attempts of a request chosen by the caller (tests). */
    ModelResolver(HubEnvironment env, Backoff backoff) {
        this.env = env;
        this.cache = new HubCache(env.cacheDir());
        this.backoff = backoff;
    }

    /** With the process environment (HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE). */
    public static ModelResolver system() {
        return new ModelResolver(HubEnvironment.system());
    }

    public HubEnvironment environment() {
        return env;
    }

    public HubCache cache() {
        return cache;
    }

    public Path resolve(String model) {
        if (model == null || model.isBlank()) {
            throw new CheckpointException("no model given: pass a model directory, a llama2.c .bin file or a hub id"
                    + " such as openai-community/gpt2");
        }
        Optional<Path> local = localPath(model);
        if (local.isPresent() && Files.exists(local.get())) {
            return local.get();
        }
        return resolveHubId(model);
    }

    /**
     * A hub id, taken from the cache or downloaded, never a local path of the same name: for callers that resolved
     * their local paths already (a batch plan, against its own folder, not the working directory).
     */
    public Path resolveHubId(String model) {
        Optional<HubId> parsed = HubId.parse(model);
        if (parsed.isEmpty()) {
            if (model.matches("[^/@]+/[^/@]+\\.(bin|safetensors|json)")) { // the form of an id, a file's name
                throw new CheckpointException(model + ": no such model file (a name ending in .bin, .safetensors or"
                        + " .json is a file, never a hub id)");
            }
            throw new CheckpointException(model + ": no such model directory or file (hub ids have the form"
                    + " ORG/NAME or ORG/NAME@revision)");
        }
        HubId id = parsed.get();
        Optional<Path> cached = cache.completeSnapshot(id);
        if (cached.isPresent()) {
            return env.offline() ? cached.get() : withOptionalFiles(id, cached.get());
        }
        if (env.offline()) {
            throw notAvailable(id, "HF_HUB_OFFLINE is set, so nothing is downloaded");
        }
        try {
            return new HubDownloader(env, cache, id, backoff).download();
        } catch (HubDownloader.Unreachable e) {
            throw new CheckpointException(notAvailable(id, "downloading failed: " + e.getMessage()).getMessage(), e);
        }
    }

    /**
     * A cached snapshot can lack the tokenizer (transformers' AutoModel alone caches none): the files the hub was
     * never asked for are fetched at the snapshot's commit. Failing that, the model still loads from the cache.
     */
    private Path withOptionalFiles(HubId id, Path snapshot) {
        String commit = snapshot.getFileName().toString();
        if (!HubId.isCommitHash(commit) || cache.unaskedOptionalFiles(id, commit).isEmpty()) {
            return snapshot;
        }
        try {
            new HubDownloader(env, cache, id, backoff).completeOptionalFiles(commit);
        } catch (HubDownloader.Unreachable | CheckpointException e) {
            if (env.progress() != null) {
                env.progress().println("note: " + id + ": cannot fetch " + String.join(", ",
                        cache.unaskedOptionalFiles(id, commit)) + " into the cached snapshot " + snapshot + " ("
                        + e.getMessage() + "); loading the model without them");
            }
        }
        return snapshot;
    }

    private static Optional<Path> localPath(String model) {
        String p = model;
        if (p.equals("~") || p.startsWith("~/")) {
            p = System.getProperty("user.home") + p.substring(1);
        }
        try {
            return Optional.of(Path.of(p));
        } catch (InvalidPathException e) {
            return Optional.empty();
        }
    }

    /** The id is neither a local path nor (completely) in the cache: say where the files would have to go. */
    CheckpointException notAvailable(HubId id, String reason) {
        Path repo = cache.repoDir(id);
        Optional<String> commit = Optional.empty();
        try {
            commit = cache.commit(id);
        } catch (CheckpointException ignored) {
            // an unreadable ref is reported as absent
        }
        StringBuilder sb = new StringBuilder();
        sb.append("model '").append(id).append("' is not a local path and is not in the Hugging Face cache at ")
                .append(cache.root()).append(", and ").append(reason).append(". ");
        if (commit.isPresent()) {
            Path snapshot = cache.snapshotDir(id, commit.get());
            List<String> missing = HubCache.missingFiles(snapshot);
            sb.append("The cached snapshot ").append(snapshot).append(" lacks ").append(String.join(", ", missing))
                    .append("; put them there");
        } else {
            sb.append("Put config.json and model.safetensors (or the shards and model.safetensors.index.json;")
                    .append(" tokenizer.json optional) in ").append(repo.resolve("snapshots").resolve("<commit>"))
                    .append(" and write <commit> into ").append(cache.refFile(id));
        }
        sb.append(", or give a local model directory instead (HF_HUB_CACHE or HF_HOME choose the cache)");
        return new CheckpointException(sb.toString());
    }
}
