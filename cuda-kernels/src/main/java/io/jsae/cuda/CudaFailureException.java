package io.jsae.cuda;

import io.jsae.core.JsaeException;

/**
 * A device SAE failed on its device: a kernel could not start or faulted (the message names the kernel and
 * CUDA's error text), device memory ran out (the message says how many bytes were asked and how many are free),
 * or cuBLAS failed. Such an error is sticky: the SAE refuses every later call with the same message; close it
 * and start again from the last checkpoint. Under the host emulation the message also names the block and thread
 * of an out-of-bounds access or of a barrier that not every thread reached.
 */
public class CudaFailureException extends JsaeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, in which kernel or call, and CUDA's text */
    public CudaFailureException(String message) {
        super(message);
    }
}
