package io.circuitscope.circuits.render;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class GraphvizRendererTest {

    /** The bundled engine's native library goes to a cache folder of ours, not loose into the home folder. */
    @Test
    void theBundledEnginesNativeLibraryIsUnpackedIntoACacheFolder() {
        String dir = GraphvizRenderer.nativeCache();
        assertNotNull(dir, "a writable cache folder (XDG_CACHE_HOME or ~/.cache) is expected on a build machine");
        Path path = Path.of(dir);
        assertTrue(path.endsWith(Path.of("circuitscope", "native")), dir);
        assertTrue(Files.isDirectory(path) && Files.isWritable(path), dir);
    }
}
