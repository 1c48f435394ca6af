package io.jsae.core.train;

import java.nio.file.Path;

/**
 * A complete, verified checkpoint on disk.
 *
 * @param directory its folder
 * @param state     the trainer state read from it
 */
public record Checkpoint(Path directory, TrainerState state) {
    /** @return the step the checkpoint was taken after */
    public long step() {
        return state.step();
    }
}
