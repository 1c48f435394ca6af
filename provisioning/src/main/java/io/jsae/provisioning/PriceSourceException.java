package io.jsae.provisioning;

import java.util.OptionalInt;

/**
 * A live price source could not produce offers: key rejected, rate limited past the retry budget, timed out,
 * or an answer of an unexpected shape. The message says which provider, what went wrong, where (URL or JSON
 * field) and what to do. It never contains the API key.
 */
public final class PriceSourceException extends Exception {

    private final int httpStatus;

    /**
     * Creates the exception.
     *
     * @param message    what went wrong, where, and what to do
     * @param httpStatus the HTTP status that caused it, or -1 when none
     * @param cause      the underlying exception, or null
     */
    public PriceSourceException(String message, int httpStatus, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
    }

    /**
     * The HTTP status behind the failure, when there was one.
     *
     * @return the status
     */
    public OptionalInt httpStatus() {
        return httpStatus < 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
    }
}
