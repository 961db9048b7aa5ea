"""Diagnoses on constructed runs whose right verdict is known by construction."""

import numpy as np

from losslab.metrics import mode_coverage
from losslab.metrics.diagnostics import mode_collapse, oscillation, vanishing_gradient


def test_vanishing_gradient_when_norm_collapses_and_discriminator_wins():
    steps = np.arange(1, 1001)
    norm = np.where(steps < 100, steps / 100.0, 10.0 ** (-(steps - 100) / 200.0))  # to 1e-4.5
    acc = np.clip(0.5 + steps / 500.0, 0, 1.0)
    d = vanishing_gradient(norm, acc)
    assert d.verdict
    assert d.evidence["orders"] > 4


def test_no_vanishing_when_discriminator_does_not_win_or_norm_holds():
    steps = np.arange(1, 1001)
    falling = 10.0 ** (-steps / 200.0)
    assert not vanishing_gradient(falling, np.full(1000, 0.6)).verdict
    assert not vanishing_gradient(np.ones(1000), np.ones(1000)).verdict


def test_a_single_spike_is_not_a_peak():
    norm = np.full(500, 1e-3)
    norm[10] = 10.0
    assert not vanishing_gradient(norm, np.ones(500)).verdict


def test_generator_emitting_three_of_eight_ring_modes_is_mode_collapse():
    rng = np.random.default_rng(0)
    angles = 2 * np.pi * np.arange(8) / 8
    centers = np.stack([np.cos(angles), np.sin(angles)], 1)
    emitted = centers[rng.integers(0, 3, 2500)] + 0.01 * rng.standard_normal((2500, 2))
    cov = mode_coverage(emitted, centers, 0.01)
    d = mode_collapse(cov["modes"], 8, cov["reverse_kl"])
    assert d.verdict and d.evidence["modes"] == 3
    assert "3 of 8 modes" in d.summary
    # reverse KL of 3 equally used modes out of 8 is log(8/3) (closed form)
    assert abs(cov["reverse_kl"] - np.log(8 / 3)) < 0.02


def test_full_even_coverage_is_not_mode_collapse():
    assert not mode_collapse(8, 8, 0.001).verdict
    assert mode_collapse(8, 8, 0.5).verdict  # all captured but very uneven


def test_oscillation_when_variance_does_not_decay():
    t = np.arange(2000)
    steady = np.sin(t / 5.0)
    assert oscillation(steady).verdict
    decaying = np.exp(-t / 200.0) * np.sin(t / 5.0)
    assert not oscillation(decaying).verdict
