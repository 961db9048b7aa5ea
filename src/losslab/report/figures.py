"""Report figures: plain arrays in, PNG files out (matplotlib, Agg backend).

Curves are given as ``(steps [T], values [S, T])``: one row per seed on a shared
step grid, NaN where a seed has no value (e.g. after it diverged). Plots show
the mean over seeds (``nanmean``) with a shaded band of +-1 standard deviation.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 110
Curve = tuple[np.ndarray, np.ndarray]  # (steps [T], values [S, T])
BAND = "shaded: ±1 std over seeds"


def slugify(labels: Iterable[str]) -> dict[str, str]:
    """A filesystem-safe, unique slug per label: lowercase, ``[a-z0-9-]`` only.

    Runs of other characters become one ``-``; an empty result becomes ``loss``;
    a slug already taken gets ``-2``, ``-3``, ... appended.
    """
    out: dict[str, str] = {}
    taken: set[str] = set()
    for label in labels:
        if label in out:
            continue
        base = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") or "loss"
        slug, k = base, 2
        while slug in taken:
            slug, k = f"{base}-{k}", k + 1
        taken.add(slug)
        out[label] = slug
    return out


def mean_std(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column-wise ``nanmean`` and ``nanstd`` of ``[S, T]`` values (NaN where a column is empty)."""
    v = np.atleast_2d(np.asarray(values, dtype=np.float64))
    v = np.where(np.isfinite(v), v, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns are expected
        return np.nanmean(v, axis=0), np.nanstd(v, axis=0)


FRACTIONS = {"d_accuracy", "high_quality"}
"""Curves that are fractions: their +-1 std band is clipped to [0, 1], where they live."""


def _band(
    ax, steps, values, label: str, color=None, log: bool = False,
    bounds: tuple[float, float] | None = None,
) -> bool:
    """Draw mean line and +-1 std band (clipped to ``bounds`` when given); False (nothing
    drawn) if there is no finite value."""
    mean, std = mean_std(values)
    if not np.any(np.isfinite(mean)):
        return False
    lo, hi = mean - std, mean + std
    if bounds is not None:
        lo, hi = np.clip(lo, *bounds), np.clip(hi, *bounds)
    if log:
        positive = mean[np.isfinite(mean) & (mean > 0)]
        floor = positive.min() * 0.1 if positive.size else 1e-12
        lo = np.maximum(lo, floor)
    (line,) = ax.plot(steps, mean, label=label, color=color, lw=1.6)
    ax.fill_between(steps, lo, hi, color=line.get_color(), alpha=0.2, lw=0)
    return True


def _no_data(ax) -> None:
    ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="gray")


