package io.circuitscope.circuits.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.testing.UnderForeignLocales;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Run folder names and the summary tables read the same under every JVM locale: German wrote "1,0000" (quoted in
 * the CSV), Arabic (Saudi Arabia) wrote the run ids in Arabic-Indic digits, so a batch resumed under another locale
 * did not find its finished runs.
 */
@ExtendWith(UnderForeignLocales.class)
class LocaleIndependentBatchTest {

    @TempDir
    Path dir;

    @Test
    void runIdsUseAsciiDigitsUnderEveryLocale() throws Exception {
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, "models: [planted:induction]\nmethods: [eap]\ndefaults: {metric: logit-diff}\nseeds: [12]\n");
        for (Locale locale : UnderForeignLocales.LOCALES) {
            Locale.setDefault(locale);
            assertEquals("000-planted_induction-own-task-eap-s12", BatchPlan.read(file).runs().get(0).id(),
                    locale.toString());
        }
    }

    @Test
    void summaryNumbersUseAPointAndAsciiDigitsUnderEveryLocale() throws Exception {
        Path file = dir.resolve("plan.yaml");
        Files.writeString(file, "models: [planted:induction]\nmethods: [eap]\ndefaults: {metric: logit-diff}\n");
        for (Locale locale : UnderForeignLocales.LOCALES) {
            Locale.setDefault(locale);
            BatchPlan plan = BatchPlan.read(file);
            Manifest manifest = Manifest.load(plan.out());
            Manifest.Entry e = manifest.entry(plan.runs().get(0).id());
            e.state = Manifest.State.DONE;
            e.seconds = 12.75;
            e.results.put("edges", 7);
            e.results.put("faithfulness", 1.0);
            e.results.put("sufficient", true);
            e.results.put("necessary", false);
            e.results.put("minimal", null); // a circuit without components
            e.results.put("auc", 0.5);
            SummaryTable.write(plan, manifest);
            String csv = Files.readString(plan.out().resolve("summary.csv"));
            String row = csv.lines().skip(1).findFirst().orElseThrow();
            assertTrue(row.startsWith("000-planted_induction-own-task-eap-s0,done,"), locale + ": " + row);
            assertTrue(row.contains(",7,1.0000,true,false,,0.5000,12.8,"),
                    locale + ": " + row);
            String md = Files.readString(plan.out().resolve("summary.md"));
            assertTrue(md.contains("| 7 | 1.0000 | true | false |  | 0.5000 |"), locale + ": " + md);
        }
    }
}
