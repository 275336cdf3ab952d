package io.circuitscope.core.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Parsing hook names, and errors that say what to write instead. */
class HookNameTest {

    private static String error(String name) {
        return assertThrows(IllegalArgumentException.class, () -> HookName.parse(name)).getMessage();
    }

    @Test
    void surroundingWhitespaceIsIgnored() {
        assertEquals(HookName.of(HookSite.RESID_PRE, 0), HookName.parse(" blocks.0.hook_resid_pre \n"));
        assertEquals(HookName.of(HookSite.LOGITS), HookName.parse("\thook_logits"));
    }

    @Test
    void aTypoGetsTheNearestNameAndTheListOfNames() {
        String typo = error("blocks.1.attn.hook_zz");
        assertTrue(typo.contains("did you mean 'blocks.1.attn.hook_z'?"), typo);
        assertTrue(typo.contains("blocks.L.hook_resid_pre") && typo.contains("ln_final.hook_normalized"), typo);
        String missingPrefix = error("hook_z");
        assertTrue(missingPrefix.contains("did you mean 'blocks.L.attn.hook_z'?"), missingPrefix);
        String missingAttn = error("blocks.3.hook_pattern");
        assertTrue(missingAttn.contains("did you mean 'blocks.3.attn.hook_pattern'?"), missingAttn);
        String nothingNear = error("completely_different");
        assertTrue(nothingNear.contains("'completely_different'. Hook names are: hook_embed"), nothingNear);
    }

    @Test
    void transformerLensHooksWithoutAnEquivalentSaySo() {
        String[][] cases = {
            {"blocks.0.attn.hook_rot_q", "before rotary"},
            {"blocks.2.attn.hook_rot_k", "before rotary"},
            {"blocks.0.hook_attn_in", "hook_q_input"},
            {"blocks.1.ln1.hook_scale", "hook_resid_pre"},
            {"blocks.1.ln2.hook_normalized", "hook_mlp_in"},
            {"blocks.0.ln1_post.hook_normalized", "hook_attn_out"},
            {"ln_final.hook_scale", "ln_final.hook_normalized"},
            {"blocks.0.mlp.hook_pre_linear", "gate projection"},
        };
        for (String[] c : cases) {
            String message = error(c[0]);
            assertTrue(message.contains("'" + c[0] + "'") && message.contains("TransformerLens has it")
                    && message.contains(c[1]), message);
        }
    }

    @Test
    void aLayerTooLargeForAnIntIsNamedAsSuch() {
        String message = error("blocks.99999999999.hook_resid_pre");
        assertTrue(message.contains("layer 99999999999") && message.contains("too large"), message);
    }
}
