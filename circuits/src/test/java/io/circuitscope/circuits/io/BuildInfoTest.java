package io.circuitscope.circuits.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A build without .git writes no properties file; circuitscope then records null and prints "unknown", never fails. */
class BuildInfoTest {
    private static final String HASH = "0123456789abcdef0123456789abcdef01234567";

    private static InputStream props(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void aMissingResourceIsUnknownNotACrash() {
        BuildInfo none = BuildInfo.read(null);
        assertNull(none.commit());
        assertNull(none.dirty());
        assertEquals("commit unknown", none.describe());
        ObjectNode software = new ObjectMapper().createObjectNode();
        none.putInto(software);
        assertTrue(software.get("git_commit").isNull() && software.get("git_dirty").isNull(), software.toString());
    }

    @Test
    void theBuildsPropertiesAreReadAndAnythingButAFullHashIsUnknown() {
        BuildInfo clean = BuildInfo.read(props("git.commit.id=" + HASH + "\ngit.dirty=false\n"));
        assertEquals(new BuildInfo(HASH, false), clean);
        assertEquals("commit " + HASH, clean.describe());
        assertEquals("commit " + HASH + " (uncommitted changes)",
                BuildInfo.read(props("git.commit.id=" + HASH + "\ngit.dirty=true\n")).describe());
        // an unexpanded placeholder, a short hash or an empty file record unknown rather than a wrong commit
        assertEquals(BuildInfo.UNKNOWN, BuildInfo.read(props("git.commit.id=${git.commit.id}\ngit.dirty=maybe\n")));
        assertEquals(BuildInfo.UNKNOWN, BuildInfo.read(props("git.commit.id=0123456\n")));
        assertEquals(BuildInfo.UNKNOWN, BuildInfo.read(props("")));
        assertEquals(BuildInfo.UNKNOWN, BuildInfo.read(props("git.commit.id=\\u00zz\n"))); // malformed escape
    }

    @Test
    void aSoftwareBlockReadsBackAsItWasWritten() {
        ObjectNode software = new ObjectMapper().createObjectNode();
        new BuildInfo(HASH, true).putInto(software);
        assertEquals(new BuildInfo(HASH, true), BuildInfo.of(software));
        // a file written before commits were recorded
        assertEquals(BuildInfo.UNKNOWN, BuildInfo.of(new ObjectMapper().createObjectNode().put("version", "0.1.0")));
    }
}
