"""N-D distances against brute-force assignments, plain double loops, closed forms
and scipy."""

import math
import statistics

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import linear_sum_assignment

from losslab.metrics import distances, energy_distance_nd, exact_w1, mmd_rbf, sliced_wasserstein


def euclidean_matrix(x, y):
    return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1))


def assignment_w1(x, y):
    """W1 of two equal-size point sets: mean matched distance of the optimal assignment."""
    costs = euclidean_matrix(x, y)
    rows, cols = linear_sum_assignment(costs)
    return costs[rows, cols].mean()


# ---------------------------------------------------------------- exact_w1


@pytest.mark.parametrize("d", [2, 3, 7])
def test_exact_w1_equals_the_optimal_assignment(d):
    rng = np.random.default_rng(d)
    x = rng.normal(size=(40, d))
    y = rng.standard_t(3.0, size=(40, d)) + 0.3
    assert exact_w1(x, y) == pytest.approx(assignment_w1(x, y), rel=1e-7)


def test_exact_w1_in_one_dimension_is_the_sorted_closed_form():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=200), rng.exponential(size=200)
    expected = sum(abs(a - b) for a, b in zip(sorted(x), sorted(y), strict=True)) / 200
    assert exact_w1(x, y) == pytest.approx(expected, rel=1e-7)
    assert exact_w1(x[:, None], y[:, None]) == pytest.approx(expected, rel=1e-7)
    # unequal sizes: the integral of |F_x - F_y|, as scipy computes it
    assert exact_w1(x[:150], y) == pytest.approx(stats.wasserstein_distance(x[:150], y), rel=1e-7)


def test_exact_w1_uses_the_first_n_points_or_an_rng_subset():
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(90, 2)), rng.normal(size=(80, 2)) + 1.0
    assert exact_w1(x, y, n=30) == pytest.approx(assignment_w1(x[:30], y[:30]), rel=1e-7)
    pick = np.random.default_rng(4)
    ix = pick.choice(90, size=30, replace=False)
    iy = pick.choice(80, size=30, replace=False)
    value = exact_w1(x, y, n=30, rng=np.random.default_rng(4))
    assert value == pytest.approx(assignment_w1(x[ix], y[iy]), rel=1e-7)


def test_exact_w1_of_a_translation_is_its_length():
    x = np.random.default_rng(3).normal(size=(60, 2))
    assert exact_w1(x, x + np.array([0.3, -0.4])) == pytest.approx(0.5, rel=1e-7)
    assert exact_w1(x, x) == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------- sliced_wasserstein


def test_sliced_in_one_dimension_equals_w1():
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=300), rng.standard_t(3.0, size=300) + 0.4
    expected = sum(abs(a - b) for a, b in zip(sorted(x), sorted(y), strict=True)) / 300
    # every direction is +1 or -1, and W1 does not change when both sets flip sign
    for n_projections in (1, 2, 17):
        value = sliced_wasserstein(x, y, n_projections=n_projections, seed=3)
        assert value == pytest.approx(expected, rel=1e-10)
    assert sliced_wasserstein(x, y[:211]) == pytest.approx(
        stats.wasserstein_distance(x, y[:211]), rel=1e-10
    )


def test_sliced_is_zero_for_identical_sets_and_seeded():
    rng = np.random.default_rng(6)
    x, y = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    assert sliced_wasserstein(x, x.copy()) == pytest.approx(0.0, abs=1e-15)
    assert sliced_wasserstein(x, y) == sliced_wasserstein(x, y)
    assert sliced_wasserstein(x, y, seed=0) != sliced_wasserstein(x, y, seed=1)


def test_sliced_of_a_translation_matches_the_sphere_average():
    # Projections of x + v are those of x shifted by <theta, v>, so SW1 is the mean
    # of |<theta, v>|, which for theta uniform on the circle is 2 |v| / pi.
    x = np.random.default_rng(7).normal(size=(300, 2))
    v = np.array([0.6, 0.8])
    value = sliced_wasserstein(x, x + v, n_projections=5000)
    assert value == pytest.approx(2.0 / math.pi, rel=0.03)


def test_sliced_is_at_most_w1():
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(50, 4)), rng.normal(size=(50, 4)) * 1.5 + 0.2
    assert sliced_wasserstein(x, y) <= assignment_w1(x, y)


# ---------------------------------------------------------------- mmd_rbf


# mmd_rbf evaluates the kernel in float32 (sums in float64): ~1e-8 absolute.
KERNEL_TOL = 2e-8


def loop_median_distance(points):
    values = []
    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            values.append(math.dist(points[i], points[j]))
    return statistics.median(values)


def loop_mmd(x, y, sigma):
    def k(a, b):
        squared = sum((u - v) ** 2 for u, v in zip(a, b, strict=True))
        if sigma == 0:
            return 1.0 if squared == 0 else 0.0
        return math.exp(-squared / (2 * sigma**2))

    m, n = len(x), len(y)
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    xy = sum(k(a, b) for a in x for b in y) / (m * n)
    return xx + yy - 2 * xy


