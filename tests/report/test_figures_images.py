"""Image grids of real and generated samples: one panel per label, the pictures in
the panels, empty panels for diverged losses, the PNG on disk."""

import struct

import matplotlib.pyplot as plt
import numpy as np
import pytest

from losslab.report.figures_images import (
    DPI,
    PANEL_INCHES,
    TITLE_INCHES,
    image_grid,
    plot_sample_grids,
    sample_grids_figure,
)


def png_size(path):
    """(width, height) from the PNG header, read by hand."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def images(n, seed):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=(n, 64)).astype(np.float32)


@pytest.mark.parametrize("labels", [["bce"], ["bce", "wgan-gp"], ["a", "b", "c", "d", "e"]])
def test_png_written_with_one_panel_per_label_plus_real(tmp_path, labels):
    generated = {label: images(40, i) for i, label in enumerate(labels)}
    path = plot_sample_grids(tmp_path / "figures" / "grids.png", images(100, 9), generated)
    assert path == tmp_path / "figures" / "grids.png"
    panels = len(labels) + 1
    cols = min(4, panels)
    rows = -(-panels // cols)
    width, height = png_size(path)
    assert width == round(PANEL_INCHES * cols * DPI)
    assert height == round(((PANEL_INCHES + TITLE_INCHES) * rows + 0.4) * DPI)


def test_panels_titles_pictures_and_diverged(tmp_path):
    reference = images(50, 0)
    generated = {"bce": images(36, 1), "wgan-gp": None, "hinge": images(10, 2)}
    fig = sample_grids_figure(reference, generated, n=36)
    axes = fig.axes
    titles = [ax.get_title() for ax in axes[:4]]
    assert titles == ["real data", "bce", "wgan-gp: no samples (diverged)", "hinge"]
    assert [len(ax.images) for ax in axes] == [1, 1, 0, 1]
    real_panel = axes[0].images[0]
    assert real_panel.get_cmap().name == "gray"
    assert real_panel.get_clim() == (-1.0, 1.0)
    picture = real_panel.get_array()
    assert picture.shape == (6 * 9 - 1, 6 * 9 - 1)  # 6 x 6 images of 8 x 8, 1-pixel gaps
    # image 7 sits in grid row 1, column 1; its pixel (2, 5) is feature 2 * 8 + 5
    assert picture[9 + 2, 9 + 5] == pytest.approx(reference[7, 2 * 8 + 5])
    # only 10 hinge samples: the rest of its grid is black
    hinge = axes[3].images[0].get_array()
    assert hinge[9 * 5 + 3, 9 * 5 + 3] == -1.0
    assert all(not ax.get_xticks().size and not ax.get_yticks().size for ax in axes[:4])
    plt.close(fig)


def test_image_grid_against_a_loop():
    x = images(7, 3)
    grid = image_grid(x, (8, 8), side=3)
    assert grid.shape == (26, 26)
    expected = np.full((26, 26), -1.0)
    for i in range(7):
        for r in range(8):
            for c in range(8):
                expected[(i // 3) * 9 + r, (i % 3) * 9 + c] = x[i, r * 8 + c]
    np.testing.assert_allclose(grid, expected)
    x[0, 0] = np.nan
    assert image_grid(x, (8, 8), side=3)[0, 0] == -1.0
    with pytest.raises(ValueError, match="shape"):
        image_grid(np.zeros((2, 10)), (8, 8), side=2)


def test_nothing_to_draw_writes_nothing(tmp_path):
    path = tmp_path / "grids.png"
    assert plot_sample_grids(path, np.zeros((0, 64)), {"bce": None}) is None
    assert plot_sample_grids(path, None, {}) is None
    assert not path.exists()
    # every loss diverged, the real data is still worth a picture
    assert plot_sample_grids(path, images(4, 0), {"bce": None}) == path
    assert png_size(path)[0] == round(PANEL_INCHES * 2 * DPI)
