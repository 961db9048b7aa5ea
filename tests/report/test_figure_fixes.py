"""The figure fixes of issue 17, checked on the drawn matplotlib objects."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from losslab.report import figures, figures2d  # noqa: E402


@pytest.fixture
def kept(monkeypatch):
    """The figures the plot functions close, kept open for inspection."""
    figs = []
    close = plt.close
    for module in (figures, figures2d):
        monkeypatch.setattr(module.plt, "close", lambda fig=None: figs.append(fig))
    yield figs
    for f in figs:
        close(f)


def _ring(n=400, seed=0):
    rng = np.random.default_rng(seed)
    a = 2 * np.pi * rng.integers(0, 8, n) / 8
    return np.stack([np.cos(a), np.sin(a)], 1) + 0.05 * rng.standard_normal((n, 2))


def test_discriminator_accuracy_band_stays_in_0_1(tmp_path, kept):
    steps = np.arange(1, 51)
    # seeds at 0.4 and 1.0: mean 0.7, std 0.3 -> an unclipped band reaches 1.0 .. 0.4
    values = np.stack([np.full(50, 0.4), np.full(50, 1.0), np.full(50, 1.0), np.full(50, 1.0)])
    per_loss = {"a": {"series": {"d_accuracy": (steps, values)}, "checkpoints": {}}}
    figures.plot_compare(tmp_path / "c.png", per_loss)
    ax = next(a for a in kept[-1].axes if a.get_title() == "discriminator accuracy")
    (band,) = ax.collections
    ys = np.concatenate([p.vertices[:, 1] for p in band.get_paths()])
    std = values.std(axis=0, ddof=0)[0]
    assert 0.85 + std > 1.0  # the unclipped band would leave [0, 1]
    assert ys.max() <= 1.0 and ys.min() >= 0.0


def test_scatter_checkpoints_title_fits_with_two_checkpoints(tmp_path, kept):
    ref = _ring()
    figures2d.plot_scatter_checkpoints(
        tmp_path / "s.png", ref, {"gan": {0: ref[:50], 100: ref[50:100]}}
    )
    fig = kept[-1]
    fig.canvas.draw()
    title = fig._suptitle.get_window_extent(fig.canvas.get_renderer())
    box = fig.bbox
    assert title.x0 >= box.x0 and title.x1 <= box.x1


def test_final_samples_have_ticks_and_one_range(tmp_path, kept):
    ref = _ring()
    figures2d.plot_final_samples(
        tmp_path / "f.png", ref, {"a": ref[:100] * 3, "b": ref[:100] * 0.1, "c": None}
    )
    axes = [a for a in kept[-1].axes if a.axison]
    assert len(axes) == 3
    assert len({a.get_xlim() for a in axes}) == 1 and len({a.get_ylim() for a in axes}) == 1
    assert all(len(a.get_xticks()) > 0 and len(a.get_yticks()) > 0 for a in axes)
    lo, hi = np.percentile(ref, [0.5, 99.5], axis=0)
    assert axes[0].get_xlim()[0] < lo[0] and axes[0].get_xlim()[1] > hi[0]
