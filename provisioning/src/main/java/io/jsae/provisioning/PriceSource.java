package io.jsae.provisioning;

import java.util.List;

/**
 * A provider API that lists current GPU offers.
 *
 * <p>{@link #read()} gives the offers together with the problems that cost some of them (a GraphQL answer
 * whose {@code errors} concern only part of its {@code data}); {@link #fetch()} gives the offers alone.
 */
public interface PriceSource {

    /**
     * Reads the provider's current offers and the problems met on the way.
     *
     * @return offers dated today, with capacity where the API gives it, and the problems the API reported
     *         about the part of its answer that could not be used
     * @throws PriceSourceException when the API rejects the key or the account, keeps rate limiting, times out,
     *                              answers in an unexpected shape, or reports errors that leave nothing usable
     */
    LiveFetch read() throws PriceSourceException;

    /**
     * Reads the provider's current offers. Problems with part of the answer are logged as warnings by the
     * sources of this library; call {@link #read()} to get them.
     *
     * @return offers dated today, with capacity where the API gives it
     * @throws PriceSourceException as {@link #read()}
     */
    default List<LiveOffer> fetch() throws PriceSourceException {
        return read().offers();
    }
}
