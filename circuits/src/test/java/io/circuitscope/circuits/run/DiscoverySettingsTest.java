package io.circuitscope.circuits.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.circuitscope.core.graph.Ablation;
import io.circuitscope.discovery.Methods;
import org.junit.jupiter.api.Test;

/** Settings out of their limits cannot be made, whoever makes them (discover's options, a batch plan, code). */
class DiscoverySettingsTest {
    @Test
    void settingsBelowTheirLeastValueOrABadTauAreRefused() {
        DiscoverySettings d = DiscoverySettings.defaults();
        assertEquals(1, DiscoverySettings.LEAST.get("ig_steps"));
        IllegalArgumentException steps = assertThrows(IllegalArgumentException.class, () -> new DiscoverySettings(d.method(),
                d.scorer(), d.candidates(), d.tau(), d.metric(), Ablation.RESAMPLE, 0, d.edges(), d.nodes(), d.batchSize(),
                d.seed(), false));
        assertEquals("ig_steps must be at least 1, got 0", steps.getMessage());
        IllegalArgumentException edges = assertThrows(IllegalArgumentException.class, () -> new DiscoverySettings(d.method(),
                d.scorer(), d.candidates(), d.tau(), d.metric(), Ablation.RESAMPLE, 5, -1, d.nodes(), d.batchSize(),
                d.seed(), false));
        assertEquals("edges must be at least 0, got -1", edges.getMessage());
        for (double tau : new double[] {-0.5, Double.NaN, Double.POSITIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new DiscoverySettings(d.method(),
                    d.scorer(), d.candidates(), tau, d.metric(), Ablation.RESAMPLE, 5, 0, 0, 1, 0, false));
            assertTrue(e.getMessage().startsWith("tau must be a finite number >= 0"), e.getMessage());
        }
        assertNull(DiscoverySettings.tauProblem(0));
        // the least values themselves are allowed
        assertEquals(0, new DiscoverySettings(d.method(), d.scorer(), d.candidates(), 0, d.metric(), Ablation.RESAMPLE, 1, 0, 0,
                1, 0, false).edges());
    }

    /** Names are taken in any case and recorded in one: circuit.json's method block as its summary has them. */
    @Test
    void namesInAnyCaseAreRecordedInLowerCase() {
        DiscoverySettings s = new DiscoverySettings("PIPELINE", "EAP-IG", "ALL", 0.01, "LOGIT-DIFF", Ablation.RESAMPLE, 5,
                100, 10, 16, 0, false);
        assertEquals("pipeline", s.method());
        assertEquals("eap-ig", s.scorer());
        assertEquals("all", s.candidates());
        // numbers stay as typed: lower case would turn a refused '>=NaN' into an unreadable '>=nan'
        assertEquals(">=NaN", new DiscoverySettings("pipeline", "eap-ig", ">=NaN", 0.01, "kl", Ablation.RESAMPLE, 5, 100, 10,
                16, 0, false).candidates());
        assertEquals("logit-diff", s.metric());
        assertEquals("logit-diff", s.asMap().get("metric"));
        assertEquals(5, s.asMap().get("ig_steps")); // read from the canonical scorer
        assertEquals("logit-diff", DiscoveryRun.check(s, CallerNames.flags()).name());
        DiscoverySettings acdc = new DiscoverySettings("Acdc", "eap-ig", "200", 0.01, "KL", Ablation.RESAMPLE, 5, 100, 10, 16,
                0, false);
        assertEquals("acdc", acdc.asMap().get("key"));
        assertEquals(0.01, acdc.asMap().get("tau")); // ACDC's threshold, recognised in any case
        assertNull(acdc.asMap().get("edges"));
        Methods.checkMethod("ACDC");
        Methods.checkMethod("Relp:LN+Half");
        assertEquals("relp:ln+half", Methods.scorer("RELP:ln+HALF", 1).key());
        assertEquals("eap", Methods.scorer("EAP", 1).key());
        assertTrue(Methods.usesGradients("ATP"));
    }
}
