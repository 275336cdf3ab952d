package io.circuitscope.core.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A local stand-in for the Hugging Face hub on 127.0.0.1: {@code /ORG/NAME/resolve/REV/FILE} answers
 * like the hub (REV is one percent-encoded path segment, a branch or a commit; X-Repo-Commit; JSON files
 * with a git-style ETag; {@code .safetensors} files as LFS: a 302 to {@code /cdn/<sha256>} with
 * X-Linked-Etag and X-Linked-Size), the CDN serves byte ranges. The CDN can live on a second port, as
 * the real hub's storage host is another origin. Faults can be injected: cut the first CDN body after
 * N bytes, corrupt every CDN body, answer some requests with an error status, send a wrong or no
 * X-Repo-Commit, move a branch to another commit mid-download.
 */
public final class FakeHub implements AutoCloseable {
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    /** One request as it arrived; {@code path} is raw (still percent-encoded), {@code server} "hub" or "storage". */
    public record Request(String server, String method, String path, String range, String authorization) {
    }

    private final HttpServer server;
    private HttpServer storage;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    /** repo -> commit -> file -> bytes */
    private final Map<String, Map<String, Map<String, byte[]>>> repos = new ConcurrentHashMap<>();
    /** repo -> branch or tag -> commit */
    private final Map<String, Map<String, String>> refs = new ConcurrentHashMap<>();
    private final Map<String, byte[]> blobs = new ConcurrentHashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile long cutFirstBodyAfter = -1;
    private final AtomicBoolean cutDone = new AtomicBoolean();
    private volatile boolean corrupt;
    private volatile boolean commitHeaderOverridden;
    private volatile String commitHeader;
    private volatile Fault fault;
    private volatile BranchMove branchMove;
    private final AtomicInteger resolveRequests = new AtomicInteger();

    private record Fault(String pathPrefix, int code, String retryAfter, AtomicInteger remaining) {
    }

    private record BranchMove(int afterResolveRequests, String repo, String branch, String commit) {
    }

