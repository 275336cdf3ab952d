package io.circuitscope.core.testing;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A local stand-in for the Hugging Face hub on 127.0.0.1: {@code /ORG/NAME/resolve/REV/FILE} answers
 * like the hub (X-Repo-Commit; JSON files with a git-style ETag; {@code .safetensors} files as LFS:
 * a 302 to {@code /cdn/<sha256>} with X-Linked-Etag and X-Linked-Size), the CDN serves byte ranges.
 * Faults can be injected: cut the first CDN body after N bytes, or corrupt every CDN body.
 */
public final class FakeHub implements AutoCloseable {
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    public record Request(String method, String path, String range, String authorization) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(2);
    private final Map<String, Map<String, byte[]>> repos = new LinkedHashMap<>();
    private final Map<String, byte[]> blobs = new LinkedHashMap<>();
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    private volatile long cutFirstBodyAfter = -1;
    private final AtomicBoolean cutDone = new AtomicBoolean();
    private volatile boolean corrupt;

    public FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Serves every regular file of {@code dir} as repository {@code repo} ("org/name"). */
    public FakeHub serve(String repo, Path dir) throws IOException {
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
        repos.put(repo, files);
        return this;
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
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
            sha1.update(("blob " + bytes.length + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1.digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        Headers in = ex.getRequestHeaders();
        requests.add(new Request(method, path, in.getFirst("Range"), in.getFirst("Authorization")));
        try {
            if (path.startsWith("/cdn/")) {
                cdn(ex, path.substring("/cdn/".length()), method);
                return;
            }
            String[] parts = path.split("/", 6);
            // "", org, name, "resolve", rev, file
            if (parts.length < 6 || !parts[3].equals("resolve")) {
                empty(ex, 404, "RepoNotFound");
                return;
            }
            Map<String, byte[]> files = repos.get(parts[1] + "/" + parts[2]);
            if (files == null) {
                empty(ex, 401, "RepoNotFound");
                return;
            }
            if (!parts[4].equals("main") && !parts[4].equals(COMMIT)) {
                empty(ex, 404, "RevisionNotFound");
                return;
            }
            byte[] bytes = files.get(parts[5]);
            if (bytes == null) {
                empty(ex, 404, "EntryNotFound");
                return;
            }
            Headers out = ex.getResponseHeaders();
            out.set("X-Repo-Commit", COMMIT);
            if (parts[5].endsWith(".safetensors")) {
                String sha = sha256(bytes);
                out.set("X-Linked-Etag", "\"" + sha + "\"");
                out.set("X-Linked-Size", String.valueOf(bytes.length));
                out.set("ETag", "W/\"not-the-sha\"");
                out.set("Location", "/cdn/" + sha);
                ex.sendResponseHeaders(302, -1);
                ex.close();
                return;
            }
            out.set("ETag", "\"" + gitSha1(bytes) + "\"");
            body(ex, method, bytes, false);
        } catch (RuntimeException e) {
            ex.close();
            throw e;
        }
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
        executor.shutdownNow();
    }
}
