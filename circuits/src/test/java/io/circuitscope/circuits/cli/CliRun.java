package io.circuitscope.circuits.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** One in-process run of the command line, with its exit code and what it printed. */
public record CliRun(int code, String out, String err) {
    public static CliRun run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = CircuitscopeCli.execute(new PrintWriter(out), new PrintWriter(err), args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
