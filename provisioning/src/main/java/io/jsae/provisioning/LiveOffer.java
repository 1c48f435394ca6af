package io.jsae.provisioning;

import java.util.List;
import java.util.Objects;

/**
 * An offer read from a provider's API just now, with the capacity the API reported.
 *
 * @param offer    the offer, dated today
 * @param capacity whether the provider said it can launch this offer now
 * @param regions  regions with capacity, where the API names them; empty otherwise
 */
public record LiveOffer(Offer offer, Capacity capacity, List<String> regions) {

    /**
     * Validates and copies.
     *
     * @param offer the offer, dated today
     * @param capacity whether the provider said it can launch this offer now
     * @param regions regions with capacity, where the API names them; empty otherwise
     */
    public LiveOffer {
        Objects.requireNonNull(offer, "offer");
        Objects.requireNonNull(capacity, "capacity");
        regions = List.copyOf(regions);
    }

    /** Whether the provider can launch the offer now. */
    public enum Capacity {
        /** The API reported capacity. */
        AVAILABLE,
        /** The API reported no capacity. */
        UNAVAILABLE,
        /** The API says nothing about capacity for this offer. */
        UNKNOWN
    }
}
