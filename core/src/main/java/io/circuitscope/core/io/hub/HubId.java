package io.circuitscope.core.io.hub;

import io.circuitscope.core.io.CheckpointException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face hub model id, {@code ORG/NAME} with an optional {@code @revision} (branch, tag or
 * commit hash; {@code main} when absent).
 */
public record HubId(String org, String name, String revision) {
    private static final String PART = "[A-Za-z0-9][A-Za-z0-9._-]*";
    private static final Pattern ID = Pattern.compile("(" + PART + ")/(" + PART + ")(?:@([A-Za-z0-9][A-Za-z0-9._/-]*))?");
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    public HubId {
        if (org == null || name == null || revision == null || revision.isEmpty()) {
            throw new IllegalArgumentException("org, name and revision are required");
        }
    }

    /**
     * The id {@code text} names, or empty when it does not have the form {@code ORG/NAME[@revision]}
     * (paths such as {@code ./a/b}, {@code /abs}, {@code ~/x}, {@code a/b/c} or {@code a/model.bin} are not ids).
     */
    public static Optional<HubId> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        Matcher m = ID.matcher(text);
        if (!m.matches()) {
            return Optional.empty();
        }
        String name = m.group(2);
        if (name.endsWith(".bin") || name.endsWith(".safetensors") || name.endsWith(".json")
                || name.equals(".") || name.equals("..") || m.group(1).equals("..")) {
            return Optional.empty();
        }
        String rev = m.group(3) == null ? "main" : m.group(3);
        // '/' is allowed (refs/pr/1 nests under refs/ as in huggingface_hub), but not segments that are empty or '.'
        if (rev.contains("..") || rev.endsWith("/") || rev.contains("//") || rev.contains("/./")
                || rev.endsWith("/.")) {
            throw new CheckpointException("'" + text + "': revision '" + rev + "' is not a valid branch, tag or commit");
        }
        return Optional.of(new HubId(m.group(1), name, rev));
    }

    /** {@code ORG/NAME}. */
    public String repo() {
        return org + "/" + name;
    }

    /** The cache folder name: {@code models--ORG--NAME}. */
    public String cacheFolder() {
        return "models--" + org + "--" + name;
    }

    /** Whether the revision is a full commit hash rather than a branch or tag. */
    public boolean revisionIsCommit() {
        return isCommitHash(revision);
    }

    /** 40 lowercase hex digits, as the cache's snapshot folders are named. */
    public static boolean isCommitHash(String s) {
        return COMMIT.matcher(s).matches();
    }

    @Override
    public String toString() {
        return revision.equals("main") ? repo() : repo() + "@" + revision;
    }
}
