"""Ensemble vs a Python loop of solo runs, same work, one process.

Trains the members of ``examples/seed-1d.toml`` (6 losses x 8 seeds = 48
members, each with its paper's optimiser and n_critic) for ``--steps`` generator
steps twice: once as one ensemble, once as 48 solo runs of the same trainer
one after another. Both compute the same numbers (member i of the ensemble
reproduces its solo run); the script checks that and prints the time ratio.
The two are measured side by side in one run, interleaved ``--repeats`` times,
and the median ratio is reported, because this machine is shared and noisy.

    python benchmarks/ensemble_vs_loop.py --threads 2 --steps 300
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from losslab.study.config import load_config
from losslab.study.planner import plan
from losslab.train.adversarial import train_adversarial

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--config", default=str(ROOT / "examples" / "seed-1d.toml"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument(
        "--threads", type=int, default=2, help="torch.set_num_threads (default 2 = all cores here)"
    )
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    config = load_config(args.config, {"train": {"steps": args.steps, "eval_every": args.steps}})
    (task,) = plan(config)  # one ensemble of every member
    S = len(task.members)
    print(
        f"{S} members, {args.steps} generator steps, batch {task.batch_size}, "
        f"torch threads {torch.get_num_threads()}, {torch.__version__}"
    )

    ens_times, loop_times = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        together = train_adversarial(task)
        ens_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        alone = [train_adversarial(replace(task, members=(m,)))[0] for m in task.members]
        loop_times.append(time.perf_counter() - t0)
        print(
            f"  ensemble {ens_times[-1]:7.2f} s   loop of solo runs {loop_times[-1]:7.2f} s   "
            f"ratio {loop_times[-1] / ens_times[-1]:5.1f}x"
        )

    worst = max(
        float(np.max(np.abs(a.series["g_loss"] - b.series["g_loss"])))
        for a, b in zip(together, alone, strict=True)
        if a.status == b.status == "ok"
    )
    ratios = [lo / en for lo, en in zip(loop_times, ens_times, strict=True)]
    member_steps = S * args.steps
    print(f"same numbers: max |g_loss ensemble - solo| / max(1, |g_loss solo|) = {worst:.1e}")
    print(
        f"member-steps/s: ensemble {member_steps / statistics.median(ens_times):,.0f}, "
        f"loop {member_steps / statistics.median(loop_times):,.0f}"
    )
    print(
        f"ensemble speed-up over the loop (median of {args.repeats}): "
        f"{statistics.median(ratios):.1f}x"
    )


if __name__ == "__main__":
    main()
