"""Figures for 2-D data: samples over training and the discriminator's view.

* ``scatter_checkpoints.png``: small multiples, one row per loss, one column per
  checkpoint, generated samples (seed 0 of each loss) over the real data.
* ``critic_contours.png``: per loss, the discriminator/critic output at the end of
  training as filled contours, with real samples and generated samples on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

DPI = 110
REAL = dict(s=2, c="0.6", alpha=0.35, linewidths=0)
FAKE = dict(s=3, c="tab:red", alpha=0.6, linewidths=0)


def _limits(reference: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    lo, hi = np.percentile(reference, 0.5, axis=0), np.percentile(reference, 99.5, axis=0)
    pad = 0.25 * (hi - lo)
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


def plot_scatter_checkpoints(
    path: Path,
    reference: np.ndarray,
    samples: Mapping[str, Mapping[int, np.ndarray]],
) -> Path:
    """``samples[loss][step]``: generated points ``[n, 2]`` of one seed at each checkpoint."""
    losses = list(samples)
    steps = sorted({s for per in samples.values() for s in per})
    # at least 6.4 in wide, so the title fits with 2 or 3 checkpoints
    width = max(1.9 * len(steps), 6.4)
    fig, axes = plt.subplots(
        len(losses), len(steps), figsize=(width, 1.9 * len(losses)), squeeze=False
    )
    xlim, ylim = _limits(reference)
    ref = reference[:1000]
    for i, loss in enumerate(losses):
        for j, step in enumerate(steps):
            ax = axes[i, j]
            ax.scatter(ref[:, 0], ref[:, 1], **REAL)
            gen = samples[loss].get(step)
            if gen is not None:
                gen = gen[np.all(np.isfinite(gen), axis=1)]
                ax.scatter(gen[:, 0], gen[:, 1], **FAKE)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_xticks([])
            ax.set_yticks([])
            if i == 0:
                ax.set_title(f"step {step}", fontsize=9)
            if j == 0:
                ax.set_ylabel(loss, fontsize=9)
    fig.suptitle(
        "Generated samples (red, seed 0) over real data (grey) during training", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_critic_contours(
    path: Path,
    reference: np.ndarray,
    critics: Mapping[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]],
    fields: Mapping[str, str] | None = None,
) -> Path:
    """``critics[loss] = (values [G, G], extent [4], generated [n, 2] or None)``;
    ``fields[loss]`` names the field (default "D / critic output")."""
    losses = list(critics)
    cols = min(3, len(losses))
    rows = -(-len(losses) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.6 * rows), squeeze=False)
    ref = reference[:1000]
    for ax, loss in zip(axes.flat, losses, strict=False):
        values, extent, gen = critics[loss]
        xs = np.linspace(extent[0], extent[1], values.shape[1])
        ys = np.linspace(extent[2], extent[3], values.shape[0])
        finite = np.where(np.isfinite(values), values, np.nan)
        cs = ax.contourf(xs, ys, finite, levels=20, cmap="coolwarm")
        fig.colorbar(cs, ax=ax, shrink=0.8)
        ax.scatter(ref[:, 0], ref[:, 1], s=2, c="k", alpha=0.3, linewidths=0)
        if gen is not None:
            gen = gen[np.all(np.isfinite(gen), axis=1)][:1000]
            ax.scatter(gen[:, 0], gen[:, 1], s=3, c="yellow", alpha=0.7, linewidths=0)
        ax.set_title(f"{loss}: {(fields or {}).get(loss, 'D / critic output')}", fontsize=10)
        ax.set_xlim(extent[0], extent[1])
        ax.set_ylim(extent[2], extent[3])
    for ax in list(axes.flat)[len(losses) :]:
        ax.axis("off")
    fig.suptitle(
        "Discriminator/critic or energy at the end (seed 0): real (black), generated (yellow)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def plot_final_samples(
    path: Path, reference: np.ndarray, generated: Mapping[str, np.ndarray | None]
) -> Path:
    """Final samples side by side: one panel per loss (seed 0), real data in grey beneath."""
    losses = list(generated)
    cols = min(4, len(losses))
    rows = -(-len(losses) // cols)
    # one range for every panel (shared axes, with ticks), set from the real data
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.2 * cols, 3.2 * rows), squeeze=False, sharex=True, sharey=True
    )
    xlim, ylim = _limits(reference)
    ref = reference[:1000]
    for ax, loss in zip(axes.flat, losses, strict=False):
        ax.scatter(ref[:, 0], ref[:, 1], **REAL)
        gen = generated[loss]
        if gen is None:
            ax.set_title(f"{loss}: no samples (diverged)", fontsize=9)
        else:
            gen = gen[np.all(np.isfinite(gen), axis=1)][:1000]
            ax.scatter(gen[:, 0], gen[:, 1], **FAKE)
            ax.set_title(loss, fontsize=10)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(losses) :]:
        ax.axis("off")
    fig.suptitle(
        "Samples at the end of training (red, seed 0 of each loss) over real data (grey)",
        fontsize=11,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
