"""Metrics: plain functions over arrays, each documented with its definition and source."""

from losslab.metrics.modes import mode_coverage, nearest_centers
from losslab.metrics.samples import (
    MODE_METRIC_NAMES,
    SAMPLE_METRIC_NAMES,
    energy_distance,
    ks_statistic,
    moment_errors,
    sample_metrics_1d,
    wasserstein1,
)

__all__ = [
    "MODE_METRIC_NAMES",
    "SAMPLE_METRIC_NAMES",
    "energy_distance",
    "ks_statistic",
    "mode_coverage",
    "moment_errors",
    "nearest_centers",
    "sample_metrics_1d",
    "wasserstein1",
]
