package io.circuitscope.circuits.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunInputsTest {
    /**
     * A manifest's recorded setting of 1e999 (a damaged or hand-edited file; Jackson reads it as infinity) failed a
     * resumed batch with a bare NumberFormatException when compared with the plan's; it is now a changed setting.
     */
    @Test
    void anInfiniteRecordedSettingIsAChangeNotANumberFormatException() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ObjectNode now = (ObjectNode) json.readTree("{\"tau\": 0.1, \"edges\": 16}");
        assertEquals(List.of("tau Infinity -> 0.1"),
                RunInputs.differences(json.readTree("{\"tau\": 1e999, \"edges\": 16}"), now, false));
        assertEquals(List.of(), RunInputs.differences(json.readTree("{\"tau\": 0.1, \"edges\": 16.0}"), now, false),
                "numbers are still compared by value");
    }
}
