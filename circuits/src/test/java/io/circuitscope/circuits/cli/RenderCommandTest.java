package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.circuits.io.CircuitJson;
import io.circuitscope.circuits.render.RenderFixtures;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RenderCommandTest {
    @TempDir
    static Path dir;
    static Path circuit;

    @BeforeAll
    static void write() throws Exception {
        circuit = dir.resolve("run").resolve("circuit.json");
        CircuitJson.write(circuit, RenderFixtures.document());
    }

    @Test
    void svgOfATwentyNodeCircuitNamesEveryNode() throws Exception {
        CliRun r = run("render", circuit.toString(), "--format", "svg");
        assertEquals(0, r.code(), r.err());
        Path svg = circuit.resolveSibling("circuit.svg");
        assertTrue(r.out().contains("wrote " + svg), r.out());
        String text = Files.readString(svg);
        assertTrue(text.contains("<svg"));
        for (String node : RenderFixtures.nodeNames()) {
            assertTrue(text.contains(">" + node + "</text>"), "no text " + node);
        }
    }

    @Test
    void pngOfATwentyNodeCircuitIsAnImageWithContent() throws Exception {
        Path png = dir.resolve("elsewhere").resolve("diagram.png");
        CliRun r = run("render", circuit.getParent().toString(), "--format", "png", "--out", png.toString());
        assertEquals(0, r.code(), r.err());
        BufferedImage image = ImageIO.read(png.toFile());
        assertTrue(image.getWidth() > 200 && image.getHeight() > 200, image.getWidth() + "x" + image.getHeight());
        assertTrue(ScreenshotCheck.distinctColours(image, 0, image.getHeight()) > 5, "the PNG is blank");
    }

    /** render --out x.png without --format wrote HTML into x.png. */
    @Test
    void theFormatComesFromTheExtensionOfOutWhenNotGiven() throws Exception {
        Path out = dir.resolve("by-extension");
        assertEquals(0, run("render", circuit.toString(), "--out", out.resolve("d.png").toString()).code());
        byte[] png = Files.readAllBytes(out.resolve("d.png"));
        assertEquals("PNG", new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII), "a PNG image");
        assertEquals(0, run("render", circuit.toString(), "--out", out.resolve("d.DOT").toString()).code());
        assertTrue(Files.readString(out.resolve("d.DOT")).startsWith("digraph"));
        assertEquals(0, run("render", circuit.toString(), "--out", out.resolve("d.svg").toString()).code());
        assertTrue(Files.readString(out.resolve("d.svg")).contains("<svg"));
        assertEquals(0, run("render", circuit.toString(), "--out", out.resolve("report").toString()).code());
        assertTrue(Files.readString(out.resolve("report")).startsWith("<!DOCTYPE html>"), "no extension: html");
        assertEquals(0, run("render", circuit.toString(), "--format", "dot", "--out", out.resolve("d.gv.txt").toString())
                .code(), "an extension that names no format is taken with --format");

        CliRun r = run("render", circuit.toString(), "--format", "svg", "--out", out.resolve("x.png").toString());
        assertEquals(2, r.code());
        assertEquals("error: --out " + out.resolve("x.png") + " is a .png file but --format is svg; make them agree",
                r.err().lines().findFirst().orElseThrow());
        r = run("render", circuit.toString(), "--out", out.resolve("x.pdf").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().startsWith("error: --out " + out.resolve("x.pdf") + ": the extension '.pdf' names no format; "
                + "use .svg, .png, .dot or .html, or give --format"), r.err());
        assertTrue(Files.notExists(out.resolve("x.png")) && Files.notExists(out.resolve("x.pdf")));
    }

    /** --out naming a folder failed when written: "DIR: is a folder; give a file name to write to", exit 1, no option. */
    @Test
    void anOutThatIsAFolderIsAUsageErrorNamingTheOption() throws Exception {
        Path folder = java.nio.file.Files.createDirectories(dir.resolve("a-folder"));
        CliRun r = run("render", circuit.toString(), "--format", "dot", "--out", folder.toString());
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("error: --out " + folder + ": is a folder; give a file name"), r.err());
    }

    @Test
    void dotAndCollapsedDot() throws Exception {
        assertEquals(0, run("render", circuit.toString(), "--format", "dot").code());
        String dot = Files.readString(circuit.resolveSibling("circuit.dot"));
        Path collapsedFile = dir.resolve("collapsed.dot");
        CliRun r = run("render", circuit.toString(), "--format", "dot", "--collapse-layers", "--out", collapsedFile.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("drawn collapsed by layer as"), r.out());
        assertTrue(r.out().matches("(?s).*a circuit of \\d+ nodes and \\d+ edges, drawn.*"), r.out());
        String collapsed = Files.readString(collapsedFile);
        assertTrue(count(collapsed, "\\[label=") < count(dot, "\\[label="));
        assertEquals(20, count(dot, "\\[label="), "one node statement per circuit node");
        assertTrue(dot.contains("legend [shape=plaintext"));
        assertEquals(6, count(dot, "rank=same"), "input, 4 layers, logits");
    }

    @Test
    void htmlReportIsOneSelfContainedFileWithDiagramProvenanceAndSections() throws Exception {
        CliRun r = run("render", circuit.toString(), "--format", "html");
        assertEquals(0, r.code(), r.err());
        Path report = circuit.resolveSibling("report.html");
        String html = Files.readString(report);
        assertFalse(Pattern.compile("https?://").matcher(html).find(), "external reference in the report");
        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.contains("<link") || html.contains("src="), "nothing loaded from elsewhere");
        assertTrue(html.contains("<svg class=\"circuit\""), "inline diagram");
        for (String node : RenderFixtures.nodeNames()) {
            assertTrue(html.contains(">" + node + "</text>"), node);
        }
        for (String p : new String[] {"tiny-gpt2-fixture", "c0ffee", "ioi-fixture", "feed1111", "pipeline", "logit-diff",
            "1234", "circuitscope " + CircuitJson.SOFTWARE_VERSION + ", " + io.circuitscope.circuits.io.BuildInfo.current().describe(),
            "scorer=eap-ig"}) {
            assertTrue(html.contains(p), "provenance " + p);
        }
        assertTrue(html.contains("<td>0.9067</td>"), "summary");
        assertTrue(html.contains("Top edges by |score|") && html.contains(">in</span>") && html.contains(">out</span>"));
        assertTrue(html.contains("[0.8500, 0.9500]") && html.contains(">pass</span>") && html.contains(">fail</span>"),
                "validation with intervals");
        assertTrue(html.contains("ROC, AUC 0.8700") && html.contains("<polyline"), "ROC curve");
        assertTrue(html.contains("head patching (logit difference recovered)")
                && html.contains("<title>layer 1, head 2: "), "heatmap with hover values");
    }

    /**
     * render circuit.json --out circuit.json --format html wrote the report over the circuit it drew (exit 0): the
     * circuit was lost. An output that is the circuit file, named as given, through a link or as the default output
     * of a circuit file named like one, is a usage error and the file stays as it was.
     */
    @Test
    void anOutputThatIsTheCircuitFileItselfIsRefused() throws Exception {
        Path own = dir.resolve("own").resolve("circuit.json");
        CircuitJson.write(own, RenderFixtures.document());
        byte[] before = Files.readAllBytes(own);
        CliRun r = run("render", own.toString(), "--out", own.toString(), "--format", "html");
        assertEquals(2, r.code(), r.out());
        assertEquals("error: --out " + own + " is the circuit file " + own + " itself: writing the html there would "
                + "replace the circuit; give --out another file", r.err().lines().findFirst().orElseThrow());
        Path link = dir.resolve("own").resolve("link.png");
        Files.createSymbolicLink(link, own.getFileName());
        r = run("render", own.getParent().toString(), "--out", link.toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("error: --out " + link + " is the circuit file"), r.err());
        Path namedLikeADiagram = dir.resolve("own").resolve("circuit.dot");
        Files.copy(own, namedLikeADiagram);
        r = run("render", namedLikeADiagram.toString(), "--format", "dot");
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().startsWith("error: the default output " + namedLikeADiagram.toAbsolutePath()
                + " is the circuit file"), r.err());
        assertArrayEquals(before, Files.readAllBytes(own));
        assertArrayEquals(before, Files.readAllBytes(namedLikeADiagram));
    }

    @Test
    void badInputIsAOneLineErrorNamingTheFile() throws Exception {
        Path missing = dir.resolve("nothing").resolve("circuit.json");
        CliRun r = run("render", missing.toString(), "--format", "svg");
        assertEquals(1, r.code());
        assertEquals("error: " + missing + ": no such file", r.err().trim());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"schema\": ");
        r = run("render", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + bad + ": not valid JSON") && r.err().trim().lines().count() == 1, r.err());

        Files.writeString(bad, "{\"schema\": \"other/2\", \"edges\": {}}");
        r = run("render", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad + ": field 'schema' is 'other/2'"), r.err());

        Files.writeString(bad, Files.readString(circuit).replace("\"row_labels\" : [", "\"row_labels\" : [ \"extra\", "));
        r = run("render", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad + ": field 'heatmaps[0].values' must be a list of 5 rows"), r.err());

        // a label that is an object was drawn as an empty label, and null as the text "null"
        Files.writeString(bad, Files.readString(circuit).replace("\"row_labels\" : [", "\"row_labels\" : [ {\"layer\": 0}, "));
        r = run("render", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad + ": field 'heatmaps[0].row_labels[0]' must be a string or a number, got "
                + "{\"layer\":0}"), r.err());

        Files.writeString(bad, Files.readString(circuit).replace("\"a3.h0\" : \"name mover\"", "\"a9.h0\" : \"name mover\""));
        r = run("render", bad.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains(bad + ": field 'roles.a9.h0'"), r.err());

        // a recorded shape whose graph cannot fit: out of memory with a stack trace
        // in model and in cfg alike (two shapes that disagree are refused as such)
        Files.writeString(bad, Files.readString(circuit).replaceAll("\"n_layers\" : \\d+", "\"n_layers\" : 100000"));
        r = run("render", bad.toString(), "--format", "dot");
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("error: " + bad + ": fields 'model.n_layers' (100000) and 'model.n_heads'")
                && r.err().trim().lines().count() == 1, r.err());

        r = run("render", circuit.toString(), "--format", "pdf");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--format must be one of svg, png, dot, html, got 'pdf'"), r.err());
        assertTrue(Files.notExists(circuit.resolveSibling("circuit.pdf")));
    }

    private static int count(String s, String regex) {
        Matcher m = Pattern.compile(regex).matcher(s);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
