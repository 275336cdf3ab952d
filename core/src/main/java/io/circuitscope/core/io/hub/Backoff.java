package io.circuitscope.core.io.hub;

import java.util.function.LongConsumer;

/**
 * The pause before the next attempt of a request: 1, 2, 4, 8 s as huggingface_hub's http_backoff, or the
 * server's {@code Retry-After} when it asks for a longer pause that is still short. Injectable so tests
 * need not wait.
 */
final class Backoff {
    /** A longer Retry-After is not waited for: the download fails and says when to try again. */
    static final long MAX_RETRY_AFTER_SECONDS = 30;

    private final long baseMillis;
    private final long maxMillis;
    private final LongConsumer sleeper;

    Backoff(long baseMillis, long maxMillis, LongConsumer sleeper) {
        this.baseMillis = baseMillis;
        this.maxMillis = maxMillis;
        this.sleeper = sleeper;
    }

    static Backoff standard() {
        return new Backoff(1000, 8000, Backoff::sleep);
    }

    /**
     * Waits after failed attempt {@code failed} (1, 2, ...); {@code retryAfter} is the answer's header or null.
     * False, without waiting, when the server asked for more than {@link #MAX_RETRY_AFTER_SECONDS}.
     */
    boolean pause(int failed, String retryAfter) {
        long millis = Math.min(maxMillis, baseMillis << Math.min(failed - 1, 20));
        long asked = retryAfterSeconds(retryAfter);
        if (asked > MAX_RETRY_AFTER_SECONDS) {
            return false;
        }
        sleeper.accept(Math.max(millis, asked * 1000));
        return true;
    }

    /** Retry-After in seconds; -1 when absent or an HTTP date (then the usual pause applies). */
    static long retryAfterSeconds(String header) {
        if (header == null || !header.trim().matches("\\d{1,9}")) {
            return -1;
        }
        return Long.parseLong(header.trim());
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
