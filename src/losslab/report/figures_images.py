"""Figures for image data: generated samples drawn as image grids (matplotlib, Agg).

* ``sample_grids.png``: one panel per loss (after a first panel of real data),
  each a square grid of images on a grey scale from -1 (black) to 1 (white).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

DPI = 110
REAL_LABEL = "real data"
PANEL_INCHES = 2.2
TITLE_INCHES = 0.3  # room above each row of panels for the panel titles
PANELS_PER_ROW = 4


def image_grid(images: np.ndarray, image_shape: tuple[int, int], side: int) -> np.ndarray:
    """The first ``side * side`` rows of ``images [n, H*W]`` tiled row by row into
    one ``[side*(H+1) - 1, side*(W+1) - 1]`` picture, images separated by a
    one-pixel line of value -1 (black). Missing images (n < side^2) stay -1;
    non-finite pixels become -1."""
    h, w = image_shape
    flat = np.asarray(images, dtype=np.float64).reshape(len(images), -1)[: side * side]
    if flat.shape[1] != h * w:
        raise ValueError(f"images of {flat.shape[1]} pixels do not have shape {image_shape}")
    flat = np.where(np.isfinite(flat), flat, -1.0)
    grid = np.full((side * (h + 1) - 1, side * (w + 1) - 1), -1.0)
    for i, pixels in enumerate(flat):
        row, col = divmod(i, side)
        top, left = row * (h + 1), col * (w + 1)
        grid[top : top + h, left : left + w] = pixels.reshape(h, w)
    return grid


def sample_grids_figure(
    reference: np.ndarray | None,
    generated: Mapping[str, np.ndarray | None],
    image_shape: tuple[int, int] = (8, 8),
    n: int = 36,
) -> Figure | None:
    """The figure of :func:`plot_sample_grids` (not saved, not closed), or None when
    there is nothing to draw. Its first ``1 + len(generated)`` axes are the panels
    in order (fewer by one without reference images); any further axes are blank."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    panels: list[tuple[str, np.ndarray | None]] = []
    if reference is not None and len(reference) > 0:
        panels.append((REAL_LABEL, reference))
    panels += list(generated.items())
    if all(images is None or len(images) == 0 for _, images in panels):
        return None
    side = math.isqrt(n - 1) + 1  # ceil(sqrt(n)): n = 36 gives a 6 x 6 grid
    cols = min(PANELS_PER_ROW, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(PANEL_INCHES * cols, (PANEL_INCHES + TITLE_INCHES) * rows + 0.4),
        squeeze=False,
    )
    for ax, (label, images) in zip(axes.flat, panels, strict=False):
        ax.set_xticks([])
        ax.set_yticks([])
        if images is None or len(images) == 0:
            ax.set_title(f"{label}: no samples (diverged)", fontsize=8, color="gray")
            for spine in ax.spines.values():
                spine.set_color("0.8")
            continue
        ax.imshow(
            image_grid(images, image_shape, side),
            cmap="gray",
            vmin=-1.0,
            vmax=1.0,
            interpolation="nearest",
        )
        ax.set_title(label, fontsize=9)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    fig.suptitle(f"Real and generated images (first {n} samples of each)")
    fig.tight_layout()
    return fig


def plot_sample_grids(
    path: Path,
    reference: np.ndarray | None,
    generated: Mapping[str, np.ndarray | None],
    image_shape: tuple[int, int] = (8, 8),
    n: int = 36,
) -> Path | None:
    """Real and generated images side by side, saved as a PNG at ``path``.

    A first panel ``"real data"`` shows ``reference [m, H*W]`` (left out when it
    is None or empty), then one panel per label of ``generated`` its ``[k, H*W]``
    samples (one seed); each panel is a ceil(sqrt(n)) x ceil(sqrt(n)) grid of the
    first ``n`` images (:func:`image_grid`), grey colour map with -1 black and
    1 white, no ticks, the label as title. A label whose samples are None (the
    member diverged) gets an empty panel titled ``"<label>: no samples (diverged)"``.
    Panels fill rows of up to four.

    Returns ``path``, or None (no file written) when there is nothing to draw:
    no reference image and no generated sample.
    """
    fig = sample_grids_figure(reference, generated, image_shape, n)
    if fig is None:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
