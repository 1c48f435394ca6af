package io.jsae.provisioning;

import java.util.List;
import java.util.Objects;

/**
 * What one read of a provider API produced: the offers, and the problems that cost some of them.
 *
 * @param offers   offers read, dated today
 * @param problems what the API reported about the part of its answer that could not be used (one line each,
 *                 naming the provider and where in the answer); empty when the whole answer was used
 */
public record LiveFetch(List<LiveOffer> offers, List<String> problems) {

    /**
     * Validates and copies.
     *
     * @param offers offers read, dated today
     * @param problems what the API reported about the part of its answer that could not be used
     */
    public LiveFetch {
        offers = List.copyOf(Objects.requireNonNull(offers, "offers"));
        problems = List.copyOf(Objects.requireNonNull(problems, "problems"));
    }

    /**
     * The offers without capacity, ready for {@link PriceCatalog#plus} or {@link PriceCatalog#supersededBy}.
     *
     * @return the offers' dated rows
     */
    public List<Offer> rows() {
        return offers.stream().map(LiveOffer::offer).toList();
    }

    /**
     * Says whether the whole answer was used.
     *
     * @return true when no problem was reported
     */
    public boolean complete() {
        return problems.isEmpty();
    }
}
