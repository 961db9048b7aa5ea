"""``losslab probe vanishing``: run the optimal-discriminator probe on a study config."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from losslab.errors import BadInput
from losslab.report.probe import plot_probe
from losslab.study.config import load_config
from losslab.study.planner import plan
from losslab.train.probe import COSTS, probe_vanishing


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
    members = tuple(m for t in plan(config) for m in t.members if m.label == label)
    task = replace(plan(config)[0], members=members)
    total = d_iters * len(after) + sum(after)
    with tqdm(total=total, unit="it", desc="probe", disable=not progress or None) as bar:
        result = probe_vanishing(task, after, d_iters, progress=bar.update)
    out = Path(out)
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
