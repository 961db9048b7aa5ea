"""Sample metrics against plain loops and closed forms."""

import math

import numpy as np
import pytest

from losslab.metrics import (
    energy_distance,
    ks_statistic,
    moment_errors,
    sample_metrics_1d,
    wasserstein1,
)


@pytest.fixture
def pair():
    rng = np.random.default_rng(7)
    return rng.normal(0.0, 1.0, 300), rng.standard_t(3.0, 300) + 0.4


def test_w1_equals_mean_gap_of_sorted_samples(pair):
    x, y = pair
    xs, ys = sorted(x), sorted(y)
    total = 0.0
    for a, b in zip(xs, ys, strict=True):
        total += abs(a - b)
    assert wasserstein1(x, y) == pytest.approx(total / len(xs), rel=1e-10)


def test_w1_of_a_shift_is_the_shift(pair):
    x, _ = pair
    assert wasserstein1(x, x + 2.5) == pytest.approx(2.5, rel=1e-10)
    assert wasserstein1(x[:, None], (x - 0.75)[:, None]) == pytest.approx(0.75, rel=1e-10)


def test_ks_equals_loop_over_pooled_points():
    rng = np.random.default_rng(3)
    x, y = rng.normal(0, 1, 120), rng.normal(0.3, 1.2, 90)
    best = 0.0
    for t in list(x) + list(y):
        fx = sum(1 for v in x if v <= t) / len(x)
        fy = sum(1 for v in y if v <= t) / len(y)
        best = max(best, abs(fx - fy))
    assert ks_statistic(x, y) == pytest.approx(best, abs=1e-12)
    assert ks_statistic(x, x) == 0.0


def test_energy_distance_equals_double_loop_of_definition():
    rng = np.random.default_rng(11)
    x, y = rng.normal(0, 1, 60), rng.exponential(1.0, 45)

    def mean_abs(a, b):
        return sum(abs(u - v) for u in a for v in b) / (len(a) * len(b))

    expected = math.sqrt(2 * mean_abs(x, y) - mean_abs(x, x) - mean_abs(y, y))
    assert energy_distance(x, y) == pytest.approx(expected, rel=1e-9)
    assert energy_distance(x[:, None], x) == pytest.approx(0.0, abs=1e-12)


def test_moment_errors_hand_values():
    x = np.array([1.0, 2.0, 3.0, 4.0])  # mean 2.5, population std sqrt(1.25)
    ref = np.array([0.0, 0.0, 6.0, 6.0])  # mean 3.0, population std 3.0
    errors = moment_errors(x, ref)
    assert errors["mean_error"] == pytest.approx(0.5)
    assert errors["std_error"] == pytest.approx(3.0 - math.sqrt(1.25))


def test_sample_metrics_keys_and_values(pair):
    x, y = pair
    metrics = sample_metrics_1d(x[:, None], y)
    assert set(metrics) == {"w1", "ks", "energy", "mean_error", "std_error"}
    assert metrics["w1"] == pytest.approx(wasserstein1(x, y))
    assert all(isinstance(v, float) for v in metrics.values())


def test_sample_metrics_with_modes():
    centers = np.array([-4.0, 0.0, 4.0])
    generated = np.array([-4.1, -3.9, 0.2, 0.1, 9.0])  # 4 high-quality, 2 modes
    reference = np.array([-4.0, 0.0, 4.0, 0.0, -4.0])
    metrics = sample_metrics_1d(generated, reference, centers=centers[:, None], std=0.5)
    assert metrics["modes"] == 2.0
    assert metrics["high_quality"] == pytest.approx(4 / 5)
    assert metrics["reverse_kl"] == pytest.approx(math.log(3 * 0.5))  # p = (1/2, 1/2, 0)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_generated_samples_give_nan_metrics(bad):
    generated = np.array([0.1, bad, 0.3])
    reference = np.array([0.0, 0.2, 0.4])
    metrics = sample_metrics_1d(generated, reference, centers=np.array([[0.0]]), std=1.0)
    keys = "w1 ks energy mean_error std_error modes high_quality reverse_kl".split()
    assert set(metrics) == set(keys)
    assert all(math.isnan(v) for v in metrics.values())


def test_bad_shapes_raise():
    with pytest.raises(ValueError):
        wasserstein1(np.zeros((4, 2)), np.zeros(4))
    with pytest.raises(ValueError):
        ks_statistic(np.zeros(0), np.zeros(4))
