package io.jsae.provisioning;

import java.math.BigDecimal;
import java.time.LocalDate;

/** The guide's offers as read from the bundled catalog's guide rows, and a helper for hand-made offers. */
final class GuideOffers {

    /** The day the tests treat as today, so staleness does not depend on when they run. */
    static final LocalDate TODAY = LocalDate.of(2026, 11, 28);

    private GuideOffers() {
    }

    static Offer lambda() {
        return PriceCatalog.guide().withProvider("Lambda").withGpuModel("A100")
                .withPricingModel(PricingModel.ON_DEMAND).single();
    }

    static Offer runPodSpot() {
        return PriceCatalog.guide().withProvider("RunPod").withPricingModel(PricingModel.SPOT).single();
    }

    static Offer offer(String provider, String price, PricingModel model, LocalDate asOf) {
        return new Offer(provider, "A100", 1, 40, new BigDecimal(price), model, asOf, "test", "");
    }
}
