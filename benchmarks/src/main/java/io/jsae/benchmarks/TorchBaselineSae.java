package io.jsae.benchmarks;

import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

import java.util.List;

/**
 * The baseline every CPU benchmark here is compared with: the topk SAE as a Java user would write it by hand on
 * libtorch (bytedeco pytorch): dense codes through {@code topk} and {@code scatter}, a dense decoder matmul,
 * autograd, torch's {@code Adam}, and the decoder rows renormalized after each step. Parameters start from
 * {@link InitialWeights#of}, as {@link JsaeCpuSae}'s do.
 *
 * <p>Not thread-safe. Closing releases its tensors and optimizer.
 */
public final class TorchBaselineSae implements AutoCloseable {
    private final int k;
    private final Tensor wEnc;
    private final Tensor bEnc;
    private final Tensor wDec;
    private final Tensor bDec;
    private final AdamOptions options;
    private final Adam adam;
    private final List<Pointer> owned;

    /**
     * @param dIn  input width
     * @param dSae latents
     * @param k    latents kept per row
     */
    public TorchBaselineSae(int dIn, int dSae, int k) {
        this.k = k;
        // Built inside a scope so that the temporaries go with it; what this object keeps is retained past it.
        try (PointerScope scope = new PointerScope()) {
            wDec = torch.empty(dSae, dIn);
            wDec.data_ptr_float().put(InitialWeights.of(dIn, dSae).wDec());
            // requires_grad_ returns a reference to the tensor it is called on, not an owner: keep the owners.
            wEnc = wDec.t().contiguous();
            bEnc = torch.zeros(dSae);
            bDec = torch.zeros(dIn);
            for (Tensor t : new Tensor[] {wEnc, bEnc, wDec, bDec}) {
                t.requires_grad_(true);
            }
            options = new AdamOptions(1e-4);
            options.eps().put(6.25e-10);
            adam = new Adam(new TensorVector(wEnc, bEnc, wDec, bDec), options);
            owned = List.of(wEnc, bEnc, wDec, bDec, options, adam);
            for (Pointer p : owned) {
                p.retainReference();
            }
        }
    }

    /**
     * One training step on a batch: forward, loss, backward, Adam, decoder row renormalization.
     *
     * @param x batch {@code [rows, dIn]}
     */
    public void trainStep(Tensor x) {
        try (PointerScope scope = new PointerScope()) {
            Tensor loss = reconstruction(x).sub(x).pow(new Scalar(2.0)).sum(1).mean();
            adam.zero_grad();
            loss.backward();
            adam.step();
            try (NoGradGuard g = new NoGradGuard()) {
                normalizeRows(wDec);
            }
        }
    }

    /**
     * The forward pass without gradients: encode, keep the top k per row, decode, and the batch's summed squared
     * error (the work of a backend's evaluation pass).
     *
     * @param x batch {@code [rows, dIn]}
     * @return the summed squared reconstruction error
     */
    public double forward(Tensor x) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            return reconstruction(x).sub(x).pow(new Scalar(2.0)).sum().item_double();
        }
    }

    /**
     * The encoder alone: the GEMM and the per-row top k (values and indices, unsorted), nothing decoded.
     *
     * @param x batch {@code [rows, dIn]}
     * @return the sum of the kept values, so that the work cannot be skipped
     */
    public double encode(Tensor x) {
        try (PointerScope scope = new PointerScope(); NoGradGuard g = new NoGradGuard()) {
            Tensor pre = torch.addmm(bEnc, x.sub(bDec), wEnc);
            return pre.topk(k, 1, true, false).get0().sum().item_double();
        }
    }

    private Tensor reconstruction(Tensor x) {
        Tensor pre = x.sub(bDec).matmul(wEnc).add(bEnc);
        T_TensorTensor_T top = pre.topk(k);
        Tensor z = torch.zeros_like(pre).scatter(1, top.get1(), top.get0().relu());
        return z.matmul(wDec).add(bDec);
    }

    private static void normalizeRows(Tensor w) {
        w.div_(w.norm(new ScalarOptional(new Scalar(2.0)), new long[] {1}, true));
    }

    @Override
    public void close() {
        for (Pointer p : owned) {
            p.releaseReference();
        }
    }
}
