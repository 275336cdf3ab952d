package io.circuitscope.core.io.hub;

import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the hub resolver takes from the environment, so tests can inject it.
 *
 * @param cacheDir  the hub cache: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}
 * @param endpoint  {@code $HF_ENDPOINT}, default {@code https://huggingface.co}
 * @param token     {@code $HF_TOKEN} sent as a bearer token, or null
 * @param offline   {@code HF_HUB_OFFLINE=1}: never download, only read the cache
 * @param progress  where the download progress bar goes, or null for none
 * @param timeout   connect and read timeout of each request
 */
public record HubEnvironment(Path cacheDir, URI endpoint, String token, boolean offline, PrintStream progress,
        Duration timeout) {
    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";

    public HubEnvironment {
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(timeout, "timeout");
        if (token != null && token.isBlank()) {
            token = null;
        }
    }

    /** The process environment, with the progress bar on stderr unless HF_HUB_DISABLE_PROGRESS_BARS is set. */
    public static HubEnvironment system() {
        return fromEnv(System.getenv(), Path.of(System.getProperty("user.home")), System.err);
    }

    /** Reads HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE and HF_HUB_DISABLE_PROGRESS_BARS from {@code env}. */
    public static HubEnvironment fromEnv(Map<String, String> env, Path userHome, PrintStream progress) {
        Path cache;
        if (nonEmpty(env.get("HF_HUB_CACHE"))) {
            cache = Path.of(expandHome(env.get("HF_HUB_CACHE"), userHome));
        } else if (nonEmpty(env.get("HF_HOME"))) {
            cache = Path.of(expandHome(env.get("HF_HOME"), userHome)).resolve("hub");
        } else {
            cache = userHome.resolve(".cache").resolve("huggingface").resolve("hub");
        }
        String endpoint = nonEmpty(env.get("HF_ENDPOINT")) ? env.get("HF_ENDPOINT") : DEFAULT_ENDPOINT;
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        boolean quiet = truthy(env.get("HF_HUB_DISABLE_PROGRESS_BARS"));
        return new HubEnvironment(cache, URI.create(endpoint), env.get("HF_TOKEN"), truthy(env.get("HF_HUB_OFFLINE")),
                quiet ? null : progress, Duration.ofSeconds(30));
    }

    public HubEnvironment withCacheDir(Path dir) {
        return new HubEnvironment(dir, endpoint, token, offline, progress, timeout);
    }

    public HubEnvironment withEndpoint(URI uri) {
        return new HubEnvironment(cacheDir, uri, token, offline, progress, timeout);
    }

    public HubEnvironment withToken(String value) {
        return new HubEnvironment(cacheDir, endpoint, value, offline, progress, timeout);
    }

    public HubEnvironment withOffline(boolean value) {
        return new HubEnvironment(cacheDir, endpoint, token, value, progress, timeout);
    }

    public HubEnvironment withProgress(PrintStream stream) {
        return new HubEnvironment(cacheDir, endpoint, token, offline, stream, timeout);
    }

    /** No progress bar. */
    public HubEnvironment quiet() {
        return withProgress(null);
    }

    @Override
    public String toString() {
        // Never print the token.
        return "HubEnvironment[cacheDir=" + cacheDir + ", endpoint=" + endpoint + ", token="
                + (token == null ? "none" : "set") + ", offline=" + offline + "]";
    }

    private static boolean nonEmpty(String s) {
        return s != null && !s.isBlank();
    }

    static boolean truthy(String s) {
        if (s == null) {
            return false;
        }
        String v = s.trim().toLowerCase(java.util.Locale.ROOT);
        return v.equals("1") || v.equals("true") || v.equals("yes") || v.equals("on");
    }

    private static String expandHome(String path, Path home) {
        if (path.equals("~")) {
            return home.toString();
        }
        if (path.startsWith("~/")) {
            return home.resolve(path.substring(2)).toString();
        }
        return path;
    }
}
