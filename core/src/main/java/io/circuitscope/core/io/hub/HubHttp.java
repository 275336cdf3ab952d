package io.circuitscope.core.io.hub;

import java.io.IOException;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;

/**
 * One HTTP request of a hub download: connection settings, the bearer token, and how a failure is
 * classified (unreachable, transient or final). Uses {@link HttpURLConnection} for its per-read timeout:
 * a stalled connection fails and is resumed rather than hanging.
 */
final class HubHttp {
    /** The host could not be reached at all: the caller reports the id as not available locally. */
    static final class UnreachableIo extends IOException {
        UnreachableIo(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** HTTP 5xx or 429: worth another attempt, after {@code retryAfter} (the header, or null) if the server says. */
    static final class TransientHttp extends IOException {
        private final String retryAfter;

        TransientHttp(int code, URL url, String retryAfter) {
            super("HTTP " + code + " from " + where(url) + (code == 429 ? " (too many requests" : " (server error")
                    + (retryAfter == null ? "" : ", Retry-After: " + retryAfter) + ")");
            this.retryAfter = retryAfter;
        }

        String retryAfter() {
            return retryAfter;
        }
    }

    private final HubEnvironment env;

    HubHttp(HubEnvironment env) {
        this.env = env;
    }

    static boolean isTransient(int code) {
        return code == 429 || (code >= 500 && code <= 599);
    }

    /** The URL without its query: a storage host's signed query string is a credential and no help in a message. */
    static String where(URL url) {
        return url.getProtocol() + "://" + url.getAuthority() + url.getPath();
    }

    HttpURLConnection open(URL url, String method) throws IOException {
        HttpURLConnection c = (HttpURLConnection) url.openConnection();
        c.setRequestMethod(method);
        c.setInstanceFollowRedirects(false);
        int timeout = (int) Math.min(Integer.MAX_VALUE, env.timeout().toMillis());
        c.setConnectTimeout(timeout);
        c.setReadTimeout(timeout);
        c.setRequestProperty("User-Agent", "circuitscope/0.1.0");
        c.setRequestProperty("Accept-Encoding", "identity");
        // The token goes to the endpoint's origin only, never to the storage host an LFS file redirects to
        // (httpx and requests drop it on a redirect to another scheme, host or port, too).
        if (env.token() != null && sameOrigin(url, env.endpoint())) {
            c.setRequestProperty("Authorization", "Bearer " + env.token());
        }
        return c;
    }

    static boolean sameOrigin(URL url, URI endpoint) {
        return url.getProtocol().equalsIgnoreCase(endpoint.getScheme())
                && url.getHost().equalsIgnoreCase(endpoint.getHost())
                && effectivePort(url.getPort(), url.getProtocol())
                        == effectivePort(endpoint.getPort(), endpoint.getScheme());
    }

    private static int effectivePort(int port, String scheme) {
        return port != -1 ? port : "https".equalsIgnoreCase(scheme) ? 443 : 80;
    }

    /** The response code; connection failures and timeouts become {@link UnreachableIo}. */
    int status(HttpURLConnection c, URL url) throws IOException {
        try {
            return c.getResponseCode();
        } catch (ConnectException | UnknownHostException | NoRouteToHostException e) {
            throw new UnreachableIo("cannot connect to " + url.getProtocol() + "://" + url.getAuthority() + " ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } catch (java.net.SocketTimeoutException e) {
            throw new UnreachableIo("no answer from " + url.getProtocol() + "://" + url.getAuthority()
                    + " within " + env.timeout().toSeconds() + " s", e);
        }
    }
}
