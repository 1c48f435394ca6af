package io.jsae.provisioning;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PriceCatalogTest {

    private static final String HEADER = String.join(",", PriceCatalog.COLUMNS) + "\n";

    @TempDir
    Path dir;

    private Path csv(String body) throws IOException {
        Path file = dir.resolve("offers.csv");
        Files.writeString(file, body);
        return file;
    }

    private static BigDecimal usd(String s) {
        return new BigDecimal(s);
    }

    @Test
    void bundledCatalogHoldsTheGuideOffersWithDateAndSource() {
        PriceCatalog catalog = PriceCatalog.bundled();
        LocalDate guideDay = LocalDate.of(2025, 10, 1);

        Offer lambda = catalog.withProvider("Lambda").single();
        assertEquals(0, lambda.pricePerHour().compareTo(usd("1.29")));
        assertEquals(PricingModel.ON_DEMAND, lambda.pricingModel());
        assertEquals(40, lambda.gpuMemoryGb());
        assertEquals(guideDay, lambda.asOf());
        assertTrue(lambda.source().contains("guide"), lambda.source());

        Offer crusoe = catalog.withProvider("Crusoe").single();
        assertEquals(0, crusoe.pricePerHour().compareTo(usd("0.77")));
        assertEquals(40, crusoe.gpuMemoryGb());

        Offer runPod = catalog.withProvider("RunPod").withPricingModel(PricingModel.SPOT).single();
        assertEquals(0, runPod.pricePerHour().compareTo(usd("0.69")));
        assertEquals(80, runPod.gpuMemoryGb());

        Offer thunder = catalog.withProvider("Thunder Compute").single();
        assertEquals(0, thunder.pricePerHour().multiply(BigDecimal.valueOf(12)).compareTo(usd("7.92")),
                "the guide quoted $7.92 for a 12-hour run");
        assertFalse(thunder.gpuMemoryKnown());

        Offer tensorDock = catalog.withProvider("TensorDock").single();
        assertEquals(PricingModel.MARKETPLACE, tensorDock.pricingModel());
        assertTrue(tensorDock.notes().contains("1.80-2.50"), tensorDock.notes());

        Offer aws = catalog.withProvider("AWS").single();
        assertEquals(8, aws.gpuCount());
        assertEquals(40, aws.gpuMemoryGb());

        for (Offer o : catalog.history()) {
            assertFalse(o.source().isBlank(), o.toString());
            assertTrue(o.asOf().isAfter(LocalDate.of(2020, 1, 1)), o.toString());
        }
    }

    @Test
    void newestRowWinsAndHistoryIsKept() throws IOException {
        PriceCatalog catalog = PriceCatalog.load(csv(HEADER
                + "Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,\n"
                + "Crusoe,A100,1,40,0.77,ON_DEMAND,2025-10-01,guide,\n"
                + "Lambda,A100,1,40,1.48,ON_DEMAND,2026-03-01,price page,\n"
                + "Lambda,A100,1,40,1.10,ON_DEMAND,2025-06-01,older page,\n"));

        List<Offer> current = catalog.offers();
        assertEquals(2, current.size());
        assertEquals("Lambda", current.get(0).provider(), "order of first appearance is kept");
        assertEquals(0, current.get(0).pricePerHour().compareTo(usd("1.48")));
        assertEquals(4, catalog.history().size());
        List<LocalDate> lambdaDates = catalog.history(current.get(0).key()).stream().map(Offer::asOf).toList();
        assertEquals(List.of(LocalDate.of(2025, 6, 1), LocalDate.of(2025, 10, 1), LocalDate.of(2026, 3, 1)),
                lambdaDates);
    }

    @Test
    void plusAddsLivePricesThatWinWhenNewer() {
        Offer live = GuideOffers.offer("Lambda", "1.49", PricingModel.ON_DEMAND, GuideOffers.TODAY);
        Offer guide = GuideOffers.lambda();
        PriceCatalog catalog = PriceCatalog.of(List.of(guide)).plus(List.of(live));

        assertEquals(List.of(live), catalog.offers());
        assertEquals(2, catalog.history().size());
        assertThrows(IllegalArgumentException.class, () -> catalog.plus(List.of(live)),
                "the same offer twice on one day is ambiguous");
    }

    @Test
    void filtersByModelMemoryCountAndPricingModel() {
        PriceCatalog catalog = PriceCatalog.bundled();

        assertEquals(catalog.offers().size(), catalog.withGpuModel("a100").offers().size(),
                "case-insensitive, and 'A100' also matches 'A100 SXM'");
        assertTrue(catalog.withGpuModel("A10").offers().isEmpty(), "'A10' is a different GPU from 'A100'");
        assertTrue(catalog.withMinGpuMemoryGb(80).offers().stream().allMatch(o -> o.gpuMemoryGb() >= 80));
        assertTrue(catalog.withMinGpuMemoryGb(1).offers().stream().allMatch(Offer::gpuMemoryKnown),
                "offers with unstated memory cannot promise a minimum");
        assertEquals("AWS", catalog.withGpuCount(8).single().provider());
        assertEquals(List.of(PricingModel.SPOT),
                catalog.withPricingModel(PricingModel.SPOT).offers().stream().map(Offer::pricingModel).toList());
        assertEquals(3, catalog.withProvider("RunPod").offers().size(),
                "'RunPod' matches 'RunPod (Secure Cloud)' as a whole word");
    }

    @Test
    void singleNamesTheCandidatesWhenAmbiguous() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PriceCatalog.bundled().withProvider("RunPod").single());
        assertTrue(e.getMessage().contains("found 3"), e.getMessage());
    }

    @Test
    void staleAfterFlagsOnlyRowsOlderThanTheLimit() {
        PriceCatalog catalog = PriceCatalog.bundled();
        List<Offer> stale = catalog.staleAfter(Duration.ofDays(90), GuideOffers.TODAY);

        assertTrue(stale.stream().allMatch(o -> o.asOf().equals(LocalDate.of(2025, 10, 1))), stale.toString());
        assertEquals(5, stale.size(), "the five guide rows are over 90 days old on " + GuideOffers.TODAY);
        assertTrue(catalog.staleAfter(Duration.ofDays(3650), GuideOffers.TODAY).isEmpty());
        Offer day90 = GuideOffers.offer("X", "1", PricingModel.ON_DEMAND, GuideOffers.TODAY.minusDays(90));
        assertFalse(day90.isOlderThan(Duration.ofDays(90), GuideOffers.TODAY), "exactly at the limit is fresh");
        assertTrue(day90.isOlderThan(Duration.ofDays(89), GuideOffers.TODAY));
    }

    @Test
    void malformedPriceNamesFileLineAndColumn() throws IOException {
        Path file = csv("# a comment line\n" + HEADER
                + "Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,\n"
                + "\n"
                + "TensorDock,A100,1,,$1.80-2.50,MARKETPLACE,2025-10-01,guide,range\n");

        CatalogFormatException e = assertThrows(CatalogFormatException.class, () -> PriceCatalog.load(file));
        assertEquals(5, e.line(), "comment and blank lines count as lines");
        assertEquals("5 (price_per_hour)", e.column());
        assertEquals(file.toString(), e.file());
        assertTrue(e.getMessage().startsWith(file + ", line 5, column 5 (price_per_hour): "), e.getMessage());
        assertTrue(e.getMessage().contains("no range"), "says what to do: " + e.getMessage());
    }

    @Test
    void eachBadFieldIsNamed() throws IOException {
        String good = "Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,";
        String[][] cases = {
                {"Lambda,A100,1,40,1.29,ON_DEMAND,01/10/2025,guide,", "7 (as_of)"},
                {"Lambda,A100,1,40,1.29,RESERVED,2025-10-01,guide,", "6 (pricing_model)"},
                {"Lambda,A100,0,40,1.29,ON_DEMAND,2025-10-01,guide,", "3 (gpu_count)"},
                {"Lambda,A100,1,forty,1.29,ON_DEMAND,2025-10-01,guide,", "4 (gpu_memory_gb)"},
                {"Lambda,A100,1,40,0,ON_DEMAND,2025-10-01,guide,", "5 (price_per_hour)"},
                {",A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,", "1 (provider)"},
                {"Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,,", "8 (source)"},
        };
        for (String[] c : cases) {
            Path file = csv(HEADER + good + "\n" + c[0] + "\n");
            CatalogFormatException e = assertThrows(CatalogFormatException.class, () -> PriceCatalog.load(file),
                    c[0]);
            assertEquals(3, e.line(), c[0]);
            assertEquals(c[1], e.column(), c[0]);
        }
    }

    @Test
    void rowShapeErrorsNameTheLine() throws IOException {
        CatalogFormatException unquotedComma = assertThrows(CatalogFormatException.class, () -> PriceCatalog.load(
                csv(HEADER + "Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,a note, with a comma\n")));
        assertEquals(2, unquotedComma.line());
        assertTrue(unquotedComma.getMessage().contains("quote"), unquotedComma.getMessage());

        CatalogFormatException missingColumn = assertThrows(CatalogFormatException.class,
                () -> PriceCatalog.load(csv("provider,gpu_model\nLambda,A100\n")));
        assertEquals(1, missingColumn.line());
        assertTrue(missingColumn.getMessage().contains("gpu_count"), missingColumn.getMessage());

        CatalogFormatException unknownColumn = assertThrows(CatalogFormatException.class,
                () -> PriceCatalog.load(csv(HEADER.strip() + ",region\n")));
        assertEquals("10 (region)", unknownColumn.column());

        CatalogFormatException empty = assertThrows(CatalogFormatException.class,
                () -> PriceCatalog.load(csv("# only a comment\n")));
        assertTrue(empty.getMessage().contains("no header"), empty.getMessage());
    }

    @Test
    void sameOfferTwiceOnOneDayIsRejectedWithBothLines() throws IOException {
        CatalogFormatException e = assertThrows(CatalogFormatException.class, () -> PriceCatalog.load(csv(HEADER
                + "Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,\n"
                + "Lambda,A100,1,40,1.48,ON_DEMAND,2025-10-01,other,\n")));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().contains("first on line 2"), e.getMessage());
    }

    @Test
    void quotedFieldsMayHoldCommasAndColumnsMayBeReordered() throws IOException {
        PriceCatalog catalog = PriceCatalog.load(csv(
                "as_of,provider,gpu_model,gpu_count,gpu_memory_gb,price_per_hour,pricing_model,source,notes\n"
                        + "2025-10-01,Lambda,A100,1,40,1.29,on-demand,\"guide, table\",\"a, b\"\n"));
        Offer o = catalog.single();
        assertEquals("guide, table", o.source());
        assertEquals("a, b", o.notes());
        assertEquals(PricingModel.ON_DEMAND, o.pricingModel());
    }

    @Test
    void offerRejectsImpossibleValues() {
        assertThrows(IllegalArgumentException.class, () -> new Offer("L", "A100", 0, 40, BigDecimal.ONE,
                PricingModel.SPOT, GuideOffers.TODAY, "s", ""));
        assertThrows(IllegalArgumentException.class, () -> new Offer("L", "A100", 1, 40, BigDecimal.ZERO,
                PricingModel.SPOT, GuideOffers.TODAY, "s", ""));
        assertThrows(IllegalArgumentException.class, () -> new Offer(" ", "A100", 1, 40, BigDecimal.ONE,
                PricingModel.SPOT, GuideOffers.TODAY, "s", ""));
        assertEquals("", new Offer("L", "A100", 1, 40, BigDecimal.ONE, PricingModel.SPOT, GuideOffers.TODAY, "s",
                null).notes());
    }
}