    public FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> handle(ex, "hub"));
        server.setExecutor(executor);
        server.start();
    }

    /** Serves every regular file of {@code dir} as repository {@code repo} ("org/name") at {@link #COMMIT} on main. */
    public FakeHub serve(String repo, Path dir) throws IOException {
        serve(repo, COMMIT, dir);
        return branch(repo, "main", COMMIT);
    }

    /** Serves every regular file of {@code dir} as {@code repo} at {@code commit} (no branch points there yet). */
    public FakeHub serve(String repo, String commit, Path dir) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (var stream = Files.list(dir)) {
            for (Path p : (Iterable<Path>) stream::iterator) {
                if (Files.isRegularFile(p)) {
                    byte[] bytes = Files.readAllBytes(p);
                    files.put(p.getFileName().toString(), bytes);
                    blobs.put(sha256(bytes), bytes);
                }
            }
        }
        repos.computeIfAbsent(repo, r -> new ConcurrentHashMap<>()).put(commit, files);
        return this;
    }

    /** Points branch or tag {@code name} (it may contain '/', as refs/pr/1) of {@code repo} at {@code commit}. */
    public FakeHub branch(String repo, String name, String commit) {
        refs.computeIfAbsent(repo, r -> new ConcurrentHashMap<>()).put(name, commit);
        return this;
    }

    /** After {@code n} requests to /resolve/ URLs, {@code branch} of {@code repo} points at {@code commit}. */
    public void moveBranchAfter(int n, String repo, String branch, String commit) {
        branchMove = new BranchMove(n, repo, branch, commit);
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** Serves the CDN from a second port from now on: LFS redirects become absolute URLs to that origin. */
    public URI storageOnSecondPort() throws IOException {
        if (storage == null) {
            storage = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
            storage.createContext("/", ex -> handle(ex, "storage"));
            storage.setExecutor(executor);
            storage.start();
        }
        return storageUri();
    }

    private URI storageUri() {
        return URI.create("http://127.0.0.1:" + storage.getAddress().getPort());
    }

    public List<Request> requests() {
        synchronized (requests) {
            return new ArrayList<>(requests);
        }
    }

    /** The first CDN GET sends the full Content-Length but closes the connection after {@code bytes} bytes. */
    public void cutFirstBodyAfter(long bytes) {
        cutFirstBodyAfter = bytes;
    }

    /** Every CDN body has one byte flipped (its ETag still names the true sha256). */
    public void corruptBodies() {
        corrupt = true;
    }

    /** X-Repo-Commit is {@code value} on every answer, or absent when null. */
    public void sendCommitHeader(String value) {
        commitHeader = value;
        commitHeaderOverridden = true;
    }

    /**
     * The next {@code times} requests whose raw path starts with {@code pathPrefix} are answered with {@code code}
     * and an empty body (with {@code Retry-After: retryAfter} unless null).
     */
    public void fail(String pathPrefix, int times, int code, String retryAfter) {
        fault = new Fault(pathPrefix, code, retryAfter, new AtomicInteger(times));
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String gitSha1(byte[] bytes) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1.digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex, String serverName) throws IOException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        Headers in = ex.getRequestHeaders();
        requests.add(new Request(serverName, method, path, in.getFirst("Range"), in.getFirst("Authorization")));
        try {
            Fault f = fault;
            if (f != null && path.startsWith(f.pathPrefix()) && f.remaining().getAndDecrement() > 0) {
                if (f.retryAfter() != null) {
                    ex.getResponseHeaders().set("Retry-After", f.retryAfter());
                }
                empty(ex, f.code(), null);
                return;
            }
            if (path.startsWith("/cdn/")) {
                cdn(ex, path.substring("/cdn/".length()), method);
                return;
            }
            resolve(ex, path, method);
        } catch (RuntimeException e) {
            ex.close();
            throw e;
        }
    }

    private void resolve(HttpExchange ex, String path, String method) throws IOException {
        String[] parts = path.split("/", 6);
        // "", org, name, "resolve", rev, file
        if (parts.length < 6 || !parts[3].equals("resolve")) {
            empty(ex, 404, "RepoNotFound");
            return;
        }
        BranchMove move = branchMove;
        if (move != null && resolveRequests.getAndIncrement() == move.afterResolveRequests()) {
            branch(move.repo(), move.branch(), move.commit());
        }
        String repo = parts[1] + "/" + parts[2];
        Map<String, Map<String, byte[]>> commits = repos.get(repo);
        if (commits == null) {
            empty(ex, 401, "RepoNotFound");
            return;
        }
        String rev = URLDecoder.decode(parts[4], StandardCharsets.UTF_8);
        String commit = commits.containsKey(rev) ? rev : refs.getOrDefault(repo, Map.of()).get(rev);
        if (commit == null) {
            empty(ex, 404, "RevisionNotFound");
            return;
        }
        Headers out = ex.getResponseHeaders();
        String sentCommit = commitHeaderOverridden ? commitHeader : commit;
        if (sentCommit != null) {
            out.set("X-Repo-Commit", sentCommit);
        }
        byte[] bytes = commits.get(commit).get(URLDecoder.decode(parts[5], StandardCharsets.UTF_8));
        if (bytes == null) {
            empty(ex, 404, "EntryNotFound");
            return;
        }
        if (parts[5].endsWith(".safetensors")) {
            String sha = sha256(bytes);
            out.set("X-Linked-Etag", "\"" + sha + "\"");
            out.set("X-Linked-Size", String.valueOf(bytes.length));
            out.set("ETag", "W/\"not-the-sha\"");
            out.set("Location", (storage == null ? "" : storageUri().toString()) + "/cdn/" + sha);
            ex.sendResponseHeaders(302, -1);
            ex.close();
            return;
        }
        out.set("ETag", "\"" + gitSha1(bytes) + "\"");
        body(ex, method, bytes, false);
    }

    private void cdn(HttpExchange ex, String sha, String method) throws IOException {
        byte[] bytes = blobs.get(sha);
        if (bytes == null) {
            empty(ex, 404, null);
            return;
        }
        ex.getResponseHeaders().set("ETag", "\"" + sha + "\"");
        if (corrupt) {
            bytes = bytes.clone();
            bytes[bytes.length / 2] ^= 0x5A;
        }
        body(ex, method, bytes, true);
    }

    private void body(HttpExchange ex, String method, byte[] bytes, boolean mayCut) throws IOException {
        Headers out = ex.getResponseHeaders();
        out.set("Accept-Ranges", "bytes");
        if (method.equals("HEAD")) {
            out.set("Content-Length", String.valueOf(bytes.length));
            ex.sendResponseHeaders(200, -1);
            ex.close();
            return;
        }
        int start = 0;
        int code = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && range.matches("bytes=\\d+-")) {
            start = Integer.parseInt(range.substring(6, range.length() - 1));
            if (start >= bytes.length) {
                out.set("Content-Range", "bytes */" + bytes.length);
                ex.sendResponseHeaders(416, -1);
                ex.close();
                return;
            }
            code = 206;
            out.set("Content-Range", "bytes " + start + "-" + (bytes.length - 1) + "/" + bytes.length);
        }
        int length = bytes.length - start;
        ex.sendResponseHeaders(code, length);
        OutputStream body = ex.getResponseBody();
        if (mayCut && cutFirstBodyAfter >= 0 && cutDone.compareAndSet(false, true)) {
            body.write(bytes, start, (int) Math.min(cutFirstBodyAfter, length));
            body.flush();
            // Throwing from the handler makes the server drop the connection mid-body.
            throw new IOException("fake hub: connection cut on purpose");
        }
        body.write(bytes, start, length);
        ex.close();
    }

    private static void empty(HttpExchange ex, int code, String errorCode) throws IOException {
        if (errorCode != null) {
            ex.getResponseHeaders().set("X-Error-Code", errorCode);
        }
        ex.sendResponseHeaders(code, -1);
        ex.close();
    }

    @Override
    public void close() {
        server.stop(0);
        if (storage != null) {
            storage.stop(0);
        }
        executor.shutdownNow();
    }
}
