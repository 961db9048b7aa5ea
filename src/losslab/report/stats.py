r"""Summary statistics over seeds: means, 95% confidence intervals, paired tests, rankings.

Members of different losses with the same seed share data, initial weights and
noise (common random numbers), so losses are compared **paired by seed**: a
paired t-test (:func:`scipy.stats.ttest_rel`) of each loss against the best one
on the per-seed final values, with Holm's step-down correction across the
comparisons within one metric.

Every number here is meant for ``summary.json``, which must be strict JSON, so
non-finite results leave this module as ``None``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from losslab.metrics.direction import (  # noqa: F401 - re-exported: reports use them
    DATASET_SEP,
    METRIC_DIRECTION,
    base_metric,
    direction,
)

ALPHA = 0.05
MIN_PAIRS = 3
"""Fewer paired seeds than this never support a conclusion (a t-test on 2 pairs has one
degree of freedom and calls tiny, consistent differences significant)."""
"""Significance level of the Holm-adjusted paired tests."""
TEST_NAME = "paired t-test (scipy.stats.ttest_rel, two-sided, paired by seed), Holm-adjusted"


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
        "p_vs_best": None,
        "p_vs_best_holm": None,
        "n_pairs": None,
    }


def ranking(
    members: Sequence[dict[str, Any]], metrics: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Rank the loss labels on each metric by their mean final value over ok seeds.

    ``members`` are dicts as :meth:`RunStore.members` returns them (``loss``,
    ``status``, ``metrics``). For each metric (``metrics`` if given, else every
    metric found in the ok members' final metrics, in first-seen order) there is
    one entry per loss label: ``{"loss", "metric", "mean", "ci95": [lo, hi],
    "n", "rank", "p_vs_best", "p_vs_best_holm", "n_pairs"}`` with the mean and CI
    from :func:`mean_ci95` over the loss's ok members (``n`` = how many gave a
    number). Within a metric entries are sorted best-first (see
    :data:`METRIC_DIRECTION`) and ranked 1, 2, ...; losses with no value (mean
    ``None``) come last with rank ``None``. Every ranked loss but the best gets
    :func:`paired_p` against the best (``p_vs_best``, over ``n_pairs`` shared
    seeds) and its :func:`holm` adjustment across the metric's comparisons
    (``p_vs_best_holm``); the best's are ``None``. Non-finite numbers are ``None``.
    """
    labels = _labels_in_order(members)
    names = list(metrics) if metrics is not None else _metrics_in_order(members)
    out: list[dict[str, Any]] = []
    for metric in names:
        entries, by_seed = [], {}
        for label in labels:
            mine = [
                m
                for m in members
                if m["loss"] == label and m.get("status") == "ok" and metric in m["metrics"]
            ]
            values = [_float(m["metrics"][metric]) for m in mine]
            by_seed[label] = {
                m["seed"]: v
                for m, v in zip(mine, values, strict=True)
                if m.get("seed") is not None and math.isfinite(v)
            }
            entries.append(_entry(label, metric, values))
        ranked = _sort_and_rank(entries, direction(metric))
        _paired_against_best(ranked, by_seed)
        out.extend(ranked)
    return out


def _float(v: Any) -> float:
    return math.nan if v is None else float(v)


def paired_p(a: Mapping[Any, float], b: Mapping[Any, float]) -> tuple[float | None, int]:
    """Two-sided paired t-test p-value of ``a`` vs ``b``, paired on their shared keys (seeds).

    ``a`` and ``b`` map seed -> final value. Returns ``(p, n_pairs)``; ``p`` is
    ``None`` with fewer than 2 pairs or when the t statistic is undefined (all
    differences zero).
    """
    seeds = sorted(set(a) & set(b))
    if len(seeds) < 2:
        return None, len(seeds)
    x = np.array([a[s] for s in seeds], dtype=np.float64)
    y = np.array([b[s] for s in seeds], dtype=np.float64)
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # zero-variance differences
        p = stats.ttest_rel(x, y).pvalue
    return finite_or_none(p), len(seeds)


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    r"""Holm's step-down adjustment of a family of p-values (``None`` entries are skipped).

    With the :math:`m` known p-values sorted ascending, :math:`p_{(1)} \le \dots
    \le p_{(m)}`, the adjusted values are
    :math:`\tilde p_{(k)} = \max_{j \le k} \min(1, (m - j + 1)\, p_{(j)})`,
    returned in the input order. Rejecting where :math:`\tilde p < \alpha`
    controls the family-wise error rate at :math:`\alpha`.
    """
    known = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(known)
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    for j, (p, i) in enumerate(known):
        running = max(running, min(1.0, (m - j) * p))
        out[i] = running
    return out


def _paired_against_best(ranked: list[dict[str, Any]], by_seed: dict[str, dict]) -> None:
    known = [e for e in ranked if e["rank"] is not None]
    if len(known) < 2:
        return
    best = by_seed[known[0]["loss"]]
    others = known[1:]
    for e in others:
        e["p_vs_best"], e["n_pairs"] = paired_p(best, by_seed[e["loss"]])
    for e, adjusted in zip(others, holm([e["p_vs_best"] for e in others]), strict=True):
        e["p_vs_best_holm"] = adjusted


def _sort_and_rank(entries: list[dict[str, Any]], how: str) -> list[dict[str, Any]]:
    sign = -1.0 if how == "max" else 1.0
    known = [e for e in entries if e["mean"] is not None]
    unknown = [e for e in entries if e["mean"] is None]
    known.sort(key=lambda e: sign * e["mean"])  # stable: ties keep study order
    for rank, e in enumerate(known, start=1):
        e["rank"] = rank
    return known + unknown


def verdict(entries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Is the best loss on one metric better than every other? The stated rule.

    ``entries`` are one metric's :func:`ranking` entries, best first. The best
    loss is called significantly better only if every other ranked loss has a
    Holm-adjusted paired p-value (``p_vs_best_holm``) below :data:`ALPHA`, over at
    least :data:`MIN_PAIRS` paired seeds.
    Returns ``{"metric", "best", "runner_up", "significant", "test", "alpha",
    "not_separated": [{"loss", "p_holm"}]}``: ``best`` / ``runner_up`` are labels
    or ``None``; ``not_separated`` lists the losses the test could not tell apart
    from the best (``p_holm`` ``None`` where no test was possible). With a single
    ranked loss ``runner_up`` is ``None`` and ``significant`` False.
    """
    ranked = [e for e in entries if e["mean"] is not None]
    out: dict[str, Any] = {
        "metric": entries[0]["metric"] if entries else None,
        "best": ranked[0]["loss"] if ranked else None,
        "runner_up": ranked[1]["loss"] if len(ranked) > 1 else None,
        "significant": False,
        "test": TEST_NAME,
        "alpha": ALPHA,
        "not_separated": [],
    }
    others = ranked[1:]
    out["not_separated"] = [
        {"loss": e["loss"], "p_holm": e.get("p_vs_best_holm")}
        for e in others
        if e.get("p_vs_best_holm") is None
        or e["p_vs_best_holm"] >= ALPHA
        or (e.get("n_pairs") or 0) < MIN_PAIRS
    ]
    out["significant"] = bool(others) and not out["not_separated"]
    return out


def verdicts(ranked: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """:func:`verdict` for every metric of a :func:`ranking` list, keyed by metric."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for e in ranked:
        by_metric.setdefault(e["metric"], []).append(e)
    return {metric: verdict(entries) for metric, entries in by_metric.items()}
