"""Where a tiny-network training step's time goes, and two changes tried against it
(issue 15 point 3: "fewer, larger kernels", "torch.compile where it measurably helps").

1. **Floor.** The seed-1d ensemble (6 losses, WGAN critics 5 steps per generator step,
   one gradient penalty) trained with 6 members x batch 2 against the study's 48 members
   x batch 64. The small one does almost no arithmetic: its time per step is the per-op
   cost (Python, the dispatcher, autograd) that every step pays whatever its size.
2. **Thin layers.** Batched GEMM with 1-8 output columns (a critic's score, a 1-D or 2-D
   sample) against the same product transposed, ``(W^T x^T + b^T)^T``: the op alone
   (forward and backward), then the whole seed-1d training with ``EnsembleLinear``
   switched to the transposed form for outputs up to 8 wide.
3. **torch.compile** (inductor, CPU) of a critic step at seed-1d size (forward and loss
   compiled, gradients by autograd): the compile time and the per-step ratio to eager.
   A gradient penalty's double backward cannot go through a compiled graph at all.

Measured here (2 cores, nothing else running; ``--steps 500 --repeats 3``): the floor
is 50% of seed-1d's step (11.7 of 23.4 ms); thin layers alone 1.6-2.5x faster
transposed, the seed-1d training 1.10x, but the whole seed-1d study only 1.02x
(``benchmarks/study_wall.py``: 100.0 s against 98.3 s) while every member's numbers
moved (the accumulation order changes, and GAN training carries a last-bit difference
to metric differences of up to 0.07): not adopted, so every number README and
docs/ quote still reproduces. torch.compile: 2.2 s to compile, then 0.30x (slower) per
step. Neither attacks the floor, which is Python, dispatch and autograd per op.

Each pair runs alternately in this process with ``torch.set_num_threads(1)`` (the
thread policy's choice at this size), best of ``--repeats``; the ratios are what to read.

    python benchmarks/step_overhead.py                  # about 3 minutes
    python benchmarks/step_overhead.py --steps 300 --repeats 3
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import torch

from losslab.nets import EnsembleMLP, ensemble
from losslab.study.config import load_study_config
from losslab.study.planner import plan
from losslab.train.adversarial import train_adversarial

ROOT = Path(__file__).resolve().parents[1]


def seed_1d_task(steps: int, seeds: int | None = None, batch: int | None = None):
    task = plan(load_study_config(ROOT / "examples" / "seed-1d.toml", seeds))[0]
    return replace(task, steps=steps, eval_every=10**9, eval_samples=500,
                   batch_size=batch or task.batch_size)


def train_seconds(task) -> float:
    t0 = time.perf_counter()
    train_adversarial(task)
    return time.perf_counter() - t0


def best(fn, repeats: int) -> float:
    return min(fn() for _ in range(repeats))


def per_call(fn, n: int = 200) -> float:
    for _ in range(10):
        fn()
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n


def transposed_forward(self, x, members=None):
    """``EnsembleLinear.forward`` with outputs up to 8 wide as the transposed product."""
    w, b = (self.weight, self.bias) if members is None else (
        self.weight[members], self.bias[members])
    if self.out_features <= 8:
        t = torch.baddbmm(b.transpose(1, 2), w.transpose(1, 2), x.transpose(1, 2))
        return t.transpose(1, 2)
    return torch.baddbmm(b, x, w)


def floor(steps: int, repeats: int) -> None:
    small, full = seed_1d_task(steps, seeds=1, batch=2), seed_1d_task(steps)
    a = best(lambda: train_seconds(small), repeats)
    b = best(lambda: train_seconds(full), repeats)
    print(f"1. floor, {steps} generator steps: {len(small.members)} members x batch 2 "
          f"{1e3 * a / steps:.1f} ms/step; {len(full.members)} x 64 {1e3 * b / steps:.1f} "
          f"ms/step: {100 * a / b:.0f}% of the study's step is paid at any size")


def layer_pair(s: int, batch: int, n_in: int, n_out: int):
    """Forward + backward of one ensemble layer: ``baddbmm``, and the transposed product."""
    x = torch.randn(s, batch, n_in, requires_grad=True)
    w = torch.randn(s, n_in, n_out, requires_grad=True)
    b = torch.randn(s, 1, n_out, requires_grad=True)
    g = torch.randn(s, batch, n_out)

    def plain():
        torch.autograd.grad(torch.baddbmm(b, x, w), (x, w, b), g)

    def flipped():
        y = torch.baddbmm(b.transpose(1, 2), w.transpose(1, 2), x.transpose(1, 2))
        torch.autograd.grad(y.transpose(1, 2), (x, w, b), g)

    return plain, flipped


def thin(steps: int, repeats: int) -> None:
    print("2. thin layers, forward + backward, us per call (baddbmm / transposed):")
    for s, batch, n_in, n_out in ((48, 128, 32, 1), (30, 128, 64, 2), (10, 200, 200, 1),
                                  (10, 100, 400, 2), (48, 128, 32, 32)):
        plain, flipped = layer_pair(s, batch, n_in, n_out)
        p = min(per_call(plain) for _ in range(repeats))
        q = min(per_call(flipped) for _ in range(repeats))
        print(f"   {s} x [{batch},{n_in}] @ [{n_in},{n_out}]: {1e6 * p:7.1f} / "
              f"{1e6 * q:7.1f} ({p / q:.2f}x)")
    task = seed_1d_task(steps)
    original = ensemble.EnsembleLinear.forward
    times = {"baddbmm": [], "transposed": []}
    for _ in range(repeats):
        for name, forward in (("baddbmm", original), ("transposed", transposed_forward)):
            ensemble.EnsembleLinear.forward = forward
            try:
                times[name].append(train_seconds(task))
            finally:
                ensemble.EnsembleLinear.forward = original
    a, c = min(times["baddbmm"]), min(times["transposed"])
    print(f"   whole seed-1d training, {steps} steps: baddbmm {a:.2f} s, transposed thin "
          f"layers {c:.2f} s ({a / c:.2f}x)")


def compiled(repeats: int) -> None:
    gens = [torch.Generator().manual_seed(s) for s in range(48)]
    critic = EnsembleMLP([1, 32, 32, 1], "leaky_relu", gens)
    params = critic.parameter_list()
    x = torch.randn(48, 128, 1)

    def loss(x):
        return torch.nn.functional.softplus(-critic(x).squeeze(-1)).mean(1).sum()

    fast = torch.compile(loss)
    t0 = time.perf_counter()
    torch.autograd.grad(fast(x), params)
    took = time.perf_counter() - t0
    eager = min(per_call(lambda: torch.autograd.grad(loss(x), params)) for _ in range(repeats))
    comp = min(per_call(lambda: torch.autograd.grad(fast(x), params)) for _ in range(repeats))
    print(f"3. torch.compile of a critic step (48 members, batch 128, 1-32-32-1): compile "
          f"{took:.1f} s; eager {1e6 * eager:.0f} us, compiled {1e6 * comp:.0f} us per step "
          f"({eager / comp:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=500, help="generator steps (default 500)")
    parser.add_argument("--repeats", type=int, default=2, help="best of (default 2)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, torch.set_num_threads(1)")
    floor(args.steps, args.repeats)
    thin(args.steps, args.repeats)
    compiled(args.repeats)


if __name__ == "__main__":
    main()
