"""``losslab probe vanishing``: run the optimal-discriminator probe on a study config."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.outputs import check_out_dir
from losslab.progress import progress_bar
from losslab.report.probe import plot_probe
from losslab.study.bounds import human, memory_limit
from losslab.study.config import load_config
from losslab.study.planner import plan
from losslab.train.probe import COSTS, probe_vanishing

MAX_PROBE_STEPS = 10**9  # generator ages and discriminator iterations
RECORD_EVERY = 10  # the probe records every 10th discriminator iteration (train.probe)


def run_probe(
    config_path: str | Path,
    out: str | Path,
    after: list[int],
    d_iters: int,
    loss: str | None = None,
    seeds: int | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Probe the generators of ``loss`` (default: the config's first loss) trained for
    each of ``after`` steps; write ``summary.json`` and ``figures/probe_vanishing.png``."""
    overrides = {"study": {"seeds": seeds}} if seeds else {}
    config = load_config(config_path, overrides)
    names = [e.display for e in config.losses]
    label = loss or names[0]
    if label not in names:
        raise BadInput(f"--loss {label!r} is not a loss of {config_path} (losses: {names})")
    if len(config.datasets) != 1:
        raise BadInput(f"{config_path}: the probe needs a config with exactly one dataset")
    entry = config.losses[names.index(label)]
    family = get_loss(entry.name).family
    if family != "adversarial":
        raise BadInput(
            f"--loss {label!r} is a {family} loss; the vanishing-gradient probe trains a "
            f"generator against a discriminator, so it needs an adversarial loss "
            f"(losses of {config_path}: {names})"
        )
    for what, steps in (("--after", max(after, default=0)), ("--d-iters", d_iters)):
        if steps > MAX_PROBE_STEPS:
            raise BadInput(f"{what} {steps}: at most {MAX_PROBE_STEPS:,} steps")
    if not after:
        raise BadInput("--after: give at least one generator age (e.g. 0,1000)")
    tasks = plan(config)
    members = tuple(m for t in tasks for m in t.members if m.label == label)
    task = next(t for t in tasks if any(m.label == label for m in t.members))
    # the generator trained for max(after) steps records about 500 rows per series, not
    # one per step of the config's own (shorter) training
    task = replace(task, members=members,
                   record_every=max(task.record_every, max(after) // 500, 1))
    need = len(after) * (d_iters // RECORD_EVERY + 2) * (3 * 8 * len(members) + 200)
    if need > memory_limit():
        raise BadInput(
            f"--d-iters {d_iters} x {len(after)} ages: the probe's curves would need about "
            f"{human(need)} of memory, more than this machine's {human(memory_limit())}"
        )
    out = check_out_dir(out, inputs=[config_path])
    total = d_iters * len(after) + sum(after)
    with progress_bar(total, "probe", "it", enabled=progress) as bar:
        result = probe_vanishing(task, after, d_iters, progress=bar.update)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    plot_probe(result, out / "figures" / "probe_vanishing.png")
    summary = {
        "probe": "vanishing",
        "study": config.study.name,
        "loss": label,
        "config": config.model_dump(mode="json"),
        "d_iters": d_iters,
        "iterations": result["iterations"],
        "results": [
            {
                "generator_steps": age,
                "cost": cost,
                "start": _per_seed(result["curves"][age][cost][0]),
                "end": _per_seed(result["curves"][age][cost][-1]),
                # from the curve's peak: a fresh discriminator is flat at first, so the
                # gradient first grows as it sharpens, then vanishes (or not) as it nears
                # optimality
                "orders_fallen": _per_seed(
                    np.log10(result["curves"][age][cost].max(0) / result["curves"][age][cost][-1])
                ),
                "curve_geometric_mean": [
                    float(10 ** np.mean(np.log10(np.maximum(row, 1e-30))))
                    for row in result["curves"][age][cost]
                ],
                "final_discriminator_accuracy": _per_seed(result["accuracy"][age][-1]),
            }
            for age in after
            for cost in COSTS
        ],
        "figure": "figures/probe_vanishing.png",
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False))
    return summary


def _per_seed(values: np.ndarray) -> list[float | None]:
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=float)]
