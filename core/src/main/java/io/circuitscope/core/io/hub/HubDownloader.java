package io.circuitscope.core.io.hub;

import io.circuitscope.core.io.CheckpointException;
import io.circuitscope.core.io.hub.HubHttp.TransientHttp;
import io.circuitscope.core.io.hub.HubHttp.UnreachableIo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Downloads one revision of a hub model into the {@link HubCache} layout: for each file a HEAD
 * request (commit, ETag, size; the LFS redirect is not followed), then a GET of the contents into
 * {@code blobs/<etag>.incomplete}, resumed with an HTTP Range request after an interruption, checked
 * against the sha256 the ETag carries for LFS files, moved to {@code blobs/<etag>} and linked from
 * {@code snapshots/<commit>/<file>}; {@code refs/<revision>} is written last. A request answered with
 * HTTP 5xx or 429, or cut off, is tried again after a {@link Backoff} pause, up to {@value #ATTEMPTS} times.
 */
final class HubDownloader {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-fA-F]{40}");
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");
    private static final int ATTEMPTS = 5;
    private static final int MAX_REDIRECTS = 8;

    /** The endpoint could not be reached at all: the caller reports the id as not available locally. */
    static final class Unreachable extends Exception {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What the HEAD request said about a file. */
    record Remote(String file, URL url, String etag, long size, String commit) {
    }

    private final HubEnvironment env;
    private final HubCache cache;
    private final HubId id;
    private final HubHttp http;
    private final Backoff backoff;

    HubDownloader(HubEnvironment env, HubCache cache, HubId id, Backoff backoff) {
        this.env = env;
        this.cache = cache;
        this.id = id;
        this.http = new HubHttp(env);
        this.backoff = backoff;
    }

    /** Downloads what the snapshot lacks and returns the snapshot directory. */
    Path download() throws Unreachable {
        return withCacheErrors(() -> {
            Remote config = head("config.json", false, id.revision());
            // Everything else by the commit config.json resolved to: a branch that moves meanwhile
            // cannot mix two commits in one snapshot (huggingface_hub's snapshot_download does the same).
            String commit = config.commit();
            Path snapshot = cache.snapshotDir(id, commit);
            fetch(config, commit);
            fetchOptionalFiles(commit);
            fetchWeights(snapshot, commit);
            cache.writeRef(id, commit);
            return snapshot;
        });
    }

    /** The optional files (tokenizer) snapshot {@code commit} lacks, for a snapshot already in the cache. */
    void completeOptionalFiles(String commit) throws Unreachable {
        withCacheErrors(() -> {
            fetchOptionalFiles(commit);
            return null;
        });
    }

    private interface CacheWork<T> {
        T run() throws IOException;
    }

    private <T> T withCacheErrors(CacheWork<T> work) throws Unreachable {
        try {
            return work.run();
        } catch (UnreachableIo e) {
            throw new Unreachable(e.getMessage(), e.getCause());
        } catch (IOException e) {
            throw new CheckpointException(id + ": cannot write the Hugging Face cache under " + cache.repoDir(id)
                    + " (" + e.getMessage() + ")", e);
        }
    }

    /**
     * Each optional file the snapshot lacks, when the repository has it. A 404 is remembered in .no_exist/ as
     * huggingface_hub does, so the next run does not ask again.
     */
    private void fetchOptionalFiles(String commit) throws IOException {
        for (String file : cache.unaskedOptionalFiles(id, commit)) {
            Remote remote = head(file, true, commit);
            if (remote != null) {
                fetch(remote, commit);
            } else {
                cache.markAbsent(id, commit, file);
            }
        }
    }

    /** model.safetensors, else model.safetensors.index.json and its shards. */
    private void fetchWeights(Path snapshot, String commit) throws IOException {
        if (Files.isRegularFile(snapshot.resolve("model.safetensors"))) {
            return;
        }
        Path index = snapshot.resolve("model.safetensors.index.json");
        if (!Files.isRegularFile(index)) {
            Remote single = head("model.safetensors", true, commit);
            if (single != null) {
                fetch(single, commit);
                return;
            }
            Remote indexRemote = head("model.safetensors.index.json", true, commit);
            if (indexRemote == null) {
                throw new CheckpointException(id + ": " + env.endpoint() + " has neither model.safetensors"
                        + " nor model.safetensors.index.json at revision " + id.revision() + " (commit " + commit
                        + "); circuitscope reads safetensors weights only (convert pytorch_model.bin with"
                        + " safetensors' convert script, then pass the directory)");
            }
            fetch(indexRemote, commit);
        }
        for (String shard : HubCache.shardNames(index)) {
            if (!Files.isRegularFile(snapshot.resolve(shard))) {
                fetch(head(shard, false, commit), commit);
            }
        }
    }

    /** The resolve URL of {@code file} at {@code revision} (a branch, tag or commit). */
    URL fileUrl(String file, String revision) {
        String base = env.endpoint().toString();
        // The revision is one path segment, its '/' encoded as huggingface_hub does (quote(revision, safe="")):
        // refs/pr/1 must not read as revision "refs" and file "pr/1/config.json".
        return toUrl(URI.create(base + "/" + id.repo() + "/resolve/" + encodeSegment(revision) + "/"
                + encodePath(file)));
    }

    private static URL toUrl(URI uri) {
        try {
            return uri.toURL();
        } catch (java.net.MalformedURLException e) {
            throw new CheckpointException(uri + ": not a valid URL (" + e.getMessage() + ")", e);
        }
    }

    /** Each '/'-separated part percent-encoded, the slashes kept. */
    private static String encodePath(String s) {
        StringBuilder sb = new StringBuilder();
        for (String part : s.split("/", -1)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(encodeSegment(part));
        }
        return sb.toString();
    }

    /** Percent-encoded as one path segment, '/' included. */
    private static String encodeSegment(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * The file's commit, ETag and size at {@code revision}; null when {@code optional} and the file does not exist.
     * Transient failures are tried again.
     */
    Remote head(String file, boolean optional, String revision) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return headOnce(file, optional, revision);
            } catch (UnreachableIo e) {
                throw e;
            } catch (IOException e) {
                if (!pausedForAnother(attempt, e)) {
                    throw new CheckpointException(id + " (file " + file + ", revision " + revision + "): "
                            + e.getMessage() + (attempt == 1 ? "" : "; tried " + attempt + " times")
                            + tryLater(e), e);
                }
            }
        }
    }

    /**
     * Whether another attempt follows {@code failure} (attempt number {@code attempt}), after the pause the server
     * asked for (Retry-After) or the backoff's own; false once attempts run out or the asked pause is too long.
     */
    private boolean pausedForAnother(int attempt, IOException failure) {
        return attempt < ATTEMPTS && backoff.pause(attempt, retryAfter(failure));
    }

    private static String retryAfter(IOException failure) {
        return failure instanceof TransientHttp t ? t.retryAfter() : null;
    }

    /** What the server asked, when it asked to wait longer than we do. */
    private static String tryLater(IOException failure) {
        long seconds = Backoff.retryAfterSeconds(retryAfter(failure));
        return seconds > Backoff.MAX_RETRY_AFTER_SECONDS ? "; the server asks to wait " + seconds
                + " s, try again then" : "";
    }

    private Remote headOnce(String file, boolean optional, String revision) throws IOException {
        URL first = fileUrl(file, revision);
        URL url = first;
        String commit = null;
        String linkedEtag = null;
        long linkedSize = -1;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpURLConnection c = http.open(url, "HEAD");
            try {
                int code = http.status(c, url);
                commit = commit != null ? commit : c.getHeaderField("X-Repo-Commit");
                linkedEtag = linkedEtag != null ? linkedEtag : c.getHeaderField("X-Linked-Etag");
                if (linkedSize < 0 && c.getHeaderField("X-Linked-Size") != null) {
                    linkedSize = parseLong(c.getHeaderField("X-Linked-Size"));
                }
                if (code >= 300 && code < 400 && c.getHeaderField("Location") != null) {
                    URL next = new URL(url, c.getHeaderField("Location"));
                    if (linkedEtag != null) {
                        // An LFS file: the redirect points at the storage host; its headers are enough.
                        return remote(file, next, linkedEtag, linkedSize, requireCommit(file, first, commit), url);
                    }
                    url = next;
                    continue;
                }
                if (code == 200) {
                    String etag = linkedEtag != null ? linkedEtag : c.getHeaderField("ETag");
                    long size = linkedSize >= 0 ? linkedSize : c.getContentLengthLong();
                    String resolved = requireCommit(file, first, commit);
                    // GET the contents by commit too, not by the branch that may have moved since the HEAD.
                    return remote(file, hop == 0 ? fileUrl(file, resolved) : url, etag, size, resolved, url);
                }
                if (optional && code == 404 && !"RepoNotFound".equals(c.getHeaderField("X-Error-Code"))
                        && !"RevisionNotFound".equals(c.getHeaderField("X-Error-Code"))) {
                    return null;
                }
                if (HubHttp.isTransient(code)) {
                    throw new TransientHttp(code, url, c.getHeaderField("Retry-After"));
                }
                throw finalError(file, revision, code, c.getHeaderField("X-Error-Code"), url);
            } finally {
                c.disconnect();
            }
        }
        throw new CheckpointException(id + "/" + file + ": more than " + MAX_REDIRECTS + " redirects, the last to "
                + HubHttp.where(url));
    }

    /**
     * The commit X-Repo-Commit names, lowercased. It becomes a directory name in the cache, so anything but
     * 40 hex digits is refused (huggingface_hub refuses a missing one too): no snapshots/main, no ../ paths.
     */
    private String requireCommit(String file, URL url, String header) {
        String what = id + " (file " + file + "): " + url;
        if (header == null || header.isBlank()) {
            throw new CheckpointException(what + " sent no X-Repo-Commit header, so the revision cannot be pinned"
                    + " to a commit (is HF_ENDPOINT a Hugging Face hub, or a proxy that drops headers?)");
        }
        String commit = header.trim();
        if (!COMMIT.matcher(commit).matches()) {
            throw new CheckpointException(what + " sent X-Repo-Commit '" + commit + "', which is not a commit hash"
                    + " (40 hexadecimal digits); nothing was cached under it");
        }
        return commit.toLowerCase(java.util.Locale.ROOT);
    }

    private Remote remote(String file, URL url, String etag, long size, String commit, URL answered) {
        String normalized = normalizeEtag(etag);
        if (normalized == null) {
            throw new CheckpointException(id + "/" + file + ": " + HubHttp.where(answered)
                    + " sent no usable ETag for the file, so it cannot be cached or checked");
        }
        return new Remote(file, url, normalized, size, commit);
    }

    /** The ETag without a weak marker and quotes; null when absent or not usable as a file name. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.trim();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) {
            e = e.substring(1, e.length() - 1);
        }
        if (e.isEmpty() || !e.matches("[A-Za-z0-9._-]+")) {
            return null;
        }
        return e;
    }

    /** A status that another attempt will not change. */
    private CheckpointException finalError(String file, String revision, int code, String errorCode, URL url) {
        String what = id + " (file " + file + ", revision " + revision + ")";
        String hint;
        if ((code == 401 || code == 404) && "RepoNotFound".equals(errorCode)) {
            hint = "no such model: '" + id.repo() + "' is neither a local path nor a repository on " + env.endpoint()
                    + (env.token() == null ? " (if it is private, set HF_TOKEN)" : " that HF_TOKEN can read");
        } else if (code == 401 || code == 403) {
            hint = env.token() == null
                    ? "the repository is private or gated: accept its terms on the hub and set HF_TOKEN"
                    : "HF_TOKEN was sent but does not grant access (gated repository terms not accepted?)";
        } else if (code == 404) {
            hint = "RevisionNotFound".equals(errorCode) ? "no such revision"
                    : "EntryNotFound".equals(errorCode) ? "no such file in the repository"
                    : "no such model: '" + id.repo() + "' is neither a local path nor a repository on " + env.endpoint();
        } else {
            hint = "unexpected answer";
        }
        return new CheckpointException(what + ": HTTP " + code + " from " + HubHttp.where(url) + ": " + hint);
    }

    /** Brings the file into blobs/ (unless already there) and links it from the snapshot. */
    private void fetch(Remote remote, String commit) throws IOException {
        Path blob = cache.blob(id, remote.etag());
        if (!Files.isRegularFile(blob)) {
            Files.createDirectories(blob.getParent());
            // Another process downloading the same blob waits here, then finds it complete. Lock files stay,
            // in .locks/ as huggingface_hub keeps them: deleting one would let a third process lock a new inode.
            Path lockFile = cache.root().resolve(".locks").resolve(id.cacheFolder()).resolve(remote.etag() + ".lock");
            Files.createDirectories(lockFile.getParent());
            try (FileChannel lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = lockChannel.lock()) {
                if (!Files.isRegularFile(blob)) {
                    Path part = cache.incomplete(id, remote.etag());
                    transfer(remote, part);
                    verify(remote, part);
                    Files.move(part, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
        cache.link(id, commit, remote.file(), blob);
    }

    /** Fills {@code part} up to the expected size, resuming with a Range request after each interruption. */
    private void transfer(Remote remote, Path part) throws IOException {
        for (int attempt = 1; ; attempt++) {
            long have = Files.isRegularFile(part) ? Files.size(part) : 0;
            if (remote.size() >= 0 && have > remote.size()) {
                Files.delete(part);
                have = 0;
            }
            if (remote.size() >= 0 && have == remote.size() && have > 0) {
                return;
            }
            IOException failure;
            try {
                if (attempt(remote, part, have)) {
                    return;
                }
                failure = new IOException("the connection closed after " + sizeOf(part) + " of " + remote.size()
                        + " bytes");
            } catch (UnreachableIo e) {
                if (attempt == 1 && have == 0) {
                    throw e;
                }
                failure = e;
            } catch (IOException e) {
                failure = e;
            }
            if (!pausedForAnother(attempt, failure)) {
                long kept = sizeOf(part);
                throw new CheckpointException(id + "/" + remote.file() + ": download failed after " + attempt
                        + (attempt == 1 ? " attempt (" : " attempts (") + failure.getMessage() + ")"
                        + tryLater(failure) + (kept == 0 ? "" : "; " + kept + " bytes are kept in " + part
                        + " and the next run resumes from there"), failure);
            }
        }
    }

    private static long sizeOf(Path part) throws IOException {
        return Files.isRegularFile(part) ? Files.size(part) : 0;
    }

    /** One GET; true when the file is complete. */
    private boolean attempt(Remote remote, Path part, long have) throws IOException {
        URL url = remote.url();
        HttpURLConnection c = null;
        int code = -1;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            c = http.open(url, "GET");
            if (have > 0) {
                c.setRequestProperty("Range", "bytes=" + have + "-");
            }
            code = http.status(c, url);
            if (code >= 300 && code < 400 && c.getHeaderField("Location") != null) {
                url = new URL(url, c.getHeaderField("Location"));
                c.disconnect();
                continue;
            }
            break;
        }
        try {
            boolean append;
            if (code == 206) {
                Matcher m = CONTENT_RANGE.matcher(String.valueOf(c.getHeaderField("Content-Range")));
                append = m.matches() && Long.parseLong(m.group(1)) == have;
                if (!append) {
                    // A range we did not ask for: start over rather than splice.
                    Files.deleteIfExists(part);
                    return false;
                }
            } else if (code == 200) {
                append = false;
                have = 0;
            } else if (code == 416 && remote.size() >= 0 && have == remote.size()) {
                return true;
            } else if (code == 416) {
                Files.deleteIfExists(part);
                return false;
            } else {
                if (HubHttp.isTransient(code)) {
                    throw new TransientHttp(code, url, c.getHeaderField("Retry-After"));
                }
                throw finalError(remote.file(), remote.commit(), code, c.getHeaderField("X-Error-Code"), url);
            }
            DownloadProgress progress = new DownloadProgress(env.progress(), id.name() + "/" + remote.file(),
                    remote.size(), have);
            long written = have;
            try (InputStream in = c.getInputStream();
                    OutputStream out = Files.newOutputStream(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                byte[] buffer = new byte[1 << 16];
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    written += n;
                    progress.update(written);
                }
            } finally {
                if (env.progress() != null) {
                    progress.finish(written);
                }
            }
            return remote.size() < 0 || written == remote.size();
        } finally {
            c.disconnect();
        }
    }

    /** The sha256 an LFS ETag carries must match the bytes; otherwise the download is deleted. */
    private void verify(Remote remote, Path part) throws IOException {
        long size = Files.size(part);
        if (remote.size() >= 0 && size != remote.size()) {
            Files.deleteIfExists(part);
            throw new CheckpointException(id + "/" + remote.file() + ": downloaded " + size + " bytes but the hub"
                    + " announced " + remote.size() + "; the partial file was deleted, run again");
        }
        if (!SHA256.matcher(remote.etag()).matches()) {
            return;
        }
        String actual = sha256(part);
        if (!actual.equals(remote.etag())) {
            Files.deleteIfExists(part);
            throw new CheckpointException(id + "/" + remote.file() + ": checksum mismatch, the downloaded data has"
                    + " sha256 " + actual + " but the hub's ETag says " + remote.etag()
                    + "; the corrupt download was deleted, run again");
        }
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            int n;
            while ((n = in.read(buffer)) >= 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    private static long parseLong(String s) {
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
