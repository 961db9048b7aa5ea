r"""Has a reproduction converged? Its metrics against training steps, and a stated rule.

A reproduction measures its metrics at checkpoints (``reproduce --eval-every``). For a
metric with per-seed values :math:`y_{s,c}` at checkpoints :math:`c = 1..C`, take the
last two quarters of the checkpoints, :math:`Q_3` and :math:`Q_4`, and per seed the
change between their means,

.. math::  d_s = \overline{y}_{s, Q_4} - \overline{y}_{s, Q_3}.

The metric has **plateaued** when the mean change :math:`\bar d` over the seeds is
within two of its standard errors of zero (:math:`|\bar d| \le 2\,\mathrm{SE}(\bar d)`,
no trend that the seeds agree on) *or* smaller than the resolution the paper reports
(two of the paper's standard errors): training longer would not move the number by
more than the noise it is reported with. The rule judges only curves of at least
``MIN_CHECKPOINTS`` = 8 checkpoints (two per quarter): a 100,000-step ring run read at
its fourth checkpoint (high quality 34.6, 63.2, 72.5%) passed the two-SE clause on one
checkpoint per quarter while plainly still rising. A run whose metrics have all plateaued is
"converged" for the comparison; otherwise the comparison says which metric still moves
and in which direction.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["MIN_CHECKPOINTS", "curve_table", "plateau", "plot_plateau"]

#: Checkpoints a curve needs before the rule judges it (two in each quarter).
MIN_CHECKPOINTS = 8


def plateau(
    steps: np.ndarray, values: np.ndarray, resolution: float | None = None
) -> dict[str, Any]:
    """The rule of the module docstring for one metric: ``values`` is ``[seeds, C]`` at
    checkpoint ``steps`` ``[C]`` (NaN: a seed without that checkpoint, left out);
    ``resolution``: two of the paper's standard errors (None: not used). Returns
    ``change`` (mean d), ``se``, ``plateaued``, ``by`` (which clause held) and the two
    quarters' step ranges."""
    steps = np.asarray(steps)
    values = np.asarray(values, dtype=float)
    c = len(steps)
    if c < 2:
        raise ValueError("a plateau needs at least 2 checkpoints")
    q = max(1, c // 4)
    q3, q4 = slice(c - 2 * q, c - q), slice(c - q, c)
    with warnings.catch_warnings():  # a seed with no value in a quarter: NaN, left out
        warnings.simplefilter("ignore", RuntimeWarning)
        d = np.nanmean(values[:, q4], axis=1) - np.nanmean(values[:, q3], axis=1)
    d = d[np.isfinite(d)]
    out: dict[str, Any] = {
        "q3_steps": (int(steps[q3][0]), int(steps[q3][-1])),
        "q4_steps": (int(steps[q4][0]), int(steps[q4][-1])),
        "seeds": int(d.size),
    }
    if d.size == 0:
        return {**out, "change": math.nan, "se": math.nan, "plateaued": False, "by": "no data"}
    change = float(d.mean())
    se = float(d.std(ddof=1) / math.sqrt(d.size)) if d.size > 1 else math.nan
    if c < MIN_CHECKPOINTS:
        return {**out, "change": change, "se": se, "plateaued": False,
                "by": f"too few checkpoints to judge ({c}; the rule needs {MIN_CHECKPOINTS})"}
    by = ""
    if math.isfinite(se) and abs(change) <= 2 * se:
        by = "within 2 SE of no change"
    elif resolution is not None and abs(change) < resolution:
        by = "below the paper's resolution (2 SE)"
    return {**out, "change": change, "se": se, "plateaued": bool(by), "by": by or "still moving"}


def curve_table(
    steps: np.ndarray, curves: dict[str, np.ndarray], scale: dict[str, float] | None = None
) -> list[str]:
    """Lines ``step  metric mean +- SE ...`` over the seeds, one per checkpoint."""
    scale = scale or {}
    names = list(curves)
    lines = [f"{'step':>8s} " + " ".join(f"{n:>20s}" for n in names)]
    for j, step in enumerate(steps):
        cells = []
        for n in names:
            col = np.asarray(curves[n], dtype=float)[:, j] * scale.get(n, 1.0)
            col = col[np.isfinite(col)]
            mean = col.mean() if col.size else math.nan
            se = col.std(ddof=1) / math.sqrt(col.size) if col.size > 1 else math.nan
            cells.append(f"{mean:>11.3g} +- {se:<5.2g}")
        lines.append(f"{int(step):>8,d} " + " ".join(cells))
    return lines


def plot_plateau(
    steps: np.ndarray,
    curves: dict[str, np.ndarray],
    paper: dict[str, tuple[float, float]],
    path: Path,
    title: str,
    scale: dict[str, float] | None = None,
) -> Path:
    """One panel per metric: the mean over seeds against generator steps with a band of
    +- 1 SE, each seed faint, and the paper's mean +- SE as a horizontal band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scale = scale or {}
    fig, axes = plt.subplots(1, len(curves), figsize=(4.6 * len(curves), 3.8))
    axes = np.atleast_1d(axes)
    for ax, (name, values) in zip(axes, curves.items(), strict=True):
        v = np.asarray(values, dtype=float) * scale.get(name, 1.0)
        n = np.sum(np.isfinite(v), axis=0)
        with np.errstate(all="ignore"):
            mean = np.nanmean(v, axis=0)
            se = np.nanstd(v, axis=0, ddof=1) / np.sqrt(np.maximum(n, 1))
        for row in v:
            ax.plot(steps, row, color="0.75", lw=0.7)
        ax.plot(steps, mean, color="C0", lw=2, label=f"ours (mean +- SE, {v.shape[0]} seeds)")
        ax.fill_between(steps, mean - se, mean + se, color="C0", alpha=0.25)
        if name in paper:
            pm, pse = paper[name]
            ax.axhline(pm, color="C3", ls="--", label="paper (mean +- SE)")
            ax.axhspan(pm - pse, pm + pse, color="C3", alpha=0.15)
        ax.set_xlabel("generator steps")
        ax.set_title(name + (" (%)" if scale.get(name, 1.0) == 100.0 else ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
