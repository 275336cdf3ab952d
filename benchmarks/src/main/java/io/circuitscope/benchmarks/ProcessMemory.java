package io.circuitscope.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident set, read from /proc/self/status (Linux); -1 where that file has no such line. */
final class ProcessMemory {
    private ProcessMemory() {
    }

    /** Current resident set (VmRSS), in whole MiB. */
    static long residentMiB() throws IOException {
        return wholeMiB(kiB("VmRSS:"));
    }

    /** Current resident set (VmRSS) in MiB to the KiB, for slopes finer than a MiB per iteration. */
    static double residentMiBExact() throws IOException {
        long kiB = kiB("VmRSS:");
        return kiB < 0 ? -1 : kiB / 1024.0;
    }

    /** Peak resident set (VmHWM), in whole MiB. */
    static long peakResidentMiB() throws IOException {
        return wholeMiB(kiB("VmHWM:"));
    }

    private static long wholeMiB(long kiB) {
        return kiB < 0 ? -1 : kiB / 1024;
    }

    private static long kiB(String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }
}
