package io.jsae.core.backend;

import io.jsae.core.JsaeException;

/**
 * A backend cannot run here: its native library is missing or failed to load, no device is present, the device
 * index does not exist, or the backend was not built. The message names the backend and what to add or change;
 * the cause, when there is one, is the original failure (an {@link UnsatisfiedLinkError}, a CUDA error).
 */
public class BackendUnavailableException extends JsaeException {
    private static final long serialVersionUID = 1L;

    /** @param message which backend, why, and what to do */
    public BackendUnavailableException(String message) {
        super(message);
    }

    /**
     * @param message which backend, why, and what to do
     * @param cause   the original failure
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
