package io.circuitscope.core.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * What went wrong reading a file, in words a user can act on: the JDK's messages name exception types or
 * repeat the path ("Input length = 1" for a file that is not UTF-8), and Jackson's end with a redacted
 * source excerpt
 * ({@link JsonSyntax}).
 */
public final class ReadErrors {
    private ReadErrors() {
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