def _save(fig, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def _n_seeds(*curves: Curve | None) -> int:
    return max((np.atleast_2d(c[1]).shape[0] for c in curves if c is not None), default=0)


def plot_losses(path: Path, label: str, d_loss: Curve | None, g_loss: Curve | None) -> Path:
    """The study group's "loss graph": D and G loss over generator steps, mean +- std over seeds."""
    fig, ax = plt.subplots(figsize=(7, 4))
    drawn = [
        curve is not None and _band(ax, curve[0], curve[1], name)
        for name, curve in (("D loss", d_loss), ("G loss", g_loss))
    ]
    if any(drawn):
        ax.legend(title=BAND, fontsize=9, title_fontsize=8)
    else:
        _no_data(ax)
    ax.set_xlabel("generator step")
    ax.set_ylabel("loss")
    ax.set_title(f"{label}: losses (mean over {_n_seeds(d_loss, g_loss)} seeds ± 1 std)")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_gradients(
    path: Path,
    label: str,
    g_grad_mean: Curve | None,
    g_grad_norm: Curve | None,
    d_grad_norm: Curve | None,
) -> Path:
    """Left: generator gradient signed mean (linear axis, dashed zero line).
    Right: generator and discriminator gradient norms (log y)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    if g_grad_mean is not None and _band(left, *g_grad_mean, "G gradient mean"):
        left.legend(title=BAND, fontsize=9, title_fontsize=8)
    else:
        _no_data(left)
    left.axhline(0.0, color="black", ls="--", lw=0.8)
    left.set_title("generator gradient: signed mean")
    left.set_ylabel("mean of ∂L_G/∂θ_G")
    norms = [
        c is not None and _band(right, *c, name, log=True)
        for name, c in (("G gradient norm", g_grad_norm), ("D gradient norm", d_grad_norm))
    ]
    if any(norms):
        right.set_yscale("log")
        right.legend(title=BAND, fontsize=9, title_fontsize=8)
    else:
        _no_data(right)
    right.set_title("gradient L2 norms")
    right.set_ylabel("‖∇θ‖₂ (log scale)")
    for ax in (left, right):
        ax.set_xlabel("generator step")
        ax.grid(alpha=0.3)
    n = _n_seeds(g_grad_mean, g_grad_norm, d_grad_norm)
    fig.suptitle(f"{label}: gradients (mean over {n} seeds ± 1 std)")
    return _save(fig, path)


COMPARE_PANELS = (
    ("checkpoints", "w1", "W1 to reference (checkpoints)", "W1 (lower is better, log)", True),
    ("checkpoints", "ks", "KS statistic (checkpoints)", "KS (lower is better)", False),
    ("checkpoints", "mmd", "MMD² to reference (checkpoints)", "MMD² (lower is better)", False),
    ("checkpoints", "modes", "modes captured (checkpoints)", "modes (higher is better)", False),
    ("checkpoints", "digit_modes", "digits captured (checkpoints)", "digits of 10", False),
    ("series", "g_grad_norm", "generator gradient norm", "‖∇θ_G‖₂ (log scale)", True),
    ("series", "d_accuracy", "discriminator accuracy", "accuracy", False),
)
"""Candidate panels of the comparison figure; it shows the first four with data."""


def plot_panels(
    path: Path,
    title: str,
    panels: Sequence[tuple[str, str, Sequence[tuple[str, Curve | None]], bool]],
    xlabel: str = "step",
) -> Path:
    """One row of panels ``(title, ylabel, [(name, curve)], log_y)``, each curve the mean
    over seeds with a ±1 std band."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), squeeze=False)
    for ax, (sub, ylabel, curves, log) in zip(axes.flat, panels, strict=True):
        drawn = [c is not None and _band(ax, c[0], c[1], name, log=log) for name, c in curves]
        if any(drawn):
            if log:
                ax.set_yscale("log")
            ax.legend(fontsize=8)
        else:
            _no_data(ax)
        ax.set_title(sub)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    n = _n_seeds(*(c for _, _, cs, _ in panels for _, c in cs))
    fig.suptitle(f"{title} (mean over {n} seeds, {BAND})")
    return _save(fig, path)


def plot_langevin_profile(path: Path, label: str, by_step: np.ndarray, at: np.ndarray) -> Path:
    """Langevin gradient norm along the training chains (x: Langevin step) at several
    training steps (one line each, seed 0)."""
    fig, ax = plt.subplots(figsize=(7, 4))
    rows = np.unique(np.linspace(0, len(at) - 1, min(6, len(at))).round().astype(int))
    cmap = plt.get_cmap("viridis")
    for i, r in enumerate(rows):
        color = cmap(i / max(len(rows) - 1, 1))
        ax.plot(np.arange(1, by_step.shape[1] + 1), by_step[r], color=color,
                label=f"training step {int(at[r])}")
    ax.set_yscale("log")
    ax.set_xlabel("Langevin step within a chain")
    ax.set_ylabel("mean ‖∇ₓE(x)‖₂ (log scale)")
    ax.set_title(f"{label}: Langevin gradient magnitude per step (seed 0)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_compare(path: Path, per_loss: Mapping[str, Mapping[str, Mapping[str, Curve]]]) -> Path:
    """All losses side by side: the first four of :data:`COMPARE_PANELS` with data (W1,
    KS or MMD, modes captured, G gradient norm, D accuracy).

    ``per_loss[label]`` has ``"checkpoints"`` and ``"series"``, each ``{name: Curve}``.
    """
    fig, axes = plt.subplots(2, 2, figsize=(12, 8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    present = [
        p for p in COMPARE_PANELS
        if any(d.get(p[0], {}).get(p[1]) is not None for d in per_loss.values())
    ]
    chosen = (present + [p for p in COMPARE_PANELS if p not in present])[:4]
    for ax, (group, name, title, ylabel, log) in zip(axes.flat, chosen, strict=True):
        drawn = False
        for i, (label, data) in enumerate(per_loss.items()):
            curve = data.get(group, {}).get(name)
            if curve is not None:
                color = colors[i % len(colors)]
                bounds = (0.0, 1.0) if name in FRACTIONS else None
                drawn |= _band(
                    ax, curve[0], curve[1], label, color=color, log=log, bounds=bounds
                )
        if drawn:
            if log:
                ax.set_yscale("log")
            ax.legend(fontsize=8)
        else:
            _no_data(ax)
        ax.set_title(title)
        ax.set_xlabel("step (generator steps for GANs)")
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
    fig.suptitle(f"Losses compared (mean over seeds, {BAND})")
    return _save(fig, path)


def _shared_bins(arrays: Sequence[np.ndarray], bins: int = 50) -> np.ndarray:
    """Bins over the union of each array's central 99% range (outliers would squash the rest)."""
    los, his = [], []
    for a in arrays:
        if a.size:
            lo, hi = np.percentile(a, [0.5, 99.5])
            los.append(lo)
            his.append(hi)
    lo, hi = (min(los), max(his)) if los else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    return np.linspace(lo, hi, bins + 1)


def _finite_1d(a: np.ndarray | None) -> np.ndarray:
    if a is None:
        return np.empty(0)
    v = np.asarray(a, dtype=np.float64).ravel()
    return v[np.isfinite(v)]


def is_one_dimensional(sample: np.ndarray | None) -> bool:
    """True for a 1-D array or an ``[n, 1]`` column."""
    if sample is None:
        return False
    a = np.asarray(sample)
    return a.ndim == 1 or (a.ndim == 2 and a.shape[1] == 1)


def plot_histograms(
    path: Path, panels: Mapping[str, tuple[np.ndarray | None, np.ndarray | None]]
) -> Path | None:
    """One subplot per loss: reference vs generated (pooled over ok seeds) densities.

    ``panels[label] = (reference, generated or None)``. Only for 1-D data: returns
    ``None`` and writes nothing if any sample is not 1-D (or there are no panels).
    """
    samples = [s for pair in panels.values() for s in pair if s is not None]
    if not panels or not samples or not all(is_one_dimensional(s) for s in samples):
        return None
    bins = _shared_bins([_finite_1d(s) for s in samples])
    n = len(panels)
    ncols = min(3, n)
    nrows = -(-n // ncols)
    # one x and one y range for every panel, so the panels compare at a glance
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.2 * ncols, 3.3 * nrows), squeeze=False, sharex=True, sharey=True
    )
    for ax, (label, (reference, generated)) in zip(axes.flat, panels.items(), strict=False):
        ref, gen = _finite_1d(reference), _finite_1d(generated)
        if ref.size:
            ax.hist(ref, bins=bins, density=True, color="gray", alpha=0.5, label="reference")
        if gen.size:
            ax.hist(gen, bins=bins, density=True, histtype="step", lw=1.8, label="generated")
        else:
            ax.text(
                0.5,
                0.9,
                "no generated samples\n(all seeds diverged or failed)",
                ha="center",
                va="top",
                transform=ax.transAxes,
                color="firebrick",
                fontsize=8,
            )
        ax.set_title(label, fontsize=10)
        ax.set_xlabel("x")
        ax.set_ylabel("density")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    fig.suptitle("Final samples: reference vs generated (pooled over ok seeds)")
    return _save(fig, path)


def plot_final(
    path: Path,
    metric: str,
    values: Mapping[str, Sequence[float]],
    summary: Mapping[str, Mapping[str, Any]],
    better: str = "lower",
) -> Path:
    """Per-seed final values of ``metric`` as points per loss, with mean and 95% CI bar.

    ``values[label]`` = per-seed finals (NaN skipped); ``summary[label]`` = its
    ranking entry (``mean``, ``ci95``; ``None`` where unknown).
    """
    labels = list(values)
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(labels) + 2), 4.2))
    rng = np.random.default_rng(0)  # jitter only; fixed so figures are reproducible
    legend: set[str] = set()  # label each artist kind once

    def once(name: str) -> str | None:
        if name in legend:
            return None
        legend.add(name)
        return name

    for i, label in enumerate(labels):
        v = _finite_1d(np.asarray(values[label], dtype=np.float64))
        x = i + rng.uniform(-0.12, 0.12, size=v.size)
        ax.scatter(x, v, s=22, alpha=0.7, color="tab:blue", label=once("seed") if v.size else None)
        entry = summary.get(label, {})
        mean, (lo, hi) = entry.get("mean"), entry.get("ci95", [None, None])
        if mean is None:
            continue
        yerr = None if lo is None or hi is None else [[mean - lo], [hi - mean]]
        ax.errorbar(
            i + 0.3,
            mean,
            yerr=yerr,
            fmt="D",
            color="black",
            capsize=5,
            ms=6,
            label=once("mean, 95% CI"),
        )
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylabel(f"final {metric} ({better} is better)")
    ax.set_title(f"Final {metric} per seed, with mean and 95% CI")
    ax.grid(alpha=0.3, axis="y")
    handles, names = ax.get_legend_handles_labels()
    if handles:
        ax.legend(fontsize=8)
    return _save(fig, path)
