#!/usr/bin/env python3
"""One SAE training step written the usual PyTorch way, timed on the GPU: the baseline GpuCheck compares the
cuda backend's step with (scripts/gpu-check.sh runs it where python3 with a CUDA torch is present).

The step, as a competent user writes it (SAELens/sparsify style, nothing hand-fused):
    W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in]: nn.Parameters on the GPU
    pre = (x - b_dec) @ W_enc + b_enc
    vals, idx = topk(pre, k) per row;  z = dense zeros scattered with relu(vals)     (dense codes)
    x_hat = z @ W_dec + b_dec                                                         (dense decoder)
    loss = mean over rows of ||x_hat - x||^2;  loss.backward()                        (autograd)
    W_dec.grad loses its component along each decoder row; torch.optim.Adam(fused=True).step()
    decoder rows renormalized to unit norm
Precision of the GEMM operands, as in jsae: fp32 (TF32 off), tf32 (torch.backends.cuda.matmul.allow_tf32),
bf16 (torch.autocast bfloat16 around the forward); master weights and Adam state stay float32.

Timing: CUDA events around the whole step, the batch's host-to-device copy from pinned memory included (as
jsae's step includes it; --resident keeps the batches on the GPU instead); inputs rotated over --batches distinct
random batches with no zero element; the median of --repeats steps after --warmup steps. Prints one line
`torch_step_ms=<median>` on stdout; details go to stderr.

--device cpu runs the same code on the CPU with wall-clock timing: a self-test of this script, not a baseline.
"""
import argparse
import statistics
import sys
import time

import torch


def parse():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--precision", choices=["fp32", "tf32", "bf16"], default="fp32")
    ap.add_argument("--d-in", type=int, default=4096)
    ap.add_argument("--d-sae", type=int, default=65536)
    ap.add_argument("--k", type=int, default=64)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--batches", type=int, default=4, help="distinct input batches rotated over (default 4)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--device", default="0", help="CUDA device index, or 'cpu' for a self-test of this script")
    ap.add_argument("--resident", action="store_true", help="keep the batches on the GPU (no copy in the step)")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args()


def main():
    a = parse()
    cpu = a.device == "cpu"
    dev = torch.device("cpu") if cpu else torch.device("cuda", int(a.device))
    if not cpu:
        if not torch.cuda.is_available():
            print("torch_step: torch " + torch.__version__ + " sees no CUDA device", file=sys.stderr)
            return 3
        torch.cuda.set_device(dev)
    tf32 = a.precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("high" if tf32 else "highest")
    autocast = a.precision == "bf16"

    torch.manual_seed(a.seed)
    d_in, d_sae, k, batch = a.d_in, a.d_sae, a.k, a.batch
    with torch.no_grad():
        w = torch.randn(d_sae, d_in, device=dev)
        w /= w.norm(dim=-1, keepdim=True)
    W_dec = torch.nn.Parameter(w)
    W_enc = torch.nn.Parameter(w.t().clone())  # W_enc = W_dec^T, as jsae initializes
    b_enc = torch.nn.Parameter(torch.zeros(d_sae, device=dev))
    b_dec = torch.nn.Parameter(torch.zeros(d_in, device=dev))
    params = [W_enc, b_enc, W_dec, b_dec]
    try:
        opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=6.25e-10, fused=not cpu)
        fused = not cpu
    except (TypeError, RuntimeError) as e:  # an old torch without fused Adam
        print("torch_step: fused Adam unavailable (%s); using foreach" % e, file=sys.stderr)
        opt = torch.optim.Adam(params, lr=a.lr, betas=(0.9, 0.999), eps=6.25e-10)
        fused = False

    def random_batch(i):
        g = torch.Generator().manual_seed(a.seed * 1000 + i + 1)
        x = torch.rand(batch, d_in, generator=g) * 2 - 1
        x[x == 0] = 0.5  # never zero
        return x

    if a.resident or cpu:
        inputs = [random_batch(i).to(dev) for i in range(a.batches)]
    else:
        inputs = [random_batch(i).pin_memory() for i in range(a.batches)]

    def step(x_in):
        x = x_in if x_in.device == dev else x_in.to(dev, non_blocking=True)
        with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=autocast):
            pre = (x - b_dec) @ W_enc + b_enc
            vals, idx = torch.topk(pre, k, dim=-1, sorted=False)
            z = torch.zeros_like(pre).scatter(-1, idx, torch.relu(vals))
            x_hat = z @ W_dec + b_dec
        loss = (x_hat.float() - x).pow(2).sum(dim=-1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            g = W_dec.grad
            g.sub_(((g * W_dec).sum(dim=-1, keepdim=True) / (W_dec * W_dec).sum(dim=-1, keepdim=True)) * W_dec)
        opt.step()
        with torch.no_grad():
            W_dec.div_(W_dec.norm(dim=-1, keepdim=True))
        return loss

    times = []
    losses = []
    for s in range(a.warmup + a.repeats):
        x = inputs[s % len(inputs)]
        if cpu:
            t0 = time.perf_counter()
            loss = step(x)
            ms = (time.perf_counter() - t0) * 1e3
        else:
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            loss = step(x)
            end.record()
            torch.cuda.synchronize()
            ms = start.elapsed_time(end)
        losses.append(float(loss))
        if s >= a.warmup:
            times.append(ms)
    if not all(map(lambda v: v == v and abs(v) != float("inf"), losses)):
        print("torch_step: a loss was not finite: %s" % losses, file=sys.stderr)
        return 1
    where = "cpu (self-test: wall clock, not a GPU baseline)" if cpu else torch.cuda.get_device_name(dev)
    print("torch_step: torch %s, %s, %s operands, %s Adam, d_in %d, d_sae %d, k %d, batch %d, %s; loss %.4g -> %.4g; "
          "min %.3f ms, max %.3f ms%s" % (
              torch.__version__, where, a.precision, "fused" if fused else "unfused", d_in, d_sae, k, batch,
              "resident inputs" if (a.resident or cpu) else "pinned host inputs copied in the step", losses[0],
              losses[-1], min(times), max(times),
              "" if cpu else ", peak memory %.1f GiB" % (torch.cuda.max_memory_allocated(dev) / 2 ** 30)),
          file=sys.stderr)
    print("torch_step_ms=%.4f" % statistics.median(times))
    return 0


if __name__ == "__main__":
    sys.exit(main())
