"""Sample metrics: how far a set of generated 1-D samples is from a reference set.

All take two sample sets (1-D arrays or ``[n, 1]`` columns) and return floats.
The sets may differ in size, but a study passes the same number of samples for
every member so that the metrics' finite-sample bias is the same for all.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from losslab.metrics.modes import mode_coverage

SAMPLE_METRIC_NAMES = ("w1", "ks", "energy", "mean_error", "std_error")
MODE_METRIC_NAMES = ("modes", "high_quality", "reverse_kl")


def _as_1d(values: np.ndarray, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{what} must be 1-D or [n, 1], got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{what} is empty")
    return array


def wasserstein1(x: np.ndarray, y: np.ndarray) -> float:
    """1-Wasserstein (earth mover's) distance between two 1-D samples.

    W1(P, Q) = integral |F_P(t) - F_Q(t)| dt over the empirical CDFs; for two
    samples of equal size n it equals (1/n) sum_i |x_(i) - y_(i)| over the
    sorted samples. Computed by ``scipy.stats.wasserstein_distance``.
    Source: Villani (2009), "Optimal Transport: Old and New", ch. 6; Arjovsky
    et al. (2017), "Wasserstein GAN".
    """
    return float(stats.wasserstein_distance(_as_1d(x, "x"), _as_1d(y, "y")))


def ks_statistic(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic sup_t |F_x(t) - F_y(t)| in [0, 1].

    F_x, F_y are the empirical (right-continuous) CDFs; the supremum is reached
    at one of the pooled sample points. Computed by ``scipy.stats.ks_2samp``
    (statistic only, two-sided; ``method="asymp"`` so no exact p-value is computed
    that would be thrown away). Source: Smirnov (1948), "Table for estimating
    the goodness of fit of empirical distributions", Ann. Math. Stat. 19.
    """
    return float(stats.ks_2samp(_as_1d(x, "x"), _as_1d(y, "y"), method="asymp").statistic)


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """Energy distance between two 1-D samples, in scipy's square-root form.

    D(X, Y) = sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|), with the expectations
    taken over all pairs of the empirical distributions (V-statistics, i = j
    pairs included); equivalently sqrt(2) times the L2 distance between the
    empirical CDFs. Zero iff the distributions are equal. Computed by
    ``scipy.stats.energy_distance``. Source: Székely & Rizzo (2013), "Energy
    statistics: A class of statistics based on distances", J. Stat. Plan. Inf.
    (their energy distance is the square of this value).
    """
    return float(stats.energy_distance(_as_1d(x, "x"), _as_1d(y, "y")))


def moment_errors(x: np.ndarray, ref: np.ndarray) -> dict[str, float]:
    """Absolute errors of the first two moments of ``x`` against ``ref``.

    ``mean_error`` = |mean(x) - mean(ref)|; ``std_error`` = |std(x) - std(ref)|,
    with population standard deviations (ddof = 0).
    """
    a, b = _as_1d(x, "x"), _as_1d(ref, "ref")
    return {
        "mean_error": float(abs(a.mean() - b.mean())),
        "std_error": float(abs(a.std() - b.std())),
    }


def sample_metrics_1d(
    generated: np.ndarray,
    reference: np.ndarray,
    centers: np.ndarray | None = None,
    std: float | None = None,
) -> dict[str, float]:
    """All 1-D sample metrics of ``generated`` against ``reference``.

    Keys: ``w1`` (:func:`wasserstein1`), ``ks`` (:func:`ks_statistic`),
    ``energy`` (:func:`energy_distance`), ``mean_error`` and ``std_error``
    (:func:`moment_errors`); and, when both ``centers`` and ``std`` are given,
    ``modes``, ``high_quality`` and ``reverse_kl`` (:func:`~losslab.metrics.modes.mode_coverage`,
    ``modes`` as a float). Callers pass the same number of generated samples
    for every member so the values are comparable.

    If any generated value is NaN or inf (a diverged model), every metric is
    ``float('nan')`` instead of an error.
    """
    gen = _as_1d(generated, "generated")
    ref = _as_1d(reference, "reference")
    with_modes = centers is not None and std is not None
    names = SAMPLE_METRIC_NAMES + (MODE_METRIC_NAMES if with_modes else ())
    if not np.all(np.isfinite(gen)):
        return {name: float("nan") for name in names}
    metrics = {
        "w1": wasserstein1(gen, ref),
        "ks": ks_statistic(gen, ref),
        "energy": energy_distance(gen, ref),
        **moment_errors(gen, ref),
    }
    if with_modes:
        coverage = mode_coverage(gen, centers, std)  # type: ignore[arg-type]
        metrics.update({name: float(coverage[name]) for name in MODE_METRIC_NAMES})
    return metrics
