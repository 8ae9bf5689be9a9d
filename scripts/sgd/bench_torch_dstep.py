"""PyTorch side of `crates/tabveil-sgd/benches/dp_step.rs`: one CTGAN discriminator step at
pac = 1 with the WGAN-GP penalty, on the same shapes (500 x 150 -> 256 -> 256 -> 1,
LeakyReLU 0.2, dropout 0.5, f32, Adam(2e-4, (0.5, 0.9), wd 1e-6)).

- plain: SDV CTGAN's discriminator step (penalty by create_graph double backward).
- materialised: a DP step with per-example gradients materialised (as Opacus' hooks do; Opacus
  itself cannot differentiate the penalty, so torch.func.vmap over the per-example loss
  -D(real_i) + 10 (||grad_x D(x_hat_i)|| - 1)^2), flat clipping to C = 1, Gaussian noise
  sigma = 1.1 on a Poisson batch (q = 0.05 of 10 000 rows), fake term public, Adam.
- materialised_no_penalty: the same without the penalty term (per-example loss -D(real_i)),
  which is what Opacus' hooks can handle; for comparison with published Opacus timings.

Needs: a Python with torch 2.15.0, CPU
(`$SDV_PYTHON`, default python3; see CONTRIBUTING.md).
Run:   "$SDV_PYTHON" scripts/sgd/bench_torch_dstep.py [--threads 2] [--reps 40]
Prints the median and quartiles of each step in ms, as JSON.
"""

import argparse
import json
import statistics
import time

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

ROWS, BATCH, WIDTH, LAMBDA = 10_000, 500, 150, 10.0
SIGMA, CLIP = 1.1, 1.0


def discriminator():
    return nn.Sequential(
        nn.Linear(WIDTH, 256), nn.LeakyReLU(0.2), nn.Dropout(0.5),
        nn.Linear(256, 256), nn.LeakyReLU(0.2), nn.Dropout(0.5),
        nn.Linear(256, 1),
    )


def adam(d):
    return torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.9), weight_decay=1e-6)


def plain_step(d, opt, real, fake):
    y_fake = d(fake)
    y_real = d(real)
    alpha = torch.rand(real.shape[0], 1)
    interp = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    out = d(interp)
    g = torch.autograd.grad(out, interp, torch.ones_like(out), create_graph=True,
                            retain_graph=True, only_inputs=True)[0]
    pen = ((g.norm(2, dim=1) - 1) ** 2).mean() * LAMBDA
    loss = -(torch.mean(y_real) - torch.mean(y_fake))
    opt.zero_grad(set_to_none=False)
    pen.backward(retain_graph=True)
    loss.backward()
    opt.step()


def make_materialised_step(d, penalty=True):
    names = [n for n, _ in d.named_parameters()]

    def per_example_loss(params, real, fake, alpha):
        def d_out(x):
            return functional_call(d, params, (x.unsqueeze(0),)).squeeze()

        if not penalty:
            return -d_out(real)
        x_hat = alpha * real + (1 - alpha) * fake
        g = grad(d_out)(x_hat)
        return -d_out(real) + LAMBDA * (g.norm(2) - 1) ** 2

    per_example_grads = vmap(grad(per_example_loss), in_dims=(None, 0, 0, 0), randomness="different")

    def step(opt, data, fake):
        mask = torch.rand(ROWS) < BATCH / ROWS
        real = data[mask]
        b = real.shape[0]
        params = {n: p.detach() for n, p in d.named_parameters()}
        alpha = torch.rand(b, 1)
        grads = per_example_grads(params, real, fake[:b], alpha)
        flat = torch.cat([grads[n].reshape(b, -1) for n in names], dim=1)
        norms = flat.norm(2, dim=1)
        factors = (CLIP / (norms + 1e-6)).clamp(max=1.0)
        # Public fake term (mean over the fake batch).
        opt.zero_grad(set_to_none=False)
        torch.mean(d(fake[:BATCH])).backward()
        for n, p in d.named_parameters():
            clipped = torch.einsum("i,i...->...", factors, grads[n])
            noise = torch.normal(0.0, SIGMA * CLIP, size=p.shape)
            p.grad += (clipped + noise) / (ROWS * BATCH / ROWS)
        opt.step()

    return step


def timed(fn, reps):
    for _ in range(5):
        fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    q = statistics.quantiles(times, n=4)
    return {"median_ms": statistics.median(times), "q1_ms": q[0], "q3_ms": q[2], "reps": reps}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=40)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    data = torch.rand(ROWS, WIDTH) * 2 - 1
    fake = torch.rand(BATCH + 100, WIDTH) * 2 - 1
    d_plain = discriminator()
    opt_plain = adam(d_plain)
    real = data[:BATCH]
    plain = timed(lambda: plain_step(d_plain, opt_plain, real, fake[:BATCH]), args.reps)
    d_dp = discriminator()
    opt_dp = adam(d_dp)
    step = make_materialised_step(d_dp)
    materialised = timed(lambda: step(opt_dp, data, fake), args.reps)
    d_np = discriminator()
    opt_np = adam(d_np)
    step_np = make_materialised_step(d_np, penalty=False)
    no_penalty = timed(lambda: step_np(opt_np, data, fake), args.reps)
    print(json.dumps({
        "torch": torch.__version__, "threads": args.threads,
        "plain": plain, "materialised_per_example_dp": materialised,
        "materialised_per_example_dp_no_penalty": no_penalty,
    }, indent=1))


if __name__ == "__main__":
    main()
