package io.jsae.provisioning;

import java.util.List;

/** A provider API that lists current GPU offers. */
public interface PriceSource {

    /**
     * Reads the provider's current offers.
     *
     * @return offers dated today, with capacity where the API gives it
     * @throws PriceSourceException when the API rejects the key, keeps rate limiting, times out or answers
     *                              in an unexpected shape
     */
    List<LiveOffer> fetch() throws PriceSourceException;
}
