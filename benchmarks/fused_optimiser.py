"""The ensemble optimiser's update, one pass over all parameters (now) against one pass
per parameter tensor (before, kept here as ``PerTensor``), side by side in one run on
the parameter shapes of an example's networks; and whether they give the same numbers.

    python benchmarks/fused_optimiser.py                      # seed-1d's G and D, 48 members
    python benchmarks/fused_optimiser.py --hidden 128,128,128 --members 10 --dim 2
    python benchmarks/fused_optimiser.py --study seed-1d --repeats 3   # + whole training

Prints seconds per update (best of ``--repeats``, the two interleaved), the ratio, and
the largest difference between the parameters each leaves after ``--steps`` updates
with random gradients and random per-member masks (0 means bit-identical).
"""

from __future__ import annotations

import argparse
import time

import torch

from losslab.train.optim import EnsembleOptimizer, OptimizerSettings


class PerTensor(EnsembleOptimizer):
    """The update as it was before: a dozen small ops per parameter tensor."""

    @torch.no_grad()
    def step(self, grads, mask=None):
        n = self.step_count.shape[0]
        _, step_size, inv_sqrt_c2, w1, w2 = self.advance(mask)  # the same coefficients
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, strict=True):
            shape = (n,) + (1,) * (p.dim() - 1)
            m.lerp_(g, w1.view(shape))
            v.lerp_(g * g, w2.view(shape))
            denom = (v.sqrt() * inv_sqrt_c2.view(shape)).add_(self.eps.view(shape))
            p.sub_(step_size.view(shape) * m / denom)


def shapes(sizes: list[int], members: int) -> list[tuple[int, ...]]:
    out = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        out += [(members, a, b), (members, 1, b)]
    return out


def whole_training(name: str, steps: int, seeds: int, repeats: int) -> None:
    """A cut-down example's training (no report), with the per-tensor update swapped into
    the trainers and with the current one, interleaved; and whether their metrics agree."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from profile_study import load_config

    import losslab.train.adversarial as adversarial
    import losslab.train.generative as generative
    import losslab.train.supervised as supervised
    from losslab.study.planner import plan_ensembles, plan_members
    from losslab.train import train

    config = load_config(name, steps, seeds, None)
    tasks = plan_ensembles(config, plan_members(config))
    trainers = (adversarial, generative, supervised)

    def run(cls):
        for mod in trainers:
            mod.EnsembleOptimizer = cls
        try:
            t = time.perf_counter()
            results = [r for task in tasks for r in train(task)]
            return time.perf_counter() - t, results
        finally:
            for mod in trainers:
                mod.EnsembleOptimizer = EnsembleOptimizer

    best = {PerTensor: float("inf"), EnsembleOptimizer: float("inf")}
    results = {}
    for _ in range(repeats):
        for cls in best:
            seconds, results[cls] = run(cls)
            best[cls] = min(best[cls], seconds)
    same = all(
        a.metrics == b.metrics and a.status == b.status
        for a, b in zip(results[PerTensor], results[EnsembleOptimizer], strict=True)
    )
    print(f"{name} training ({steps} steps, {seeds} seeds, {len(tasks)} ensembles), best of "
          f"{repeats}: per tensor {best[PerTensor]:.2f} s, one pass "
          f"{best[EnsembleOptimizer]:.2f} s: before / now = "
          f"{best[PerTensor] / best[EnsembleOptimizer]:.2f}x; final metrics identical: {same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=48)
    ap.add_argument("--hidden", default="32,32")
    ap.add_argument("--dim", type=int, default=1, help="data dimension")
    ap.add_argument("--latent", type=int, default=4)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--study", help="also time a cut-down example's training (seed-1d, ...)")
    ap.add_argument("--study-steps", type=int, default=300)
    ap.add_argument("--study-seeds", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    hidden = [int(h) for h in args.hidden.split(",")]
    S = args.members
    # a generator and a discriminator, as in an adversarial ensemble
    params_shapes = shapes([args.latent, *hidden, args.dim], S) + shapes([args.dim, *hidden, 1], S)
    settings = [
        OptimizerSettings("adam", 1e-3 * (1 + s % 3), (0.5, 0.999)) if s % 2 else
        OptimizerSettings("rmsprop", 5e-5) for s in range(S)
    ]
    gen = torch.Generator().manual_seed(0)
    start = [torch.randn(sh, generator=gen) for sh in params_shapes]
    grads = [[torch.randn(sh, generator=gen) for sh in params_shapes] for _ in range(16)]
    masks = [torch.rand(S, generator=gen) < 0.8 for _ in range(16)]

    def run(cls, steps):
        params = [p.clone() for p in start]
        opt = cls(params, settings)
        t = time.perf_counter()
        for i in range(steps):
            opt.step(grads[i % 16], masks[i % 16] if i % 3 else None)
        return (time.perf_counter() - t) / steps, params

    best = {PerTensor: float("inf"), EnsembleOptimizer: float("inf")}
    for _ in range(args.repeats):
        for cls in best:
            best[cls] = min(best[cls], run(cls, args.steps)[0])
    _, before = run(PerTensor, args.steps)
    _, after = run(EnsembleOptimizer, args.steps)
    diff = max((a - b).abs().max().item() for a, b in zip(before, after, strict=True))
    print(f"{len(params_shapes)} parameter tensors x {S} members ({sum(p.numel() for p in start)} "
          f"numbers), torch threads {torch.get_num_threads()}, best of {args.repeats}")
    print(f"per tensor (before): {best[PerTensor] * 1e6:8.1f} us per update")
    print(f"one pass (now):      {best[EnsembleOptimizer] * 1e6:8.1f} us per update")
    print(f"before / now = {best[PerTensor] / best[EnsembleOptimizer]:.2f}x; largest parameter "
          f"difference after {args.steps} updates: {diff:.3g}")
    if args.study:
        whole_training(args.study, args.study_steps, args.study_seeds, args.repeats)


if __name__ == "__main__":
    main()
