r"""Summary statistics over seeds: means, 95% confidence intervals, rankings.

Every number here is meant for ``summary.json``, which must be strict JSON, so
non-finite results leave this module as ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats

METRIC_DIRECTION: dict[str, str] = {"modes": "max", "high_quality": "max"}
"""Metrics where higher is better; every metric not listed is lower-is-better."""


def direction(metric: str) -> str:
    """``"max"`` if a higher value of ``metric`` is better, else ``"min"``."""
    return METRIC_DIRECTION.get(metric, "min")


def finite_or_none(x: Any) -> float | None:
    """``float(x)`` if it is a finite number, else ``None`` (strict JSON has no NaN/Infinity)."""
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def mean_ci95(values: Iterable[float]) -> tuple[float, float, float]:
    r"""Mean and two-sided 95% Student-t confidence interval of the mean.

    NaN values are ignored. With the remaining :math:`n` values,
    sample mean :math:`\bar x` and sample standard deviation :math:`s`
    (``ddof = 1``):

    .. math::

        \bar x \pm t_{0.975,\, n-1} \, \frac{s}{\sqrt{n}}

    Returns ``(mean, lo, hi)``; ``(x, nan, nan)`` when ``n = 1`` (no spread to
    estimate) and ``(nan, nan, nan)`` when ``n = 0``.
    """
    x = np.asarray(list(values), dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    n = x.size
    if n == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n == 1:
        return (mean, math.nan, math.nan)
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return (mean, mean - half, mean + half)


def _labels_in_order(members: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(m["loss"] for m in members))


def _metrics_in_order(members: Sequence[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for m in members:
        if m.get("status") == "ok":
            names.update(dict.fromkeys(m.get("metrics", {})))
    return list(names)


def _entry(loss: str, metric: str, values: list[float]) -> dict[str, Any]:
    mean, lo, hi = mean_ci95(values)
    n = int(np.count_nonzero(~np.isnan(np.asarray(values, dtype=np.float64))))
    return {
        "loss": loss,
        "metric": metric,
        "mean": finite_or_none(mean),
        "ci95": [finite_or_none(lo), finite_or_none(hi)],
        "n": n,
        "rank": None,
    }


def ranking(
    members: Sequence[dict[str, Any]], metrics: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Rank the loss labels on each metric by their mean final value over ok seeds.

    ``members`` are dicts as :meth:`RunStore.members` returns them (``loss``,
    ``status``, ``metrics``). For each metric (``metrics`` if given, else every
    metric found in the ok members' final metrics, in first-seen order) there is
    one entry per loss label: ``{"loss", "metric", "mean", "ci95": [lo, hi],
    "n", "rank"}`` with the mean and CI from :func:`mean_ci95` over the loss's
    ok members (``n`` = how many gave a number). Within a metric entries are
    sorted best-first (see :data:`METRIC_DIRECTION`) and ranked 1, 2, ...;
    losses with no value (mean ``None``) come last with rank ``None``.
    Non-finite numbers are ``None``.
    """
    labels = _labels_in_order(members)
    names = list(metrics) if metrics is not None else _metrics_in_order(members)
    out: list[dict[str, Any]] = []
    for metric in names:
        entries = []
        for label in labels:
            values = [
                float(v) if (v := m["metrics"].get(metric)) is not None else math.nan
                for m in members
                if m["loss"] == label and m.get("status") == "ok" and metric in m["metrics"]
            ]
            entries.append(_entry(label, metric, values))
        out.extend(_sort_and_rank(entries, direction(metric)))
    return out


def _sort_and_rank(entries: list[dict[str, Any]], how: str) -> list[dict[str, Any]]:
    sign = -1.0 if how == "max" else 1.0
    known = [e for e in entries if e["mean"] is not None]
    unknown = [e for e in entries if e["mean"] is None]
    known.sort(key=lambda e: sign * e["mean"])  # stable: ties keep study order
    for rank, e in enumerate(known, start=1):
        e["rank"] = rank
    return known + unknown


def verdict(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Is the best loss on one metric better than the runner-up? A simple, stated rule.

    ``entries`` are one metric's ranking entries, best first. The best loss is
    called significantly better only if both 95% CIs exist and do not overlap
    (best's interval lies entirely on the better side of the runner-up's).
    Returns ``{"metric", "best", "runner_up", "significant"}`` where ``best`` /
    ``runner_up`` are labels or ``None`` and ``significant`` is a bool; with a
    single ranked loss ``runner_up`` is ``None`` and ``significant`` False.
    """
    ranked = [e for e in entries if e["mean"] is not None]
    metric = entries[0]["metric"] if entries else None
    if not ranked:
        return {"metric": metric, "best": None, "runner_up": None, "significant": False}
    best = ranked[0]
    if len(ranked) == 1:
        return {"metric": metric, "best": best["loss"], "runner_up": None, "significant": False}
    second = ranked[1]
    return {
        "metric": metric,
        "best": best["loss"],
        "runner_up": second["loss"],
        "significant": _disjoint(best["ci95"], second["ci95"]),
    }


def _disjoint(a: Sequence[float | None], b: Sequence[float | None]) -> bool:
    if None in a or None in b:
        return False
    return bool(a[1] < b[0] or b[1] < a[0])


def verdicts(ranked: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """:func:`verdict` for every metric of a :func:`ranking` list, keyed by metric."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for e in ranked:
        by_metric.setdefault(e["metric"], []).append(e)
    return {metric: verdict(entries) for metric, entries in by_metric.items()}
