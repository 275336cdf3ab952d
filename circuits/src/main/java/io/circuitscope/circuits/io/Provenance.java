package io.circuitscope.circuits.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What a result file records of how it was made: the command line that made it and the software that ran it
 * (circuitscope and the commit it was built from, Java, DJL, PyTorch), so a result can be traced to the run that produced it.
 */
public final class Provenance {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Provenance() {
    }

    /** {@code {"argv": [...], "working_directory": "..."}}: the arguments as the command line received them. */
    public static ObjectNode command(List<String> argv) {
        ObjectNode o = JSON.createObjectNode();
        ArrayNode args = o.putArray("argv");
        argv.forEach(args::add);
        o.put("working_directory", Path.of("").toAbsolutePath().toString());
        return o;
    }

    /** {@link #command(List)} of the command line {@code spec} belongs to (its root's arguments, subcommand included). */
    public static ObjectNode command(CommandSpec spec) {
        return command(spec.root().commandLine().getParseResult().originalArgs());
    }

    /**
     * What every {@code software} block starts with: circuitscope's name and version and the git commit it was built
     * from ({@code git_commit}, {@code git_dirty}; null when built outside a git checkout). The version alone names
     * hundreds of commits.
     */
    public static ObjectNode identity() {
        ObjectNode o = nameAndVersion();
        BuildInfo.current().putInto(o);
        return o;
    }

    /** circuitscope's name and version alone, for what no build made (a circuit transcribed from a paper). */
    public static ObjectNode nameAndVersion() {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", "circuitscope");
        o.put("version", CircuitJson.SOFTWARE_VERSION);
        return o;
    }

    /**
     * circuit.json's {@code software} block with the runtime: {@link #identity()}, plus the Java, DJL and PyTorch
     * versions. Call it once the model is loaded: asking for PyTorch's version starts the engine.
     */
    public static ObjectNode software() {
        ObjectNode o = identity();
        o.put("java", Runtime.version().toString());
        o.put("java_vendor", System.getProperty("java.vendor"));
        o.put("djl", ai.djl.engine.Engine.getDjlVersion());
        o.put("pytorch", pytorchVersion());
        return o;
    }

    private static String pytorchVersion() {
        try {
            return ai.djl.engine.Engine.getEngine("PyTorch").getVersion();
        } catch (RuntimeException e) { // no engine here: the file says so rather than failing the run that made it
            return null;
        }
    }
}
