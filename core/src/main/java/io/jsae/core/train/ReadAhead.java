package io.jsae.core.train;

import io.jsae.core.data.ActivationSource;

/**
 * What the trainer and the evaluation share about {@link ActivationSource#readAhead}: while a device SAE works on
 * one batch, the source reads the next into the SAE's {@link io.jsae.core.backend.DeviceSae#followingInputBuffer()}.
 * The rows are the same with or without it; only the time spent waiting for them changes.
 */
final class ReadAhead {
    private ReadAhead() {
    }

    /** @return whether a bounded source has no rows left in its current epoch (nothing to read ahead) */
    static boolean epochExhausted(ActivationSource source) {
        return source.rowsPerEpoch() >= 0 && source.position().row() >= source.rowsPerEpoch();
    }

    /** Stops a read-ahead that no read will take, so that the SAE's buffer may be written, read or freed afterwards. */
    static void stop(ActivationSource source) {
        source.cancelReadAhead();
    }

    /** {@link #stop} while {@code failure} propagates: a further failure is added to it as suppressed. */
    static void stop(ActivationSource source, Throwable failure) {
        try {
            stop(source);
        } catch (RuntimeException | Error e) {
            failure.addSuppressed(e);
        }
    }
}
