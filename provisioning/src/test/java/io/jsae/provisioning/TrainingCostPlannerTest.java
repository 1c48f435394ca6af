package io.jsae.provisioning;

import io.jsae.provisioning.TrainingCostPlanner.RoundLimits;
import io.jsae.provisioning.TrainingCostPlanner.SavingsTable;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingCostPlannerTest {

    private final TrainingCostPlanner planner = new TrainingCostPlanner(GuideOffers.lambda(), new BigDecimal("1.2"));

    private static String cents(BigDecimal amount) {
        return amount.setScale(2, RoundingMode.HALF_UP).toPlainString();
    }

    @Test
    void guideTumixRows() {
        SavingsTable table = planner.plan(10, List.of(2, 3, 5, 7), new RoundLimits(2, 5));

        assertEquals(0, table.baseline().hours().compareTo(BigDecimal.valueOf(12)));
        assertEquals("15.48", cents(table.baseline().cost()));
        assertEquals("3.10", cents(table.scenario(2).cost()));
        assertEquals(0, table.scenario(2).savingPercent().compareTo(BigDecimal.valueOf(80)));
        assertEquals("4.64", cents(table.scenario(3).cost()));
        assertEquals(0, table.scenario(3).savingPercent().compareTo(BigDecimal.valueOf(70)));
        assertTrue(table.scenario(5).possible());
    }

    @Test
    void sevenEpochsAreImpossibleUnderAFiveRoundCap() {
        SavingsTable table = planner.plan(10, List.of(2, 3, 7), new RoundLimits(2, 5));

        assertFalse(table.scenario(7).possible());
        assertTrue(table.scenario(7).impossibleBecause().orElseThrow().contains("5-round cap"));
        String md = table.toMarkdown();
        assertTrue(md.contains("| 7 | 8.4 | $10.84 | n/a | impossible under a 5-round cap: TUMIX stops by epoch 5 |"),
                md);
        assertTrue(md.contains("| 2 | 2.4 | $3.10 | $12.38 (80.0%) |"), md);
        assertTrue(md.contains("| 3 | 3.6 | $4.64 | $10.84 (70.0%) |"), md);
        assertTrue(md.contains("| 10 | 12 | $15.48 | baseline |"), md);
    }

    @Test
    void withoutLimitsOnlyScenariosLongerThanTheBaselineAreImpossible() {
        SavingsTable table = planner.plan(10, List.of(7, 12));

        assertTrue(table.scenario(7).possible());
        assertFalse(table.scenario(12).possible());
        assertTrue(table.limits().isEmpty());
    }

    @Test
    void scenariosBelowTheMinimumRoundsAreImpossible() {
        SavingsTable table = planner.plan(10, List.of(1, 2), new RoundLimits(2, 5));

        assertFalse(table.scenario(1).possible());
        assertTrue(table.scenario(1).impossibleBecause().orElseThrow().contains("minimum of 2"));
        assertTrue(table.scenario(2).possible());
    }

    @Test
    void rejectsNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new RoundLimits(5, 2));
        assertThrows(IllegalArgumentException.class, () -> new RoundLimits(0, 2));
        assertThrows(IllegalArgumentException.class, () -> planner.plan(0, List.of()));
        assertThrows(IllegalArgumentException.class, () -> planner.plan(10, List.of(0)));
        assertThrows(IllegalArgumentException.class,
                () -> new TrainingCostPlanner(GuideOffers.lambda(), BigDecimal.ZERO));
        assertThrows(IllegalArgumentException.class, () -> planner.plan(10, List.of(2)).scenario(3));
    }
}
