package io.jsae.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SaeConfigTest {

    private static void assertNames(String field, Runnable r) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(field), () -> "message should name " + field + ": " + e.getMessage());
    }

    @Test
    void validationNamesTheField() {
        assertNames("activation.k", () -> SaeConfig.builder(8, 16).activation(Activation.topK(17)).build());
        assertNames("dIn", () -> SaeConfig.builder(0, 16).build());
        assertNames("dSae", () -> SaeConfig.builder(8, -1).build());
        assertNames("learningRate", () -> SaeConfig.builder(8, 16).activation(Activation.topK(2)).learningRate(Double.NaN).build());
        assertNames("adamBeta2", () -> SaeConfig.builder(8, 16).activation(Activation.topK(2)).adamBetas(0.9, 1.0).build());
        assertNames("decayFraction", () -> SaeConfig.builder(8, 16).activation(Activation.topK(2)).decayFraction(1.5).build());
        assertNames("kAux", () -> SaeConfig.builder(8, 16).activation(Activation.topK(2)).kAux(0).build());
        assertNames("activation.k", () -> Activation.topK(0));
        assertNames("l1Coefficient", () -> Activation.relu(-1));
    }

    @Test
    void defaultsFollowTheDesign() {
        SaeConfig c = SaeConfig.builder(4096, 65536).build();
        assertEquals(0.9, c.adamBeta1());
        assertEquals(0.999, c.adamBeta2());
        assertEquals(6.25e-10, c.adamEps());
        assertEquals(2048, c.kAux());
        assertEquals(10_000_000L, c.deadTokens());
        assertEquals(1.0 / 32, c.auxCoefficient());
        assertEquals(SaeConfig.BDecInit.GEOMETRIC_MEDIAN, c.bDecInit());
    }

    @Test
    void learningRateWarmsUpAndDecays() {
        SaeConfig c = SaeConfig.builder(8, 16).activation(Activation.topK(2)).learningRate(1.0).warmupSteps(10)
                .totalSteps(100).decayFraction(0.2).build();
        assertEquals(0.1, c.learningRateAt(0), 1e-12);
        assertEquals(1.0, c.learningRateAt(9), 1e-12);
        assertEquals(1.0, c.learningRateAt(80), 1e-12);
        assertEquals(0.5, c.learningRateAt(90), 1e-12);
        assertEquals(0.05, c.learningRateAt(99), 1e-12);
    }
}
