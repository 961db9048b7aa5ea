"""Mode coverage against hand-built sample sets and a loop computation."""

import math

import numpy as np
import pytest

from losslab.metrics import mode_coverage


def ring_of_8(radius=2.0):
    angles = [2 * math.pi * i / 8 for i in range(8)]
    return np.array([[radius * math.cos(a), radius * math.sin(a)] for a in angles])


def loop_reverse_kl(counts):
    k = len(counts)
    total = sum(counts)
    value = 0.0
    for c in counts:
        if c > 0:
            p = c / total
            value += p * math.log(k * p)
    return value


def test_three_of_eight_modes_with_far_samples():
    centers = ring_of_8()
    std = 0.02
    rng = np.random.default_rng(0)
    counts = {0: 10, 3: 5, 6: 1}
    parts = []
    for mode, count in counts.items():
        # offsets of length <= 2 std: well inside the 3-sigma ball
        directions = rng.normal(size=(count, 2))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        parts.append(centers[mode] + directions * rng.uniform(0, 2 * std, size=(count, 1)))
    # near mode 1 but just outside 3 std, the origin, and far away
    outside = centers[1] + np.array([[3.5 * std, 0.0]])
    far = np.array([[0.0, 0.0], [10.0, 10.0], [-7.0, 3.0], [0.5, -0.5]])
    samples = np.concatenate(parts + [outside, far])

    result = mode_coverage(samples, centers, std)
    assert result["modes"] == 3
    assert result["high_quality"] == pytest.approx(16 / 21)
    per_mode = [counts.get(i, 0) for i in range(8)]
    assert result["reverse_kl"] == pytest.approx(loop_reverse_kl(per_mode), rel=1e-12)
    assert isinstance(result["modes"], int)


def test_all_modes_equally_covered_gives_zero_reverse_kl():
    centers = ring_of_8()
    samples = np.repeat(centers, 5, axis=0) + 0.01
    result = mode_coverage(samples, centers, 0.05)
    assert result == {"modes": 8, "high_quality": 1.0, "reverse_kl": pytest.approx(0.0, abs=1e-12)}


def test_one_dimensional_mixture():
    centers = np.array([-4.0, 0.0, 4.0])
    samples = np.array([-4.2, -2.3, 0.0, 0.4, 1.6, 4.0, 3.0])  # std 0.5 -> radius 1.5
    result = mode_coverage(samples, centers[:, None], 0.5)
    # high quality: -4.2 (mode 0), 0.0, 0.4 (mode 1), 4.0, 3.0 (mode 2); not -2.3, 1.6
    assert result["modes"] == 3
    assert result["high_quality"] == pytest.approx(5 / 7)
    assert result["reverse_kl"] == pytest.approx(loop_reverse_kl([1, 2, 2]), rel=1e-12)
    assert mode_coverage(samples[:, None], centers, 0.5) == result


def test_boundary_is_inclusive():
    result = mode_coverage(np.array([1.5]), np.array([0.0, 10.0]), 0.5)
    assert result["high_quality"] == 1.0 and result["modes"] == 1
    assert result["reverse_kl"] == pytest.approx(math.log(2))


def test_no_high_quality_sample_gives_log_k():
    centers = ring_of_8()
    samples = np.array([[0.0, 0.0], [50.0, 50.0]])
    result = mode_coverage(samples, centers, 0.02)
    assert result["modes"] == 0
    assert result["high_quality"] == 0.0
    assert result["reverse_kl"] == pytest.approx(math.log(8))


def test_non_finite_samples_are_never_high_quality():
    centers = np.array([[0.0], [5.0]])
    samples = np.array([[0.0], [np.nan], [np.inf], [5.0]])
    result = mode_coverage(samples, centers, 1.0)
    assert result["modes"] == 2 and result["high_quality"] == 0.5


def test_large_inputs_are_chunked_and_match_brute_force():
    rng = np.random.default_rng(5)
    centers = rng.uniform(-10, 10, size=(100, 2))
    samples = rng.uniform(-11, 11, size=(100_000, 2))
    result = mode_coverage(samples, centers, 0.1)
    subset = samples[:2000]
    brute = mode_coverage(subset, centers, 0.1)
    # brute force on the subset, computed independently
    nearest, good = [], 0
    for s in subset:
        d = np.sqrt(((centers - s) ** 2).sum(axis=1))
        if d.min() <= 0.3:
            good += 1
            nearest.append(int(d.argmin()))
    assert brute["high_quality"] == pytest.approx(good / 2000)
    assert brute["modes"] == len(set(nearest))
    assert 0 < result["modes"] <= 100 and 0 < result["high_quality"] < 1


def test_mismatched_dimensions_raise():
    with pytest.raises(ValueError):
        mode_coverage(np.zeros((3, 2)), np.zeros((4, 3)), 1.0)
    with pytest.raises(ValueError):
        mode_coverage(np.zeros((3, 2)), np.zeros((4, 2)), 0.0)


def _plain_loop_coverage(samples, centers, std):
    """The published protocol written as plain loops (independent of the module)."""
    import math

    counts = [0] * len(centers)
    n_hq = 0
    for x in samples:
        dists = [math.dist(x, c) for c in centers]
        k = min(range(len(centers)), key=lambda i: dists[i])
        if dists[k] <= 3 * std:
            counts[k] += 1
            n_hq += 1
    modes = sum(1 for c in counts if c > 0)
    if n_hq == 0:
        return modes, 0.0, math.log(len(centers))
    kl = sum((c / n_hq) * math.log(len(centers) * c / n_hq) for c in counts if c > 0)
    return modes, n_hq / len(samples), kl


@pytest.mark.parametrize("case", ["all", "one", "none", "low-quality-only"])
def test_mode_coverage_matches_a_plain_loop_on_constructed_sets(case):
    rng = np.random.default_rng(3)
    angles = 2 * np.pi * np.arange(8) / 8
    centers = np.stack([np.cos(angles), np.sin(angles)], 1)
    std = 0.02
    if case == "all":
        samples = centers[rng.integers(0, 8, 400)] + std * rng.standard_normal((400, 2))
    elif case == "one":
        samples = centers[[2] * 300] + std * rng.standard_normal((300, 2))
    elif case == "none":
        samples = 0.5 * centers[rng.integers(0, 8, 200)]  # all halfway to the origin
    else:  # mode 5 is only ever the nearest centre of samples beyond 3 std of it
        good = centers[rng.integers(0, 4, 300)] + std * rng.standard_normal((300, 2))
        bad = centers[[5] * 50] * (1 + 5 * std)  # 5 std outside, still nearest to mode 5
        samples = np.concatenate([good, bad])
    got = mode_coverage(samples, centers, std)
    modes, hq, kl = _plain_loop_coverage(samples, centers, std)
    assert got["modes"] == modes
    assert got["high_quality"] == pytest.approx(hq)
    assert got["reverse_kl"] == pytest.approx(kl)
    if case == "low-quality-only":
        assert modes == 4  # mode 5 not captured by its low-quality samples
