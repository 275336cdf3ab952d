package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.io.TensorDtype;
import io.circuitscope.core.testing.TinyCheckpoint;
import io.circuitscope.core.testing.UnderForeignLocales;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * discover's and validate's console lines print numbers one way under every JVM locale: German mixed "0,123"
 * (printf) with "0.1230" (Decimals) in one line, Arabic (Saudi Arabia) printed counts in Arabic-Indic digits.
 */
@ExtendWith(UnderForeignLocales.class)
class LocaleIndependentConsoleTest {
    private static final Pattern DECIMAL_COMMA = Pattern.compile("\\d,\\d");
    private static final Pattern ARABIC_INDIC_DIGIT = Pattern.compile("[\u0660-\u0669]");

    @TempDir
    Path dir;

    @Test
    void discoverAndValidatePrintPointsAndAsciiDigits() throws Exception {
        Path model = TinyCheckpoint.gpt2(31, 2, 2, 4, 23, 8, false).write(dir.resolve("model"), TensorDtype.F32);
        Path task = RandomTaskFile.write(dir.resolve("task.jsonl"), "random", 2, 4, 5, 23);
        CliRun reference = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap",
                "--metric", "logit-diff", "--edges", "8", "--no-validate", "--no-render", "--quiet", "--out",
                dir.resolve("reference").toString());
        assertEquals(0, reference.code(), reference.err());
        String referenceFile = dir.resolve("reference").resolve("circuit.json").toString();
        for (Locale locale : UnderForeignLocales.LOCALES) {
            Locale.setDefault(locale);
            Path out = dir.resolve("run-" + locale);
            CliRun found = run("discover", "--model", model.toString(), "--task", task.toString(), "--method", "eap-ig",
                    "--metric", "logit-diff", "--edges", "12", "--bootstrap", "50", "--reference", referenceFile,
                    "--no-render", "--quiet", "--out", out.toString());
            assertEquals(0, found.code(), found.err());
            assertTrue(found.out().contains("vs circuit.json: edge precision"), found.out());
            assertPlain(locale, found.out());
            CliRun checked = run("validate", "--model", model.toString(), "--task", task.toString(), "--circuit",
                    out.resolve("circuit.json").toString(), "--reference", referenceFile, "--bootstrap", "50", "--quiet");
            assertEquals(0, checked.code(), checked.err());
            assertTrue(checked.out().contains("faithfulness"), checked.out());
            assertPlain(locale, checked.out());
        }
    }

    private static void assertPlain(Locale locale, String text) {
        assertFalse(DECIMAL_COMMA.matcher(text).find(), locale + ": a decimal comma in\n" + text);
        assertFalse(ARABIC_INDIC_DIGIT.matcher(text).find(), locale + ": Arabic-Indic digits in\n" + text);
    }
}
