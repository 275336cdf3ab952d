package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * The git commit circuitscope was built from, and whether the working tree had uncommitted changes (untracked files
 * not ignored by .gitignore count). The build writes both to {@value #RESOURCE} beside this class; a build without
 * .git (a source tarball) writes nothing, and then both are null: unknown, never a guess.
 *
 * @param commit the full 40-hex commit, or null when unknown
 * @param dirty  whether the tree differed from that commit, or null when unknown
 */
public record BuildInfo(String commit, Boolean dirty) {
    static final String RESOURCE = "build-git.properties";
    private static final Pattern FULL_HASH = Pattern.compile("[0-9a-f]{40}");

    /** Both unknown. */
    public static final BuildInfo UNKNOWN = new BuildInfo(null, null);

    private static final BuildInfo CURRENT = load(); // after UNKNOWN, which it may return

    /** This build's. */
    public static BuildInfo current() {
        return CURRENT;
    }

    private static BuildInfo load() {
        try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
            return read(in);
        } catch (IOException e) { // provenance is worth recording, not worth refusing to run for
            return UNKNOWN;
        }
    }

    /** What the build wrote ({@code git.commit.id}, {@code git.dirty}); a null stream, as for a missing resource, is unknown. */
    static BuildInfo read(InputStream in) {
        if (in == null) {
            return UNKNOWN;
        }
        Properties p = new Properties();
        try {
            p.load(in);
        } catch (IOException | IllegalArgumentException e) {
            return UNKNOWN;
        }
        String commit = p.getProperty("git.commit.id", "").trim();
        return new BuildInfo(FULL_HASH.matcher(commit).matches() ? commit : null,
                bool(p.getProperty("git.dirty")));
    }

    /** The commit a {@code software} block records ({@link #putInto}); unknown for files written before it did. */
    public static BuildInfo of(JsonNode software) {
        JsonNode commit = software.path("git_commit");
        JsonNode dirty = software.path("git_dirty");
        return new BuildInfo(commit.isTextual() ? commit.asText() : null, dirty.isBoolean() ? dirty.asBoolean() : null);
    }

    /** {@code "git_commit": "...", "git_dirty": false}, null where unknown. */
    public void putInto(ObjectNode software) {
        software.put("git_commit", commit);
        software.put("git_dirty", dirty);
    }

    /** {@code commit <hash>}, with {@code (uncommitted changes)} after it when the tree was dirty; {@code commit unknown}. */
    public String describe() {
        if (commit == null) {
            return "commit unknown";
        }
        return "commit " + commit + (Boolean.TRUE.equals(dirty) ? " (uncommitted changes)" : "");
    }

    private static Boolean bool(String s) {
        if (s == null) {
            return null;
        }
        return switch (s.trim()) {
            case "true" -> Boolean.TRUE;
            case "false" -> Boolean.FALSE;
            default -> null;
        };
    }
}
