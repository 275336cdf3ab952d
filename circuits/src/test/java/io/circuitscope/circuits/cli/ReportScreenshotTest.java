package io.circuitscope.circuits.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.render.RenderFixtures;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens report.html in headless Chromium and checks the screenshot shows a drawn diagram. Runs only
 * where /usr/bin/chromium exists (Debian package {@code chromium}); elsewhere it is reported skipped.
 */
class ReportScreenshotTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium");

    @TempDir
    Path dir;

    @Test
    void chromiumShowsTheDiagramInTheReport() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM),
                "skipped: /usr/bin/chromium is not installed (apt-get install chromium to run this check)");
        Path circuit = dir.resolve("circuit.json");
        CircuitJson.write(circuit, RenderFixtures.document());
        assertEquals(0, CliRun.run("render", circuit.toString(), "--format", "html").code());
        Path report = dir.resolve("report.html");
        Path shot = dir.resolve("shot.png");
        String keep = System.getProperty("circuitscope.screenshot");
        Process p = new ProcessBuilder(List.of(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + dir.resolve("profile"), "--screenshot=" + shot, "--window-size=1200,1600",
                report.toUri().toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium.log").toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium did not finish in 120 s");
        assertTrue(Files.size(shot) > 0, "no screenshot; chromium said: " + Files.readString(dir.resolve("chromium.log")));
        if (keep != null) {
            Files.copy(shot, Path.of(keep), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        BufferedImage image = ImageIO.read(shot.toFile());
        assertEquals(1200, image.getWidth());
        // the diagram sits below the provenance and summary tables, in the lower part of the first screen
        int top = image.getHeight() / 3;
        assertTrue(ScreenshotCheck.distinctColours(image, top, image.getHeight()) > 20, "diagram area is blank");
        int[] blueRed = ScreenshotCheck.blueAndRed(image, top, image.getHeight());
        assertTrue(blueRed[0] > 200 && blueRed[1] > 200,
                "diagram edges not visible: " + blueRed[0] + " blue, " + blueRed[1] + " red pixels");
    }
}
