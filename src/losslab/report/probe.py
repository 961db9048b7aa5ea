"""The figure of the optimal-discriminator probe (Arjovsky & Bottou 2017, Figs. 2-3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

LABELS = {"minimax-bce": "minimax  log(1 - D(G(z)))", "nonsaturating-bce": "-log D(G(z))"}


def plot_probe(result: dict[str, Any], path: Path) -> Path:
    """Generator gradient norm (log scale) against discriminator iterations: one line per
    (generator age, cost), geometric mean over seeds with a band of the min-max range."""
    its = np.asarray(result["iterations"])
    ages = list(result["curves"])
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True)
    for ax, cost in zip(axes, LABELS, strict=True):
        for k, age in enumerate(ages):
            values = np.asarray(result["curves"][age][cost])  # [records, S]
            logv = np.log10(np.maximum(values, 1e-30))
            color = plt.cm.viridis(k / max(1, len(ages) - 1))
            ax.plot(its, 10 ** logv.mean(1), color=color, label=f"generator after {age} steps")
            ax.fill_between(its, values.min(1), values.max(1), color=color, alpha=0.2)
        ax.set_yscale("log")
        ax.set_xlabel("discriminator iterations (generator frozen)")
        ax.set_title(LABELS[cost])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("generator gradient norm")
    n = np.asarray(result["curves"][ages[0]][next(iter(LABELS))]).shape[1]
    fig.suptitle(
        f"Optimal-discriminator probe (Arjovsky & Bottou 2017): line = geometric mean over "
        f"{n} seeds, band = min-max"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
