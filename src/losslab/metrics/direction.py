"""Which way a metric is better, which values it can take, and how a study with several
datasets names a metric.

Used wherever a metric is judged: the tuner (which trial is best), the recommend race and
the report (rankings, verdicts, and the interval method that keeps to a metric's range).
"""

from __future__ import annotations

import math

METRIC_DIRECTION: dict[str, str] = {
    "modes": "max",
    "high_quality": "max",
    "digit_modes": "max",
    "digit_confident": "max",
    "accuracy": "max",
    "balanced_accuracy": "max",
    "macro_f1": "max",
}
"""Metrics where higher is better; every metric not listed is lower-is-better."""

UNRANKED = frozenset({"coverage"})
"""Metrics with no better direction (``coverage`` should match its target level): shown,
never ranked."""

METRIC_RANGE: dict[str, tuple[float, float | str]] = {
    # distances and errors: [0, inf)
    "w1": (0.0, math.inf),
    "sliced_w1": (0.0, math.inf),
    "energy": (0.0, math.inf),
    "mean_error": (0.0, math.inf),
    "std_error": (0.0, math.inf),
    "mse": (0.0, math.inf),
    "mae": (0.0, math.inf),
    "median_ae": (0.0, math.inf),
    # fractions: [0, 1]
    "ks": (0.0, 1.0),
    "high_quality": (0.0, 1.0),
    "digit_confident": (0.0, 1.0),
    "accuracy": (0.0, 1.0),
    "balanced_accuracy": (0.0, 1.0),
    "macro_f1": (0.0, 1.0),
    "ece": (0.0, 1.0),
    "coverage": (0.0, 1.0),
    # counts of the dataset's K modes / classes, and KL to the uniform over them
    "modes": (0.0, "K"),
    "digit_modes": (0.0, "K"),
    "reverse_kl": (0.0, "log K"),
    "digit_reverse_kl": (0.0, "log K"),
}
"""The values each metric can take, ``(low, high)``; ``"K"`` / ``"log K"``: the number of
the dataset's modes (digit classes) or its log, known per dataset (:func:`metric_range`).
Metrics not listed may take any real value: ``mmd`` (the unbiased estimate goes below 0)
and ``nll`` (a Gaussian NLL of a regression goes below 0)."""


DATASET_SEP = " @ "
"""In a study with several datasets, ranking metrics are named ``"<metric> @ <dataset>"``."""


def base_metric(metric: str) -> str:
    """``"accuracy @ blobs"`` -> ``"accuracy"``."""
    return metric.split(DATASET_SEP, 1)[0]


def direction(metric: str) -> str:
    """``"max"`` if a higher value of ``metric`` is better, else ``"min"``."""
    return METRIC_DIRECTION.get(base_metric(metric), "min")


def range_kind(metric: str) -> str:
    """``"bounded"`` (both ends finite, ``K`` included), ``"positive"`` (``[low, inf)``)
    or ``"real"`` (no declared range) -- what picks a metric's interval method."""
    declared = METRIC_RANGE.get(base_metric(metric))
    if declared is None:
        return "real"
    return "positive" if declared[1] == math.inf else "bounded"


def metric_range(metric: str, k: int | None = None) -> tuple[float, float]:
    """The numeric range of ``metric``: ``(-inf, inf)`` when none is declared; a ``K`` end
    resolved with the dataset's ``k`` modes/classes (``inf`` when ``k`` is unknown)."""
    low, high = METRIC_RANGE.get(base_metric(metric), (-math.inf, math.inf))
    if isinstance(high, str):
        if k is None:
            return low, math.inf
        return low, float(k) if high == "K" else math.log(k)
    return low, high
