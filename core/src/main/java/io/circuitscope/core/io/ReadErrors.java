package io.circuitscope.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * What went wrong reading a file, in words a user can act on: the JDK's messages name exception types or
 * repeat the path ("Input length = 1" for a file that is not UTF-8), and Jackson's end with a redacted
 * source excerpt ({@link JsonSyntax}).
 */
public final class ReadErrors {
    private ReadErrors() {
    }

    /**
     * Why {@code file} cannot be read as a file, checked before any work that needs it, or null when it can:
     * no such file, a folder, or permission denied.
     */
    public static String whyUnreadable(java.nio.file.Path file) {
        if (file.toString().isBlank()) {
            return "names no file";
        }
        if (java.nio.file.Files.isDirectory(file)) {
            return "is a folder, not a file";
        }
        if (!java.nio.file.Files.exists(file)) {
            return "no such file";
        }
        return java.nio.file.Files.isReadable(file) ? null : "cannot be read (permission denied)";
    }

    public static String describe(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof CharacterCodingException) {
            return "not UTF-8 text";
        }
        if (e instanceof JsonProcessingException json) {
            return "not valid JSON: " + JsonSyntax.describe(json, false);
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
