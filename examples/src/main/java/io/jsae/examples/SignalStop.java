package io.jsae.examples;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns SIGINT (Ctrl-C) and SIGTERM (a spot interruption notice, {@code kill}) into a request to stop at the
 * next step, so a command can write its checkpoint and exit with its own code instead of the JVM dying in a
 * shutdown hook. A second signal of the same kind ends the process at once with {@link ExitCode#INTERRUPTED},
 * for a user who does not want to wait. Closing restores the previous handlers.
 *
 * <p>It uses {@code sun.misc.Signal} (module jdk.unsupported), the only JDK way to handle a signal; where that
 * is unavailable (e.g. under {@code -Xrs}), {@link #installed()} is false and the caller falls back to a
 * shutdown hook.
 */
final class SignalStop implements AutoCloseable {
    private static final String[] SIGNALS = {"INT", "TERM"};

    private final List<Signal> signals = new ArrayList<>();
    private final List<SignalHandler> previous = new ArrayList<>();

    private SignalStop() {
    }

    /**
     * @param onSignal what the first signal does; it runs on the JVM's signal thread and must return quickly
     * @return the installed handlers (close to restore the previous ones)
     */
    static SignalStop install(Runnable onSignal) {
        SignalStop s = new SignalStop();
        boolean[] seen = new boolean[1];
        SignalHandler handler = sig -> {
            synchronized (seen) {
                if (seen[0]) {
                    Runtime.getRuntime().halt(ExitCode.INTERRUPTED);
                }
                seen[0] = true;
            }
            onSignal.run();
        };
        for (String name : SIGNALS) {
            try {
                Signal sig = new Signal(name);
                s.previous.add(Signal.handle(sig, handler));
                s.signals.add(sig);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                // this signal is reserved here (e.g. -Xrs); the caller's fallback covers it
            }
        }
        return s;
    }

    /** @return whether both SIGINT and SIGTERM are handled */
    boolean installed() {
        return signals.size() == SIGNALS.length;
    }

    @Override
    public void close() {
        for (int i = 0; i < signals.size(); i++) {
            Signal.handle(signals.get(i), previous.get(i));
        }
    }
}
