"""The ensemble engine at three sizes: ensemble vs a loop of solo runs, and the
achieved GFLOP/s as a fraction of this machine's fp32 matmul peak.

Sizes (issue 9):
  tiny     the seed study's 1-D nets: [32, 32], batch 64, non-saturating loss
  2x128    a 2-D GAN with 2 x 128 hidden units, batch 128, non-saturating loss
  gan_toy  improved_wgan_training's gan_toy size: 3 x 512, batch 256, WGAN-GP,
           5 critic steps per generator step

Per-step time is the difference between two run lengths divided by the extra
steps, so set-up and evaluation cancel. The solo loop is timed on ``--solo``
members and scaled to the ensemble's size (stated in the output). FLOPs are
counted analytically from the layer sizes (matmuls only): forward 2*in*out per
sample and layer, backward twice that; the gradient penalty's double backward
is counted as one more forward and two more backwards on the interpolates.
The peak is the best of a few 2048^3 fp32 matmuls, measured in the same run.

    python benchmarks/engine_sizes.py --threads 2
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from losslab.data import make_dataset
from losslab.losses import get_loss
from losslab.train.adversarial import (
    AdversarialMember,
    AdversarialTask,
    NetShape,
    train_adversarial,
)
from losslab.train.optim import OptimizerSettings

SIZES = {
    # name: (data, latent, hidden, batch, loss, members)
    "tiny": ({"name": "gaussian"}, 4, (32, 32), 64, "nonsaturating-bce", 64),
    "2x128": ({"name": "ring8"}, 2, (128, 128), 128, "nonsaturating-bce", 16),
    "gan_toy": ({"name": "ring8"}, 2, (512, 512, 512), 256, "wgan-gp", 8),
}


def mlp_flops(sizes: list[int]) -> int:
    return sum(2 * a * b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def step_flops(
    dim: int, latent: int, hidden: tuple[int, ...], batch: int, n_critic: int, gp: bool
) -> float:
    g = mlp_flops([latent, *hidden, dim])
    d = mlp_flops([dim, *hidden, 1])
    critic = batch * g + 2 * batch * 3 * d  # G forward (no grad), D fwd+bwd on real+fake
    if gp:
        critic += batch * (d + 2 * 2 * d)  # interpolates: forward, backward, double backward
    generator = batch * 3 * (g + d)  # through D into G, forward and backward
    return n_critic * critic + generator


def task_for(name: str, members: int) -> AdversarialTask:
    data, latent, hidden, batch, loss, _ = SIZES[name]
    spec = get_loss(loss)
    o = spec.optimizer
    opt = OptimizerSettings(o.name, o.lr, tuple(o.betas), o.alpha, o.eps)
    ms = tuple(
        AdversarialMember(
            i, loss, loss, spec.hyperparameters(), i, int(spec.training.get("n_critic", 1)), opt
        )
        for i in range(members)
    )
    return AdversarialTask(
        study_seed=0,
        dataset=make_dataset(data),
        latent_dim=latent,
        generator=NetShape(hidden, "relu"),
        discriminator=NetShape(hidden, "relu"),
        batch_size=batch,
        steps=1,
        eval_every=10**9,
        eval_samples=100,
        record_every=10**9,
        members=ms,
    )


def per_step(task: AdversarialTask, short: int, long: int) -> float:
    t0 = time.perf_counter()
    train_adversarial(replace(task, steps=short))
    t1 = time.perf_counter()
    train_adversarial(replace(task, steps=long))
    t2 = time.perf_counter()
    return max(1e-9, ((t2 - t1) - (t1 - t0)) / (long - short))


def matmul_peak() -> float:
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * 2048**3 / best / 1e9


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--solo", type=int, default=2, help="solo members timed (then scaled)")
    ap.add_argument("--sizes", default=",".join(SIZES))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    peak = matmul_peak()
    print(
        f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
        f"fp32 matmul peak {peak:.1f} GFLOP/s (best of 5 2048^3 matmuls)"
    )
    print(
        f"{'size':8s} {'S':>3s} {'ens s/step':>10s} {'loop s/step':>11s} {'speed-up':>8s} "
        f"{'member-steps/s':>14s} {'GFLOP/s':>8s} {'of peak':>7s}"
    )
    for name in args.sizes.split(","):
        data, latent, hidden, batch, loss, S = SIZES[name]
        task = task_for(name, S)
        short, long = (5, 25) if name == "gan_toy" else (10, 60)
        ens = per_step(task, short, long)
        solo = (
            sum(
                per_step(replace(task, members=(m,)), short, long)
                for m in task.members[: args.solo]
            )
            / args.solo
        )
        loop = solo * S
        n_critic = task.members[0].n_critic
        flops = S * step_flops(task.dataset.dim, latent, hidden, batch, n_critic, loss == "wgan-gp")
        gflops = flops / ens / 1e9
        print(
            f"{name:8s} {S:3d} {ens:10.4f} {loop:11.4f} {loop / ens:7.1f}x "
            f"{S / ens:14,.0f} {gflops:8.1f} {gflops / peak:7.0%}"
        )
    print(f"(loop time = mean of {args.solo} solo runs x S)")


if __name__ == "__main__":
    main()
