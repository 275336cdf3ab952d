package io.circuitscope.circuits.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every number the code formats reads the same under any JVM locale: German wrote "1,0000", Arabic (Saudi
 * Arabia) Arabic-Indic digits, Turkish lower-cases "I" to a dotless "ı". Formatting with the default locale
 * is easy to reintroduce and shows only on such a machine, so the sources of every module are checked here.
 */
class RootLocaleFormattingTest {
    private static final List<String> MODULES = List.of("core", "discovery", "validation", "circuits", "benchmarks");
    /** String.format and printf without a locale first; formatted() and case changes take none or the default. */
    private static final Pattern DEFAULT_LOCALE = Pattern.compile(
            "(String\\.format|\\.printf)\\((?!\\s*(java\\.util\\.)?Locale\\.ROOT)|\\.formatted\\(|\\.to(Lower|Upper)Case\\(\\)");

    @Test
    void noMainSourceFormatsWithTheDefaultLocale() throws IOException {
        List<String> found = new ArrayList<>();
        int files = 0;
        for (String module : MODULES) {
            Path main = Path.of("..", module, "src", "main", "java");
            assertTrue(Files.isDirectory(main), main + " (tests run from the circuits module's folder)");
            try (Stream<Path> sources = Files.walk(main)) {
                for (Path f : sources.filter(p -> p.toString().endsWith(".java")).toList()) {
                    files++;
                    List<String> lines = Files.readAllLines(f);
                    for (int i = 0; i < lines.size(); i++) {
                        Matcher m = DEFAULT_LOCALE.matcher(lines.get(i));
                        if (m.find()) {
                            found.add(f.normalize() + ":" + (i + 1) + ": " + lines.get(i).trim());
                        }
                    }
                }
            }
        }
        assertTrue(files > 100, "sources found: " + files);
        assertEquals(List.of(), found, "use Locale.ROOT");
    }
}
