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
        PriceCatalog guide = PriceCatalog.guide();
        LocalDate guideDay = LocalDate.of(2025, 10, 1);
        assertEquals(guideDay, PriceCatalog.GUIDE_DATE);

        Offer lambda = guide.withProvider("Lambda").single();
        assertEquals(0, lambda.pricePerHour().compareTo(usd("1.29")));
        assertEquals(PricingModel.ON_DEMAND, lambda.pricingModel());
        assertEquals(40, lambda.gpuMemoryGb());
        assertEquals(guideDay, lambda.asOf());
        assertTrue(lambda.source().contains("guide"), lambda.source());

        Offer crusoe = guide.withProvider("Crusoe").single();
        assertEquals(0, crusoe.pricePerHour().compareTo(usd("0.77")));
        assertEquals(40, crusoe.gpuMemoryGb());

        Offer runPod = guide.withProvider("RunPod").withPricingModel(PricingModel.SPOT).single();
        assertEquals(0, runPod.pricePerHour().compareTo(usd("0.69")));
        assertEquals(80, runPod.gpuMemoryGb());

        Offer thunder = guide.withProvider("Thunder Compute").single();
        assertEquals(0, thunder.pricePerHour().multiply(BigDecimal.valueOf(12)).compareTo(usd("7.92")),
                "the guide quoted $7.92 for a 12-hour run");
        assertFalse(thunder.gpuMemoryKnown());

        Offer tensorDock = guide.withProvider("TensorDock").single();
        assertEquals(PricingModel.MARKETPLACE, tensorDock.pricingModel());
        assertTrue(tensorDock.notes().contains("1.80-2.50"), tensorDock.notes());

        Offer aws = catalog.withProvider("AWS").single();
        assertEquals(8, aws.gpuCount());
        assertEquals(40, aws.gpuMemoryGb());

        for (Offer o : catalog.history()) {
            assertFalse(o.source().isBlank(), o.toString());
            assertTrue(o.asOf().isAfter(LocalDate.of(2020, 1, 1)), o.toString());
        }
        assertTrue(catalog.history().containsAll(guide.history()), "the guide's rows stay in the bundled catalog");
    }

    @Test
    void bundledCatalogAddsNewerDatedRowsBesideTheGuides() {
        PriceCatalog catalog = PriceCatalog.bundled();

        Offer lambda = catalog.withProvider("Lambda").single();
        assertEquals(0, lambda.pricePerHour().compareTo(usd("1.48")), "the newer row is the offer's current price");
        assertEquals(LocalDate.of(2026, 5, 7), lambda.asOf());
        assertTrue(lambda.source().contains("lambda.ai/pricing") && lambda.source().contains("techbytes.app"),
                lambda.source());
        assertEquals(List.of(usd("1.29"), usd("1.48")), catalog.history(lambda.key()).stream()
                .map(Offer::pricePerHour).toList(), "the guide's $1.29 is the offer's history");

        PriceCatalog runPodSpot = catalog.withProvider("RunPod").withPricingModel(PricingModel.SPOT);
        Offer pcie = runPodSpot.withGpuModel("PCIe").single();
        Offer sxm = runPodSpot.withGpuModel("SXM").single();
        assertEquals(0, pcie.pricePerHour().compareTo(usd("1.19")));
        assertEquals(0, sxm.pricePerHour().compareTo(usd("1.39")));
        for (Offer o : List.of(pcie, sxm)) {
            assertEquals(LocalDate.of(2026, 3, 10), o.asOf());
            assertEquals(80, o.gpuMemoryGb());
            assertTrue(o.source().contains("deploybase.ai"), o.source());
        }

        List<PriceCatalog.Superseded> superseded = catalog.superseded();
        assertEquals(1, superseded.size(), superseded.toString());
        assertEquals(GuideOffers.runPodSpot(), superseded.get(0).row(), "the guide's plain RunPod A100 spot row");
        assertEquals(List.of(pcie, sxm), superseded.get(0).by());
        PriceCatalog latest = catalog.withoutSuperseded();
        assertFalse(latest.history().contains(GuideOffers.runPodSpot()));
        assertEquals(2, latest.history(lambda.key()).size(), "an offer's own history is not superseded");
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

    private static Offer row(String provider, String model, int memory, PricingModel pricing, LocalDate asOf) {
        return new Offer(provider, model, 1, memory, usd("1.00"), pricing, asOf, "test", "");
    }

    @Test
    void refinementIsAboutNamesCountMemoryAndPricingModel() {
        LocalDate day = GuideOffers.TODAY;
        Offer plain = row("RunPod", "A100", 80, PricingModel.SPOT, day);

        assertTrue(row("RunPod (Secure Cloud)", "A100 SXM", 80, PricingModel.SPOT, day).refines(plain));
        assertTrue(row("runpod", "a100 pcie", 80, PricingModel.SPOT, day).refines(plain), "names ignore case");
        assertTrue(plain.refines(plain), "a row refines itself");
        assertTrue(row("RunPod", "A100 SXM", 80, PricingModel.SPOT, day)
                .refines(row("RunPod", "A100", 0, PricingModel.SPOT, day)), "memory not stated by the plain row");
        assertFalse(row("RunPod", "A100 SXM", 0, PricingModel.SPOT, day).refines(plain),
                "a row that does not state the memory is not more precise than one that does");
        assertFalse(plain.refines(row("RunPod", "A100 SXM", 80, PricingModel.SPOT, day)), "not the other way");
        assertFalse(row("RunPod", "A100", 80, PricingModel.SPOT, day)
                .refines(row("RunPod", "A10", 80, PricingModel.SPOT, day)), "A100 is not a kind of A10");
        assertFalse(row("RunPodX", "A100", 80, PricingModel.SPOT, day).refines(plain));
        assertFalse(row("RunPod", "A100", 40, PricingModel.SPOT, day).refines(plain));
        assertFalse(row("RunPod", "A100", 80, PricingModel.ON_DEMAND, day).refines(plain));
        assertFalse(new Offer("RunPod", "A100", 2, 80, usd("1"), PricingModel.SPOT, day, "t", "").refines(plain));

        Offer newer = row("RunPod (Secure Cloud)", "A100 SXM", 80, PricingModel.SPOT, day);
        Offer older = row("RunPod", "A100", 80, PricingModel.SPOT, day.minusDays(1));
        assertTrue(newer.supersedes(older));
        assertFalse(older.supersedes(newer));
        assertFalse(newer.supersedes(row("RunPod", "A100", 80, PricingModel.SPOT, day)), "same day: not newer");
    }

    @Test
    void supersededByReportsWhichRowsALiveFetchMadeStale() {
        PriceCatalog guide = PriceCatalog.guide();
        Offer secureSpot = row("RunPod (Secure Cloud)", "A100 SXM", 80, PricingModel.SPOT, GuideOffers.TODAY);
        Offer communitySpot = row("RunPod (Community Cloud)", "A100 PCIe", 80, PricingModel.SPOT,
                GuideOffers.TODAY.minusDays(1));
        Offer onDemand = row("RunPod (Secure Cloud)", "A100 SXM", 80, PricingModel.ON_DEMAND, GuideOffers.TODAY);
        Offer lambda = new Offer("Lambda", "A100 PCIe", 1, 40, usd("1.29"), PricingModel.ON_DEMAND,
                GuideOffers.TODAY, "live", "");

        List<PriceCatalog.Superseded> superseded = guide.supersededBy(List.of(communitySpot, onDemand, secureSpot,
                lambda));

        assertEquals(2, superseded.size(), superseded.toString());
        assertEquals(GuideOffers.lambda(), superseded.get(0).row());
        assertEquals(List.of(lambda), superseded.get(0).by());
        assertEquals(GuideOffers.runPodSpot(), superseded.get(1).row());
        assertEquals(List.of(secureSpot, communitySpot), superseded.get(1).by(), "newest first; on-demand is not"
                + " spot");
        assertTrue(superseded.get(1).toString().contains("superseded by"), superseded.get(1).toString());

        PriceCatalog merged = guide.plus(List.of(communitySpot, onDemand, secureSpot, lambda));
        assertEquals(guide.offers().size() + 4, merged.offers().size(), "plus never replaces a plain row");
        assertEquals(superseded, merged.superseded(), "the merged catalog reports the same rows");
        PriceCatalog latest = merged.withoutSuperseded();
        assertFalse(latest.offers().contains(GuideOffers.runPodSpot()));
        assertFalse(latest.offers().contains(GuideOffers.lambda()));
        assertEquals(guide.offers().size() - 2 + 4, latest.offers().size());
        assertTrue(latest.superseded().isEmpty());
        assertEquals(guide.history().size() + 4, merged.history().size(), "the full catalog keeps every row");
    }

    @Test
    void sameOfferNewerRowCountsAsSupersedingButPlainNewerRowsDoNot() {
        Offer guideLambda = GuideOffers.lambda();
        Offer sameOffer = GuideOffers.offer("Lambda", "1.48", PricingModel.ON_DEMAND, GuideOffers.TODAY);
        Offer plainNewer = row("RunPod", "A100", 0, PricingModel.SPOT, GuideOffers.TODAY);
        PriceCatalog specific = PriceCatalog.of(List.of(row("RunPod (Secure Cloud)", "A100 SXM", 80,
                PricingModel.SPOT, PriceCatalog.GUIDE_DATE)));

        assertEquals(List.of(sameOffer), PriceCatalog.of(List.of(guideLambda)).supersededBy(List.of(sameOffer))
                .get(0).by());
        assertTrue(specific.supersededBy(List.of(plainNewer)).isEmpty(),
                "a newer plain row says nothing about the precise offer");
    }

    @Test
    void asOfGivesTheCatalogAsItStoodOnADay() throws IOException {
        PriceCatalog catalog = PriceCatalog.load(csv(HEADER
                + "Lambda,A100,1,40,1.29,ON_DEMAND,2025-10-01,guide,\n"
                + "Lambda,A100,1,40,1.48,ON_DEMAND,2026-05-07,price page,\n"
                + "Crusoe,A100,1,40,0.77,ON_DEMAND,2025-10-01,guide,\n"));

        assertEquals(0, catalog.asOf(PriceCatalog.GUIDE_DATE).withProvider("Lambda").single().pricePerHour()
                .compareTo(usd("1.29")));
        assertEquals(0, catalog.asOf(LocalDate.of(2026, 5, 7)).withProvider("Lambda").single().pricePerHour()
                .compareTo(usd("1.48")));
        assertTrue(catalog.asOf(LocalDate.of(2025, 9, 30)).history().isEmpty());
        assertTrue(PriceCatalog.guide().history().stream().allMatch(o -> o.asOf().equals(PriceCatalog.GUIDE_DATE)));
        assertEquals(5, PriceCatalog.guide().history().size(), "the guide's five rows");
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
        assertEquals(List.of(PricingModel.SPOT, PricingModel.SPOT, PricingModel.SPOT),
                catalog.withPricingModel(PricingModel.SPOT).offers().stream().map(Offer::pricingModel).toList());
        assertEquals(5, catalog.withProvider("RunPod").offers().size(),
                "'RunPod' matches 'RunPod (Secure Cloud)' as a whole word");
    }

    @Test
    void singleNamesTheCandidatesWhenAmbiguous() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PriceCatalog.bundled().withProvider("RunPod").single());
        assertTrue(e.getMessage().contains("found 5"), e.getMessage());
    }

    @Test
    void staleAfterFlagsOnlyRowsOlderThanTheLimit() {
        PriceCatalog catalog = PriceCatalog.bundled();
        List<Offer> stale = catalog.staleAfter(Duration.ofDays(90), GuideOffers.TODAY);

        assertTrue(stale.stream().allMatch(o -> o.asOf().isBefore(GuideOffers.TODAY.minusDays(90))), stale.toString());
        assertEquals(7, stale.size(), "four guide rows, the 2026-05-07 Lambda row and the two 2026-03-10 RunPod rows"
                + " are over 90 days old on " + GuideOffers.TODAY);
        assertEquals(5, PriceCatalog.guide().staleAfter(Duration.ofDays(90), GuideOffers.TODAY).size(),
                "the five guide rows");
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
