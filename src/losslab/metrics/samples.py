"""Sample metrics: how far a set of generated samples is from a reference set.

The 1-D metrics here take two sample sets (1-D arrays or ``[n, 1]`` columns)
and return floats; :func:`sample_metrics` dispatches on the dimension to them
or to the N-D distances of :mod:`losslab.metrics.distances`. The sets may
differ in size, but a study passes the same number of samples for every member
so that the metrics' finite-sample bias is the same for all.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from losslab.metrics.distances import (
    energy_distance_nd,
    exact_w1,
    mmd_rbf,
    sliced_wasserstein,
)
from losslab.metrics.modes import mode_coverage

SAMPLE_METRIC_NAMES = ("w1", "ks", "energy", "mean_error", "std_error")
SAMPLE_METRIC_NAMES_ND = ("w1", "sliced_w1", "mmd", "energy")
MODE_METRIC_NAMES = ("modes", "high_quality", "reverse_kl")

METRIC_INFO: dict[str, str] = {
    "w1": (
        "1-Wasserstein (earth mover's) distance to the reference, lower is better; "
        "1-D: exact on all samples; N-D: exact optimal transport between the first "
        "1,000 samples of each set (upward-biased by the subsample)"
    ),
    "ks": (
        "Kolmogorov-Smirnov statistic, the largest gap between the two empirical CDFs "
        "(0 to 1), lower is better; 1-D only, all samples"
    ),
    "energy": (
        "energy distance sqrt(2E|X-Y| - E|X-X'| - E|Y-Y'|), 0 iff the samples match, "
        "lower is better; all samples"
    ),
    "mean_error": "|mean of generated - mean of reference|, lower is better; 1-D only",
    "std_error": "|std of generated - std of reference|, lower is better; 1-D only",
    "modes": (
        "mixture modes captured (nearest centre of a sample within 3 std of it), "
        "higher is better, at most the number of modes"
    ),
    "high_quality": (
        "fraction of samples within 3 std of their nearest mode centre, higher is better"
    ),
    "reverse_kl": (
        "KL(histogram of samples over modes || uniform), lower is better: "
        "0 = every mode equally covered, log(modes) = collapse onto one mode"
    ),
    "sliced_w1": (
        "sliced 1-Wasserstein distance: mean 1-D W1 over 128 fixed random directions, "
        "lower is better; N-D only, all samples"
    ),
    "mmd": (
        "unbiased squared MMD with a Gaussian kernel (median-distance width), lower is "
        "better, noise around 0 can make it slightly negative; N-D only, all samples"
    ),
    "digit_modes": (
        "digit classes (of 10, or of the dataset's classes) predicted for at least one "
        "confidently classified sample (max probability >= 0.9), higher is better; image data"
    ),
    "digit_confident": (
        "fraction of samples a fixed digit classifier labels with probability >= 0.9 "
        "(as a target class), higher is better; image data"
    ),
    "digit_reverse_kl": (
        "KL(class histogram of the confident samples || uniform over the classes), lower is "
        "better: 0 = every class equally, log(classes) = one class or no confident sample"
    ),
}
"""One line per metric key of :func:`sample_metrics`: what it is, which way is
better, and on how many samples it is estimated."""


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


def sample_metrics(
    generated: np.ndarray,
    reference: np.ndarray,
    centers: np.ndarray | None = None,
    std: float | None = None,
    w1_samples: int = 1000,
) -> dict[str, float]:
    """All sample metrics of ``generated [n, d]`` against ``reference [m, d]``.

    For d = 1 (1-D arrays or ``[n, 1]`` columns) this is exactly
    :func:`sample_metrics_1d`. For d >= 2 the keys are (see :data:`METRIC_INFO`)

    - ``w1``: :func:`~losslab.metrics.distances.exact_w1` on the first
      ``w1_samples`` rows of each set (so the caller picks the subsample);
    - ``sliced_w1``: :func:`~losslab.metrics.distances.sliced_wasserstein`
      (128 directions, seed 0) on all rows;
    - ``mmd``: :func:`~losslab.metrics.distances.mmd_rbf` on all rows;
    - ``energy``: :func:`~losslab.metrics.distances.energy_distance_nd` on all rows;

    and, when both ``centers [K, d]`` and ``std`` are given, ``modes``,
    ``high_quality`` and ``reverse_kl`` (:func:`~losslab.metrics.modes.mode_coverage`,
    ``modes`` as a float).

    If any generated value is NaN or inf (a diverged model), every metric is
    ``float('nan')`` instead of an error.
    """
    gen = np.asarray(generated, dtype=np.float64)
    if gen.ndim == 1 or (gen.ndim == 2 and gen.shape[1] == 1):
        return sample_metrics_1d(generated, reference, centers, std)
    if gen.ndim != 2 or gen.shape[0] == 0:
        raise ValueError(f"generated must be 1-D or a non-empty [n, d], got shape {gen.shape}")
    ref = np.asarray(reference, dtype=np.float64)
    if ref.ndim != 2 or ref.shape[1] != gen.shape[1]:
        raise ValueError(
            f"reference must be [m, {gen.shape[1]}] like generated, got shape {ref.shape}"
        )
    with_modes = centers is not None and std is not None
    names = SAMPLE_METRIC_NAMES_ND + (MODE_METRIC_NAMES if with_modes else ())
    if not np.all(np.isfinite(gen)):
        return {name: float("nan") for name in names}
    metrics = {
        "w1": exact_w1(gen, ref, n=w1_samples),
        "sliced_w1": sliced_wasserstein(gen, ref),
        "mmd": mmd_rbf(gen, ref),
        "energy": energy_distance_nd(gen, ref),
    }
    if with_modes:
        coverage = mode_coverage(gen, centers, std)  # type: ignore[arg-type]
        metrics.update({name: float(coverage[name]) for name in MODE_METRIC_NAMES})
    return metrics
