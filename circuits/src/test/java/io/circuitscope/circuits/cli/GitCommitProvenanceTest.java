package io.circuitscope.circuits.cli;

import static io.circuitscope.circuits.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.circuitscope.circuits.io.BuildInfo;
import io.circuitscope.circuits.io.CircuitJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * circuit.json named circuitscope's version only, the same 0.1.0 across hundreds of commits; its software block now
 * names the commit the build was made from, and --version prints it. Tests run in the tree Maven just built, so the
 * recorded commit is that tree's HEAD.
 */
class GitCommitProvenanceTest {
    @TempDir
    Path dir;

    @Test
    void discoverOnThePlantedDefaultRecordsTheCheckoutsHead() throws Exception {
        String head = git("rev-parse", "HEAD").strip();
        Path out = dir.resolve("run");
        CliRun r = run("discover", "--method", "eap", "--metric", "logit-diff", "--edges", "7", "--out", out.toString(),
                "--quiet", "--no-render", "--no-validate");
        assertEquals(0, r.code(), r.err());
        JsonNode software = new ObjectMapper().readTree(out.resolve("circuit.json").toFile()).get("software");
        assertTrue(software.get("git_commit").asText().matches("[0-9a-f]{40}"), software.toString());
        assertEquals(head, software.get("git_commit").asText());
        assertTrue(software.get("git_dirty").isBoolean(), software.toString());
        if (git("status", "--porcelain").isBlank()) { // clean now, so clean when Maven built it moments ago
            assertFalse(software.get("git_dirty").asBoolean(), software.toString());
        }
    }

    @Test
    void versionPrintsTheVersionAndTheCommit() {
        CliRun r = run("--version");
        assertEquals(0, r.code(), r.err());
        assertEquals(List.of("circuitscope " + CircuitJson.SOFTWARE_VERSION, BuildInfo.current().describe()),
                r.out().lines().toList());
        assertTrue(r.out().contains("commit "), r.out());
    }

    /** Every subcommand's -V/--version prints the same two lines (picocli gave them no version: they printed nothing). */
    @Test
    void everySubcommandsVersionPrintsTheVersionAndTheCommit() {
        List<String> expected = List.of("circuitscope " + CircuitJson.SOFTWARE_VERSION, BuildInfo.current().describe());
        java.util.Set<String> subcommands = new picocli.CommandLine(new CircuitscopeCli()).getSubcommands().keySet();
        assertTrue(subcommands.containsAll(List.of("discover", "validate", "help")), subcommands.toString());
        for (String sub : subcommands) {
            for (String flag : List.of("--version", "-V")) {
                CliRun r = run(sub, flag);
                assertEquals(0, r.code(), sub + " " + flag + ": " + r.err());
                assertEquals(expected, r.out().lines().toList(), sub + " " + flag);
            }
        }
    }

    /** git's output in the working directory; skips the test (with why) where git or a checkout is missing. */
    private static String git(String... args) throws InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("git"));
        command.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "skipped: git is not installed here (" + e.getMessage() + "), so HEAD cannot be compared");
            throw new AssertionError(e);
        }
        String output;
        try {
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError("reading git " + String.join(" ", args), e);
        }
        int code = p.waitFor();
        assumeTrue(code == 0, () -> "skipped: not inside a git checkout (" + Path.of("").toAbsolutePath()
                + "; git " + String.join(" ", args) + " said: " + output.strip() + "), so the build recorded no commit");
        return output;
    }
}
