package io.circuitscope.core.testing;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.function.Predicate;

/**
 * The property every fuzz test of a reader checks on a damaged file: the reader finishes, and either reads it or
 * refuses it with its own exception whose message passes a check (it names the file, in words). Anything else, another
 * exception, an unclear message or a hang, fails the try; with FUZZ_REPORT set in the environment it is printed
 * instead, so that one run lists every problem.
 */
public final class FuzzCheck {
    /** Longer than any reader takes on these small files: past it the reader is taken to hang. */
    public static final Duration HANG = Duration.ofSeconds(60);

    /** Reading a damaged file, which may throw anything. */
    public interface Reading {
        void run() throws Exception;
    }

    private FuzzCheck() {
    }

    /** {@code read} reads or throws {@code own} with a message {@code clear} accepts; {@code what} names the try. */
    public static void readOrRefuse(String what, Class<? extends Exception> own, Predicate<String> clear, Reading read) {
        assertTimeoutPreemptively(HANG, () -> {
            try {
                read.run();
            } catch (AssertionError a) {
                throw a; // a check inside the reading failed: report() already said what
            } catch (Throwable t) {
                if (!own.isInstance(t)) {
                    report(what + ": " + t + "\n" + stackTrace(t));
                } else if (!clear.test(t.getMessage())) {
                    report(what + ": unclear message: " + t.getMessage());
                }
            }
        }, what + ": hang");
    }

    /** A message that names {@code name}. */
    public static Predicate<String> names(Object name) {
        return m -> m != null && m.contains(name.toString());
    }

    /** A message that names {@code name} and shows no Java internals (exception names, decoder or Jackson wording). */
    public static Predicate<String> namesInWords(Object name) {
        return names(name).and(m -> !m.contains("Exception") && !m.contains("java.") && !m.contains("Input length =")
                && !m.contains("REDACTED"));
    }

    /** Fails with {@code problem}, or prints it when FUZZ_REPORT is set. */
    public static void report(String problem) {
        if (System.getenv("FUZZ_REPORT") != null) {
            System.out.println("FUZZ: " + problem.lines().limit(8).reduce((a, b) -> a + "\n" + b).orElse(""));
        } else {
            fail(problem);
        }
    }

    private static String stackTrace(Throwable t) {
        StringWriter s = new StringWriter();
        t.printStackTrace(new PrintWriter(s));
        return s.toString();
    }
}