@pytest.mark.parametrize("d", [1, 2, 5])
def test_mmd_equals_the_u_statistic_loop_with_the_median_bandwidth(d):
    rng = np.random.default_rng(10 + d)
    x = rng.normal(size=(30, d))
    y = rng.normal(size=(25, d)) * 1.3 + 0.4
    sigma = loop_median_distance(np.concatenate([x, y]))
    assert mmd_rbf(x, y) == pytest.approx(loop_mmd(x, y, sigma), rel=1e-6, abs=KERNEL_TOL)


def test_mmd_of_very_unequal_sizes_matches_the_loop(monkeypatch):
    rng = np.random.default_rng(16)
    x, y = rng.normal(size=(60, 2)), rng.normal(size=(3, 2)) + 0.2
    monkeypatch.setattr(distances, "_KERNEL_CHUNK", 100)  # several kernel chunks per block
    for a, b in ((x, y), (y, x)):
        sigma = loop_median_distance(np.concatenate([a, b]))
        assert mmd_rbf(a, b) == pytest.approx(loop_mmd(a, b, sigma), rel=1e-6, abs=KERNEL_TOL)


def test_mmd_blocks_and_capped_median_match_the_loop(monkeypatch):
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=(31, 2)), rng.normal(size=(23, 2)) + 0.5
    monkeypatch.setattr(distances, "_BLOCK_ROWS", 7)  # many blocks of odd sizes
    sigma = loop_median_distance(np.concatenate([x, y]))
    assert mmd_rbf(x, y) == pytest.approx(loop_mmd(x, y, sigma), rel=1e-6, abs=KERNEL_TOL)
    # the bandwidth from the first 10 points of each set only
    sigma = loop_median_distance(np.concatenate([x[:10], y[:10]]))
    assert mmd_rbf(x, y, median_points=10) == pytest.approx(
        loop_mmd(x, y, sigma), rel=1e-6, abs=KERNEL_TOL
    )


def test_mmd_with_zero_median_uses_the_indicator_kernel():
    x = np.array([[0.0, 0.0]] * 6)
    y = np.array([[0.0, 0.0]] * 3 + [[1.0, 0.0], [2.0, 0.0]])
    assert loop_median_distance(np.concatenate([x, y])) == 0
    assert mmd_rbf(x, y) == pytest.approx(loop_mmd(x, y, 0.0), abs=1e-12)


def test_mmd_is_zero_in_expectation_for_one_distribution_and_positive_for_a_shift():
    rng = np.random.default_rng(13)
    same = [mmd_rbf(rng.normal(size=(200, 2)), rng.normal(size=(200, 2))) for _ in range(20)]
    mean, spread = np.mean(same), np.std(same, ddof=1) / math.sqrt(len(same))
    assert abs(mean) < 4 * spread
    assert min(same) < 0 < max(same)  # unbiased, so not clipped at 0
    shifted = mmd_rbf(rng.normal(size=(200, 2)), rng.normal(size=(200, 2)) + 1.0)
    assert shifted > 5 * max(abs(v) for v in same)


# ---------------------------------------------------------------- energy_distance_nd


def test_energy_equals_the_double_loop_in_two_dimensions():
    rng = np.random.default_rng(14)
    x, y = rng.normal(size=(40, 2)), rng.exponential(size=(33, 2))

    def mean_distance(a, b):
        return sum(math.dist(u, v) for u in a for v in b) / (len(a) * len(b))

    expected = math.sqrt(2 * mean_distance(x, y) - mean_distance(x, x) - mean_distance(y, y))
    assert energy_distance_nd(x, y) == pytest.approx(expected, rel=1e-10)


def test_energy_in_one_dimension_equals_scipy(monkeypatch):
    rng = np.random.default_rng(15)
    x, y = rng.normal(size=300), rng.standard_t(3.0, size=211) + 0.2
    expected = stats.energy_distance(x, y)
    assert energy_distance_nd(x, y) == pytest.approx(expected, rel=1e-9)
    assert energy_distance_nd(x[:, None], y[:, None]) == pytest.approx(expected, rel=1e-9)
    monkeypatch.setattr(distances, "_BLOCK_ROWS", 64)
    assert energy_distance_nd(x, y) == pytest.approx(expected, rel=1e-9)
    assert energy_distance_nd(x, x.copy()) == pytest.approx(0.0, abs=1e-7)


# ---------------------------------------------------------------- shared validation


@pytest.mark.parametrize("metric", [exact_w1, sliced_wasserstein, mmd_rbf, energy_distance_nd])
def test_bad_inputs_raise(metric):
    ok = np.zeros((5, 2)) + np.arange(5)[:, None]
    with pytest.raises(ValueError):
        metric(ok, np.zeros((5, 3)))
    with pytest.raises(ValueError):
        metric(np.zeros((0, 2)), ok)
    with pytest.raises(ValueError):
        metric(np.array([[0.0, np.nan]] * 5), ok)
    with pytest.raises(ValueError):
        metric(np.zeros((5, 2, 1)), ok)
