"""Distances between two sample sets in any dimension.

All take two arrays of points, ``[m, d]`` and ``[n, d]`` (a 1-D array is read
as ``d = 1``), of finite values, and return a float; they raise ``ValueError``
on empty, non-finite or mismatched inputs. The sets may differ in size.

==========================  =========  ======================================
function                    order      cost for m = n points in d dimensions
==========================  =========  ======================================
:func:`exact_w1`            W1         n^2 d for the costs + network simplex
                                       (about n^3 worst case), on <= 1000 points
:func:`sliced_wasserstein`  SW1        P n (d + log n) for P projections
:func:`mmd_rbf`             MMD^2      n^2 d, in blocks of bounded memory
:func:`energy_distance_nd`  sqrt(E)    n^2 d, in blocks of bounded memory
==========================  =========  ======================================

``benchmarks/metric_cost.py`` measures them side by side.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
from scipy import stats
from scipy.spatial.distance import cdist, pdist

# Pairwise quantities are computed over blocks of at most this many rows by this
# many columns (50 MB of float64), so memory stays bounded for large sets; 2,500
# also makes a 2,500 vs 2,500 comparison a single block per pair of sets.
_BLOCK_ROWS = 2500

# Kernel values are computed this many at a time (4 MB of float32).
_KERNEL_CHUNK = 1 << 20

# POT's default of 100,000 network-simplex iterations can stop short of the
# optimum on a few thousand points; a non-optimal plan would overstate W1.
_EMD_MAX_ITERATIONS = 100_000_000


def _points(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise ValueError(f"{what} must be 1-D or [n, d], got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError(f"{what} is empty")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{what} has NaN or inf values")
    return array


def _pair(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    a, b = _points(x, "x"), _points(y, "y")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"x has {a.shape[1]} coordinates but y has {b.shape[1]}")
    return a, b


def exact_w1(
    x: np.ndarray, y: np.ndarray, n: int = 1000, rng: np.random.Generator | None = None
) -> float:
    """Exact 1-Wasserstein distance between the uniform empirical measures on at
    most ``n`` points of ``x`` and of ``y``, with Euclidean ground cost.

    W1(P, Q) = min over couplings pi of P and Q of sum_ij pi_ij ||x_i - y_j||_2,
    with P = (1/p) sum_{i<=p} delta_{x_i}, Q = (1/q) sum_{j<=q} delta_{y_j},
    p = min(len(x), n), q = min(len(y), n). For p = q the optimal coupling is a
    permutation and W1 is the mean matched distance of the optimal assignment.

    Which points: the *first* ``n`` rows of each set, so the caller controls the
    subsample by what it passes (and the same rows are used at every call); if
    ``rng`` is given, ``n`` rows of each drawn from it without replacement
    instead. On a subsample this is an estimate of the population W1 with a
    positive bias that shrinks with n (about n^(-1/d) for d >= 3), so compare
    values computed on the same number of points.

    Cost: the ``[p, q]`` Euclidean cost matrix (``scipy.spatial.distance.cdist``), then
    an exact network-simplex solve (``ot.emd2``, Bonneel et al. 2011), roughly
    cubic in n in the worst case: keep ``n`` at a few thousand at most.

    Source: Villani (2009), "Optimal Transport: Old and New", ch. 6; Flamary et
    al. (2021), "POT: Python Optimal Transport", JMLR 22.
    """
    a, b = _pair(x, y)
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if rng is None:
        a, b = a[:n], b[:n]
    else:
        a = a[rng.choice(len(a), size=min(n, len(a)), replace=False)]
        b = b[rng.choice(len(b), size=min(n, len(b)), replace=False)]
    # The matrix of ot.dist(a, b, metric="euclidean"), but from coordinate
    # differences: ot.dist expands |a|^2 + |b|^2 - 2ab, which leaves ~1e-8 where
    # points coincide (W1(x, x) would not be 0), and is slower.
    costs = cdist(a, b, metric="euclidean")
    weights_a = np.full(len(a), 1.0 / len(a))
    weights_b = np.full(len(b), 1.0 / len(b))
    import ot  # here: POT takes seconds to import, and most commands never solve a plan

    value, log = ot.emd2(weights_a, weights_b, costs, numItermax=_EMD_MAX_ITERATIONS, log=True)
    if log.get("warning"):
        raise RuntimeError(f"exact_w1: the transport solver did not converge: {log['warning']}")
    return float(value)


def sliced_wasserstein(
    x: np.ndarray, y: np.ndarray, n_projections: int = 128, seed: int = 0
) -> float:
    """Sliced 1-Wasserstein distance (order 1) estimated with ``n_projections``
    random directions.

    SW1(P, Q) = E_theta[ W1(theta # P, theta # Q) ], theta uniform on the unit
    sphere S^(d-1), where theta # P is the law of <theta, X> for X ~ P and W1 is
    the 1-D Wasserstein distance (for two sets of equal size: the mean absolute
    gap of the sorted projections). Estimated by the mean over P directions
    theta_p = g_p / ||g_p||, g_p ~ N(0, I_d), drawn from
    ``numpy.random.default_rng(seed)``: the same directions for every call with
    the same seed and d, so values are comparable across members. In d = 1 the
    directions are +-1 and SW1 equals W1 exactly. SW1 <= W1 always.

    Cost: P (m + n) d for the projections plus sorting P (m + n) values; for
    unequal sizes, one ``scipy.stats.wasserstein_distance`` per direction.

    Source: Rabin, Peyré, Delon & Bernot (2011), "Wasserstein barycenter and its
    application to texture mixing", SSVM; Bonneel, Rabin, Peyré & Pfister (2015),
    "Sliced and Radon Wasserstein barycenters of measures", JMIV 51.
    """
    a, b = _pair(x, y)
    if isinstance(n_projections, bool) or n_projections < 1:
        raise ValueError(f"n_projections must be a positive integer, got {n_projections!r}")
    directions = np.random.default_rng(seed).standard_normal((n_projections, a.shape[1]))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    proj_a, proj_b = a @ directions.T, b @ directions.T  # [m, P], [n, P]
    if len(a) == len(b):
        gaps = np.abs(np.sort(proj_a, axis=0) - np.sort(proj_b, axis=0))
        return float(gaps.mean())
    per_direction = [
        stats.wasserstein_distance(proj_a[:, p], proj_b[:, p]) for p in range(n_projections)
    ]
    return float(np.mean(per_direction))


def _blocks(points: np.ndarray) -> list[np.ndarray]:
    return [points[i : i + _BLOCK_ROWS] for i in range(0, len(points), _BLOCK_ROWS)]


def _pair_blocks(x: np.ndarray, y: np.ndarray, metric: str) -> Iterator[tuple[str, np.ndarray]]:
    """Every unordered pair of distinct points of the pooled sample (x, y) once,
    as flat arrays of ``metric`` values tagged ``"xx"``, ``"yy"`` or ``"xy"``."""
    x_parts, y_parts = _blocks(x), _blocks(y)
    for kind, parts in (("xx", x_parts), ("yy", y_parts)):
        for i, part in enumerate(parts):
            yield kind, pdist(part, metric)  # pairs i < j inside the block
            for other in parts[i + 1 :]:
                yield kind, cdist(part, other, metric).ravel()
    for part in x_parts:
        for other in y_parts:
            yield "xy", cdist(part, other, metric).ravel()


def _median_of_pairs(blocks: list[tuple[str, np.ndarray]]) -> float:
    """Median of the square roots of the values in ``blocks`` (squared distances)."""
    values = np.concatenate([block for _, block in blocks])
    half = len(values) // 2
    values.partition(half)  # values[half] is now the upper middle value
    upper = math.sqrt(values[half])
    if len(values) % 2:
        return upper
    # The lower middle value is the largest one left of the partition point.
    return 0.5 * (math.sqrt(values[:half].max()) + upper)


def mmd_rbf(x: np.ndarray, y: np.ndarray, median_points: int = 2500) -> float:
    """Unbiased estimate of the squared maximum mean discrepancy with a Gaussian
    (RBF) kernel whose width is set by the median heuristic.

    k(a, b) = exp(-||a - b||^2 / (2 sigma^2)), and for x of size m, y of size n

        MMD_u^2 = 1/(m(m-1)) sum_{i != j} k(x_i, x_j)
                + 1/(n(n-1)) sum_{i != j} k(y_i, y_j)
                - 2/(mn) sum_{i, j} k(x_i, y_j)

    (Gretton et al. 2012, eq. 3: a U-statistic, unbiased for the population
    MMD^2). Unbiased means it can be slightly *negative* when the two
    distributions are equal or close; it is not clipped, so averages over seeds
    stay unbiased. Lower is better; 0 in expectation iff the distributions are
    equal (the Gaussian kernel is characteristic).

    sigma is the median Euclidean distance between distinct points of the pooled
    sample (x, y) (Gretton et al. 2012, section 8), over the first
    ``median_points`` points of each set: all of them for sets of up to 2,500
    points; for larger sets the median of over 12 million pairs of iid points,
    which changes sigma negligibly and bounds the memory. If that median is 0
    (more than half the pairs coincide) the kernel is taken in its sigma -> 0
    limit, k(a, b) = 1 if a == b else 0.

    Cost: (m + n)^2 d / 2 kernel evaluations in blocks of 2,500 x 2,500, plus a
    linear-time selection of the median; about 0.15 s for 2,500 vs 2,500 in 2-D
    (numpy, single-threaded). Requires m, n >= 2.

    Source: Gretton, Borgwardt, Rasch, Schölkopf & Smola (2012), "A Kernel
    Two-Sample Test", JMLR 13.
    """
    a, b = _pair(x, y)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("mmd_rbf needs at least 2 points in each set")
    if median_points < 2:
        raise ValueError(f"median_points must be at least 2, got {median_points!r}")
    if len(a) <= median_points and len(b) <= median_points:
        blocks: Iterator[tuple[str, np.ndarray]] | list[tuple[str, np.ndarray]]
        blocks = list(_pair_blocks(a, b, "sqeuclidean"))  # reused for the kernel
        sigma = _median_of_pairs(blocks)
    else:
        sigma = _median_of_pairs(
            list(_pair_blocks(a[:median_points], b[:median_points], "sqeuclidean"))
        )
        blocks = _pair_blocks(a, b, "sqeuclidean")
    sums = {"xx": 0.0, "yy": 0.0, "xy": 0.0}
    # exp in float32 is about twice as fast; each kernel value is off by ~1e-7
    # relative and the sums accumulate in float64, so MMD^2 moves by ~1e-11 on
    # 2,500 vs 2,500 ring8 samples (~1e-8 on tens of points), far below its
    # sampling noise. One small scratch buffer, reused, keeps the allocator from
    # mapping (and the kernel from zero-filling) fresh pages for every block.
    scratch = np.empty(_KERNEL_CHUNK, dtype=np.float32)
    for kind, squared in blocks:
        if sigma == 0:
            sums[kind] += float(np.count_nonzero(squared == 0))
            continue
        for start in range(0, len(squared), _KERNEL_CHUNK):
            piece = squared[start : start + _KERNEL_CHUNK]
            kernel = scratch[: len(piece)]
            np.multiply(piece, -0.5 / sigma**2, out=kernel, casting="same_kind")
            sums[kind] += float(np.exp(kernel, out=kernel).sum(dtype=np.float64))
    m, n = len(a), len(b)
    # Each unordered pair was summed once; the U-statistic sums over i != j.
    return (
        2.0 * sums["xx"] / (m * (m - 1))
        + 2.0 * sums["yy"] / (n * (n - 1))
        - 2.0 * sums["xy"] / (m * n)
    )


def energy_distance_nd(x: np.ndarray, y: np.ndarray) -> float:
    """Energy distance between two samples in d dimensions, in scipy's
    square-root form.

    D(X, Y) = sqrt(2 E||X - Y|| - E||X - X'|| - E||Y - Y'||), Euclidean norms,
    with the expectations over all pairs of the empirical distributions
    (V-statistics: the i = j pairs, of distance 0, are included, so
    E||X - X'|| = (2/m^2) sum_{i<j} ||x_i - x_j||). For d = 1 this is exactly
    ``scipy.stats.energy_distance`` (sqrt(2) times the L2 distance between the
    empirical CDFs). Zero iff the two empirical distributions are equal; lower is
    better. The square D^2 is Székely & Rizzo's energy distance.

    Cost: (m + n)^2 / 2 distances of d coordinates, in blocks of
    2,500 x 2,500.

    Source: Székely & Rizzo (2013), "Energy statistics: A class of statistics
    based on distances", J. Stat. Plan. Inf. 143; Székely & Rizzo (2004),
    "Testing for equal distributions in high dimension", InterStat.
    """
    a, b = _pair(x, y)
    sums = {"xx": 0.0, "yy": 0.0, "xy": 0.0}
    for kind, distances in _pair_blocks(a, b, "euclidean"):
        sums[kind] += float(distances.sum())
    m, n = len(a), len(b)
    squared = 2.0 * sums["xy"] / (m * n) - 2.0 * sums["xx"] / m**2 - 2.0 * sums["yy"] / n**2
    return math.sqrt(max(squared, 0.0))  # rounding can leave -1e-17 for equal sets
