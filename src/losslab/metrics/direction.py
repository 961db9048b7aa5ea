"""Which way a metric is better, and how a study with several datasets names a metric.

Used wherever a metric is judged: the tuner (which trial is best), the recommend race and
the report (rankings, verdicts).
"""

from __future__ import annotations

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


DATASET_SEP = " @ "
"""In a study with several datasets, ranking metrics are named ``"<metric> @ <dataset>"``."""


def base_metric(metric: str) -> str:
    """``"accuracy @ blobs"`` -> ``"accuracy"``."""
    return metric.split(DATASET_SEP, 1)[0]


def direction(metric: str) -> str:
    """``"max"`` if a higher value of ``metric`` is better, else ``"min"``."""
    return METRIC_DIRECTION.get(base_metric(metric), "min")
