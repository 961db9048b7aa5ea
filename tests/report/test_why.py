"""Why-figures: valid PNGs, and the plotted curves checked against closed forms."""

from __future__ import annotations

import math

import matplotlib.image as mpimg
import numpy as np
import pytest

from losslab.losses import all_losses
from losslab.report.why import plot_why, why_curves

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("family", ["classification", "regression"])
def test_plot_why_writes_a_png(family, tmp_path):
    out = plot_why(family, tmp_path / "figures" / f"why-{family}.png")
    assert out.read_bytes()[:8] == PNG_SIGNATURE
    image = mpimg.imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 600
    assert image.std() > 0.01  # not blank


def test_unknown_family_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="classification"):
        plot_why("adversarial", tmp_path / "x.png")


@pytest.mark.parametrize("family", ["classification", "regression"])
def test_every_registered_loss_has_a_finite_curve(family):
    curves = why_curves(family)
    assert set(curves) == {s.name for s in all_losses(family)}
    for curve in curves.values():
        assert curve.x.shape == curve.loss.shape == curve.grad.shape
        assert np.isfinite(curve.loss).all() and np.isfinite(curve.grad).all()
        assert not np.any(curve.x == 0.0)  # the sweep skips the kinks at 0


# --- regression: gradient magnitudes in closed form -------------------------------------------


def test_regression_curves_match_closed_forms():
    c = why_curves("regression")
    r = c["mse"].x
    np.testing.assert_allclose(c["mse"].loss, r**2, rtol=1e-12)
    np.testing.assert_allclose(c["mse"].grad, 2 * np.abs(r), rtol=1e-12)
    np.testing.assert_allclose(c["mae"].grad, 1.0)
    np.testing.assert_allclose(c["huber"].grad, np.minimum(np.abs(r), 1.0), rtol=1e-12)
    np.testing.assert_allclose(c["log-cosh"].grad, np.abs(np.tanh(r)), rtol=1e-12)
    np.testing.assert_allclose(c["log-cosh"].loss, np.log(np.cosh(r)), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(c["quantile"].grad, 0.5)  # tau = 0.5
    np.testing.assert_allclose(c["quantile"].loss, 0.5 * np.abs(r), rtol=1e-12)
    # sigma^2 = 1: 0.5 r^2 + 0.5 log(2 pi), gradient |r|
    np.testing.assert_allclose(
        c["gaussian-nll"].loss, 0.5 * r**2 + 0.5 * math.log(2 * math.pi), rtol=1e-12
    )
    np.testing.assert_allclose(c["gaussian-nll"].grad, np.abs(r), rtol=1e-12)


# --- classification: the margin sweep ----------------------------------------------------------


def sweep_logits(m: np.ndarray) -> np.ndarray:
    """The documented 3-class sweep: logits (m, 0, -|m| - 1), true class 0."""
    return np.stack([m, np.zeros_like(m), -np.abs(m) - 1.0], axis=1)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_the_sweep_is_the_margin():
    m = why_curves("classification")["softmax-ce"].x
    z = sweep_logits(m)
    np.testing.assert_allclose(z[:, 0] - z[:, 1:].max(axis=1), m)


def test_classification_curves_match_closed_forms():
    c = why_curves("classification")
    m = c["softmax-ce"].x
    p = softmax(sweep_logits(m))
    onehot = np.zeros_like(p)
    onehot[:, 0] = 1.0
    np.testing.assert_allclose(c["softmax-ce"].loss, -np.log(p[:, 0]), rtol=1e-10)
    np.testing.assert_allclose(c["softmax-ce"].grad, np.linalg.norm(p - onehot, axis=1), rtol=1e-10)
    np.testing.assert_allclose(c["class-weighted-ce"].grad, c["softmax-ce"].grad)
    sig = 1 / (1 + np.exp(-m))
    np.testing.assert_allclose(c["sigmoid-bce"].grad, 1 - sig, rtol=1e-10)
    hinge = c["multiclass-hinge"]
    np.testing.assert_allclose(hinge.loss, np.maximum(0.0, 1.0 - m), atol=1e-12)
    np.testing.assert_allclose(hinge.grad[m < 1], math.sqrt(2))  # -1 on z_y, +1 on z_1
    assert np.all(hinge.grad[m > 1] == 0.0)
    np.testing.assert_allclose(c["mse-probabilities"].loss, ((p - onehot) ** 2).sum(1), rtol=1e-9)


def test_focal_gradient_vanishes_once_right_and_mse_probabilities_once_wrong():
    c = why_curves("classification")
    m = c["softmax-ce"].x
    ce, focal, brier = c["softmax-ce"].grad, c["focal"].grad, c["mse-probabilities"].grad
    right, wrong = m > 6, m < -6
    # gamma = 2: the focal gradient falls like e^{-3m} against CE's e^{-m}
    assert np.all(focal[right] < 1e-3 * ce[right])
    assert np.all(focal[wrong] > 0.9 * ce[wrong])  # ... and keeps CE's pull when wrong
    # softmax saturation: squared error on probabilities loses the gradient when wrong
    assert np.all(ce[wrong] > 1.3) and np.all(brier[wrong] < 0.02)
    # confidently wrong, (1 - p_y)^2 >= (1 - e^-6)^2 > 0.99: focal's loss is CE's
    np.testing.assert_allclose(c["focal"].loss[wrong], c["softmax-ce"].loss[wrong], rtol=1e-2)
