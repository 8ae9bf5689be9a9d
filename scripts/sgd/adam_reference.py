"""Reference values for tabveil-sgd's PyTorch-style Adam (coupled L2 weight decay).

Runs torch.optim.Adam (single-tensor implementation, CPU) for a few steps on fixed
parameters and gradients, in float32 and float64, and writes the parameters after every step
to crates/tabveil-sgd/tests/data/adam_reference.json.

Needs: a Python with torch 2.15.0, CPU
(`$SDV_PYTHON`, default python3; see CONTRIBUTING.md).
Run:   "$SDV_PYTHON" scripts/sgd/adam_reference.py
"""

import json
import pathlib

import torch

OUT = pathlib.Path(__file__).resolve().parents[2] / "crates/tabveil-sgd/tests/data/adam_reference.json"

CONFIGS = [
    # name, lr, betas, eps, weight_decay
    ("ctgan", 2e-4, (0.5, 0.9), 1e-8, 1e-6),
    ("tvae", 1e-3, (0.9, 0.999), 1e-8, 1e-5),
    ("large_lr_and_decay", 0.05, (0.5, 0.9), 1e-6, 0.1),
]
STEPS = 6


def main():
    gen = torch.Generator().manual_seed(20260)
    shapes = {"a.weight": (3, 4), "a.bias": (4,), "b.scale": (5,)}
    init = {k: torch.randn(s, generator=gen, dtype=torch.float64) for k, s in shapes.items()}
    # Gradients per step; one parameter gets no gradient at step 3 (torch skips it, and its
    # step count lags behind).
    grads = []
    for t in range(STEPS):
        g = {k: torch.randn(s, generator=gen, dtype=torch.float64) * (1 + t) for k, s in shapes.items()}
        if t == 3:
            del g["b.scale"]
        grads.append(g)
    cases = []
    for name, lr, betas, eps, wd in CONFIGS:
        for dtype in (torch.float32, torch.float64):
            params = {k: torch.nn.Parameter(v.clone().to(dtype)) for k, v in init.items()}
            opt = torch.optim.Adam(list(params.values()), lr=lr, betas=betas, eps=eps,
                                   weight_decay=wd, foreach=False)
            after = []
            for g in grads:
                for k, p in params.items():
                    p.grad = g[k].to(dtype) if k in g else None
                opt.step()
                after.append({k: p.detach().to(torch.float64).flatten().tolist() for k, p in params.items()})
            cases.append({
                "name": name,
                "dtype": "f32" if dtype == torch.float32 else "f64",
                "lr": lr, "beta1": betas[0], "beta2": betas[1], "eps": eps, "weight_decay": wd,
                "after_step": after,
            })
    out = {
        "generator": "scripts/sgd/adam_reference.py",
        "torch_version": torch.__version__,
        "shapes": {k: list(s) for k, s in shapes.items()},
        "init": {k: v.flatten().tolist() for k, v in init.items()},
        "grads": [{k: v.flatten().tolist() for k, v in g.items()} for g in grads],
        "cases": cases,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
