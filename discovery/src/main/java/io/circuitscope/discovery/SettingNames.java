package io.circuitscope.discovery;

/**
 * How the caller of a discovery names its settings, so that discovery's messages (a refused combination, why a
 * circuit came out empty) name the setting the reader wrote: a command line's option ("--tau"), a plan's field
 * ("tau"). Discovery itself knows neither.
 */
@FunctionalInterface
public interface SettingNames {
    /**
     * The caller's name of {@code setting}, given by its key in lower case with '_' between words: method, scorer,
     * candidates, tau, metric, ig_steps, edges, nodes.
     */
    String of(String setting);
}
