"""sample_metrics: dispatch on the dimension, N-D keys, mode keys, NaN handling,
and METRIC_INFO covering every key."""

import math

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from losslab.data import make_dataset
from losslab.metrics import (
    METRIC_INFO,
    MODE_METRIC_NAMES,
    SAMPLE_METRIC_NAMES,
    SAMPLE_METRIC_NAMES_ND,
    energy_distance_nd,
    mmd_rbf,
    mode_coverage,
    sample_metrics,
    sample_metrics_1d,
    sliced_wasserstein,
)

ND_KEYS = {"w1", "sliced_w1", "mmd", "energy"}
MODE_KEYS = {"modes", "high_quality", "reverse_kl"}


@pytest.mark.parametrize("column", [False, True])
def test_one_dimension_returns_exactly_sample_metrics_1d(column):
    rng = np.random.default_rng(0)
    gen, ref = rng.normal(size=400), rng.normal(size=400) + 0.2
    if column:
        gen, ref = gen[:, None], ref[:, None]
    assert sample_metrics(gen, ref) == sample_metrics_1d(gen, ref)
    centers = np.array([[-1.0], [0.0], [1.0]])
    with_modes = sample_metrics(gen, ref, centers=centers, std=0.3)
    assert with_modes == sample_metrics_1d(gen, ref, centers, 0.3)
    assert set(with_modes) == set(SAMPLE_METRIC_NAMES) | MODE_KEYS


def test_ring8_gives_the_nd_keys_and_the_mode_keys():
    ring = make_dataset({"name": "ring8"})
    gen = ring.sample(600, np.random.default_rng(1))
    ref = ring.sample(600, np.random.default_rng(2))
    gen[:100] = ring.mode_centers()[0] + 0.5  # some samples far from every mode
    metrics = sample_metrics(gen, ref, ring.mode_centers(), ring.mode_std(), w1_samples=200)
    assert set(metrics) == ND_KEYS | MODE_KEYS
    assert all(isinstance(v, float) for v in metrics.values())

    # w1: the optimal assignment between the first 200 rows of each set
    a, b = gen[:200].astype(np.float64), ref[:200].astype(np.float64)
    costs = np.sqrt(((a[:, None, :] - b[None, :, :]) ** 2).sum(axis=-1))
    rows, cols = linear_sum_assignment(costs)
    assert metrics["w1"] == pytest.approx(costs[rows, cols].mean(), rel=1e-6)

    assert metrics["sliced_w1"] == sliced_wasserstein(gen, ref)
    assert metrics["mmd"] == mmd_rbf(gen, ref)
    assert metrics["energy"] == energy_distance_nd(gen, ref)
    coverage = mode_coverage(gen, ring.mode_centers(), ring.mode_std())
    assert metrics["modes"] == float(coverage["modes"]) == 8.0
    # rows 0..99 are 0.5 from centre 0, far beyond 3 std = 0.03; of the others,
    # those within 0.03 of some centre (about 98.9% in 2-D)
    near = sum(1 for p in gen[100:] if min(math.dist(p, c) for c in ring.mode_centers()) <= 0.03)
    assert 480 < near < 500
    assert metrics["high_quality"] == pytest.approx(near / 600)


def test_without_centres_no_mode_keys():
    grid = make_dataset({"name": "grid25"})
    gen = grid.sample(300, np.random.default_rng(3))
    ref = grid.sample(300, np.random.default_rng(4))
    metrics = sample_metrics(gen, ref)
    assert set(metrics) == ND_KEYS == set(SAMPLE_METRIC_NAMES_ND)
    assert metrics["w1"] > 0 and metrics["energy"] > 0


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_generated_samples_give_nan_everywhere(bad):
    ring = make_dataset({"name": "ring8"})
    gen = ring.sample(50, np.random.default_rng(5))
    gen[7, 1] = bad
    ref = ring.sample(50, np.random.default_rng(6))
    metrics = sample_metrics(gen, ref, ring.mode_centers(), ring.mode_std())
    assert set(metrics) == ND_KEYS | MODE_KEYS
    assert all(math.isnan(v) for v in metrics.values())
    assert set(sample_metrics(gen, ref)) == ND_KEYS


def test_mismatched_reference_raises():
    with pytest.raises(ValueError):
        sample_metrics(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError):
        sample_metrics(np.zeros((5, 2)), np.zeros(5))


def test_metric_info_describes_every_key_in_one_line():
    from losslab.metrics import DIGIT_METRIC_NAMES

    keys = set(SAMPLE_METRIC_NAMES) | set(SAMPLE_METRIC_NAMES_ND) | set(MODE_METRIC_NAMES)
    keys |= set(DIGIT_METRIC_NAMES)
    assert keys == set(METRIC_INFO)
    for key, line in METRIC_INFO.items():
        assert "\n" not in line and line
        assert ("lower is better" in line) != ("higher is better" in line), key
    assert "higher is better" in METRIC_INFO["modes"]
    assert "higher is better" in METRIC_INFO["high_quality"]
    assert "1,000" in METRIC_INFO["w1"]
