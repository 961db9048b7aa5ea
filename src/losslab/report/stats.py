r"""Summary statistics over seeds: means, 95% confidence intervals, paired tests, rankings.

A ranking's interval for a loss's mean keeps to its metric's range
(:data:`~losslab.metrics.direction.METRIC_RANGE`): :func:`metric_ci95` picks one rule per
kind of range, see there (issue 19: Student-t on 3-8 values gave W1 < 0 and modes > K).

Members of different losses with the same seed share data, initial weights and
noise (common random numbers), so losses are compared **paired by seed**: a
paired t-test (:func:`scipy.stats.ttest_rel`) of each loss against the best one
on the per-seed final values, with Holm's step-down correction across the
comparisons within one metric.

Every number here is meant for ``summary.json``, which must be strict JSON, so
non-finite results leave this module as ``None``.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import special, stats

from losslab.metrics.baselines import SCORED
from losslab.metrics.direction import (  # noqa: F401 - re-exported: reports use them
    DATASET_SEP,
    METRIC_DIRECTION,
    METRIC_RANGE,
    base_metric,
    direction,
    range_kind,
)

ALPHA = 0.05
MIN_PAIRS = 3
"""Fewer paired seeds than this never support a conclusion (a t-test on 2 pairs has one
degree of freedom and calls tiny, consistent differences significant)."""
"""Significance level of the Holm-adjusted paired tests."""
TEST_NAME = "paired t-test (scipy.stats.ttest_rel, two-sided, paired by seed), Holm-adjusted"
MIN_INTERVAL_N = 3
"""Fewer values than this get no interval for a mean (``None``): a 95% interval from two
seeds is a t-interval with one degree of freedom, or the two values themselves."""
EXACT_BOOTSTRAP_N = 10
"""Up to this many values the bootstrap distribution of the mean is enumerated exactly
(C(2n-1, n) resamples: 92,378 at n = 10); above, 20,000 resamples with a fixed seed."""
INTERVAL_METHODS = {
    "real": "Student-t interval",
    "positive": "modified Cox interval on the log scale (lognormal mean; Olsson 2005)",
    "bounded": "expanded percentile bootstrap, exact over all resamples (Hesterberg 2015)",
}
"""The interval rule per kind of metric range (:func:`metric_ci95`)."""
INTERVAL_NOTE = (
    "95% intervals of a mean over seeds keep to the metric's range: metrics in [0, inf) "
    "(distances, errors) use the modified Cox interval on the log scale (Olsson 2005); "
    "metrics bounded on both sides (fractions, accuracies, mode counts of K, KL up to "
    "log K) use the exact expanded percentile bootstrap (Hesterberg 2015), which never "
    "leaves the seeds' values; other metrics (mmd, nll) the Student-t interval. No "
    f"interval from fewer than {MIN_INTERVAL_N} seeds. Effect size: the mean paired "
    "difference to the best loss over shared seeds, with the paired t-interval (the "
    "interval of the paired t-test beside it), or for a metric bounded on both sides the "
    "expanded percentile bootstrap of the differences (inside their span)."
)
"""One paragraph stated under every table of intervals in the reports."""


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


def _bootstrap_resamples(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct bootstrap resample of n values as its counts ``[M, n]`` (M =
    C(2n-1, n)) and its multinomial probability ``n! / (prod_i c_i! n^n)`` ``[M]``."""
    combos = np.array(list(itertools.combinations_with_replacement(range(n), n)))
    counts = np.zeros((len(combos), n), dtype=np.int64)
    np.add.at(counts, (np.repeat(np.arange(len(combos)), n), combos.ravel()), 1)
    log_w = math.lgamma(n + 1) - special.gammaln(counts + 1).sum(1) - n * math.log(n)
    return counts.astype(np.float64), np.exp(log_w)


_RESAMPLES: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def expanded_percentile_ci95(x: np.ndarray) -> tuple[float, float]:
    r"""Expanded percentile bootstrap interval of the mean (Hesterberg 2015, "What
    teachers should know about the bootstrap", The American Statistician 69(4), Sec. 5).

    The percentile interval :math:`[\hat G^{-1}(\alpha'), \hat G^{-1}(1-\alpha')]` of
    the bootstrap distribution :math:`\hat G` of the resample mean, with the tail
    :math:`\alpha'` widened for small n so that, for normal data, it is as wide as the
    t-interval: :math:`\alpha' = \Phi\big(-\sqrt{n/(n-1)}\; t_{0.975,\,n-1}\big)`.
    Every resample mean is a weighted mean of the values, so the interval lies within
    ``[min x, max x]`` and never leaves any range that holds the data (no clipping).
    Up to :data:`EXACT_BOOTSTRAP_N` values :math:`\hat G` is enumerated exactly (no
    randomness); above, 20,000 resamples of ``scipy.stats.bootstrap`` with a fixed seed.
    Coverage on skewed data of n = 5-8 is about Student-t's (0.83-0.90 on lognormal,
    exponential and beta(0.5, 5) samples; tests/report/test_intervals.py). At n = 3-4 it
    is nearly ``[min x, max x]`` and covers less often (0.63-0.76 at n = 3): an interval
    kept inside the values cannot be as wide as the t-interval there, which leaves the
    range instead.
    """
    n = x.size
    alpha = float(stats.norm.sf(math.sqrt(n / (n - 1)) * stats.t.ppf(0.975, n - 1)))
    if n > EXACT_BOOTSTRAP_N:
        res = stats.bootstrap(
            (x,), np.mean, method="percentile", confidence_level=1 - 2 * alpha,
            n_resamples=20_000, random_state=np.random.default_rng(0),
        )
        return float(res.confidence_interval.low), float(res.confidence_interval.high)
    if n not in _RESAMPLES:
        _RESAMPLES[n] = _bootstrap_resamples(n)
    counts, weights = _RESAMPLES[n]
    means = counts @ x / n
    order = np.argsort(means, kind="stable")
    means, cdf = means[order], np.cumsum(weights[order])
    cdf /= cdf[-1]
    last = len(means) - 1
    lo = means[min(int(np.searchsorted(cdf, alpha)), last)]
    hi = means[min(int(np.searchsorted(cdf, 1 - alpha)), last)]
    # a weighted mean of values can round a hair outside them
    return float(max(lo, x.min())), float(min(hi, x.max()))


def cox_log_ci95(x: np.ndarray, low: float = 0.0) -> tuple[float, float]:
    r"""Modified Cox interval for the mean of positive, right-skewed values (Olsson 2005,
    "Confidence intervals for the mean of a log-normal distribution", J. Statistics
    Education 13(1); Zhou & Gao 1997).

    With :math:`y_i = \log(x_i - a)` (``a = low``, the metric's lower end), mean
    :math:`\bar y` and variance :math:`s^2`, the mean of a lognormal is
    :math:`a + e^{\mu + \sigma^2/2}`, and the interval is

    .. math::

        a + \exp\Big(\bar y + \frac{s^2}{2} \pm t_{0.975,\,n-1}
            \sqrt{\frac{s^2}{n} + \frac{s^4}{2(n-1)}}\Big),

    above ``a`` by construction. Metrics over seeds are positive and right-skewed (one
    seed that collapses has a large W1), where the symmetric t-interval both goes
    below 0 and under-covers: on lognormal and exponential samples of n = 5-8 this
    interval covers the mean 93-98% of the time, Student-t's 83-89%
    (tests/report/test_intervals.py). Needs every value above ``a``.
    """
    y = np.log(x - low)
    n = y.size
    s2 = float(y.var(ddof=1))
    centre = float(y.mean()) + s2 / 2
    half = float(stats.t.ppf(0.975, n - 1)) * math.sqrt(s2 / n + s2 * s2 / (2 * (n - 1)))
    return low + math.exp(centre - half), low + math.exp(centre + half)


def metric_ci95(values: Iterable[float], metric: str | None = None) -> tuple[float, float, float]:
    """Mean and a 95% interval of the mean over seeds that keeps to ``metric``'s range.

    NaN values are ignored. One rule per kind of range (:func:`range_kind`):

    * no declared range: the Student-t interval (:func:`mean_ci95`);
    * ``[a, inf)`` (distances, errors): :func:`cox_log_ci95` on ``log(x - a)``; where a
      value sits at ``a`` itself (its log is -inf) the bounded rule below;
    * ``[a, b]`` (fractions, accuracies, mode counts of K, KL up to log K):
      :func:`expanded_percentile_ci95`, inside the values' own span.

    Returns ``(mean, lo, hi)``: ``(x, x, x)`` when all values are equal, ``(mean, nan,
    nan)`` with fewer than :data:`MIN_INTERVAL_N` values, ``(nan, nan, nan)`` with none.
    """
    x = np.asarray(list(values), dtype=np.float64).ravel()
    x = x[~np.isnan(x)]
    if x.size == 0:
        return (math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if x.size < MIN_INTERVAL_N:
        return (mean, math.nan, math.nan)
    if np.all(x == x[0]):
        return (float(x[0]), float(x[0]), float(x[0]))
    kind = "real" if metric is None else range_kind(metric)
    if kind == "real" or not np.all(np.isfinite(x)):
        return mean_ci95(x)
    if kind == "positive":
        low = float(METRIC_RANGE[base_metric(metric)][0])
        if np.all(x > low):
            return (mean, *cox_log_ci95(x, low))
    return (mean, *expanded_percentile_ci95(x))


def interval_method(metric: str) -> str:
    """The name of the rule :func:`metric_ci95` uses for ``metric``."""
    return INTERVAL_METHODS[range_kind(metric)]


def _labels_in_order(members: Sequence[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(m["loss"] for m in members))


def _metrics_in_order(members: Sequence[dict[str, Any]]) -> list[str]:
    names: dict[str, None] = {}
    for m in members:
        if m.get("status") in SCORED:
            names.update(dict.fromkeys(m.get("metrics", {})))
    return list(names)


def _entry(loss: str, metric: str, values: list[float]) -> dict[str, Any]:
    mean, lo, hi = metric_ci95(values, metric)
    n = int(np.count_nonzero(~np.isnan(np.asarray(values, dtype=np.float64))))
    return {
        "loss": loss,
        "metric": metric,
        "mean": finite_or_none(mean),
        "ci95": [finite_or_none(lo), finite_or_none(hi)],
        "ci_method": interval_method(metric),
        "n": n,
        "rank": None,
        "p_vs_best": None,
        "p_vs_best_holm": None,
        "n_pairs": None,
        "diff_vs_best": None,
        "diff_ci95": [None, None],
    }


def ranking(
    members: Sequence[dict[str, Any]], metrics: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Rank the loss labels on each metric by their mean final value over ok seeds.

    ``members`` are dicts as :meth:`RunStore.members` returns them (``loss``,
    ``status``, ``metrics``). For each metric (``metrics`` if given, else every
    metric found in the ok members' final metrics, in first-seen order) there is
    one entry per loss label: ``{"loss", "metric", "mean", "ci95": [lo, hi],
    "ci_method", "n", "rank", "p_vs_best", "p_vs_best_holm", "n_pairs",
    "diff_vs_best", "diff_ci95": [lo, hi]}`` with the mean and the range-respecting
    interval of :func:`metric_ci95` (named by ``ci_method``) over the loss's members
    with metrics (``ok`` and ``not-converged``; ``n`` = how many gave a number).
    Within a metric entries are sorted best-first (see :data:`METRIC_DIRECTION`) and
    ranked 1, 2, ...; losses with no value (mean ``None``) come last with rank ``None``.
    Every ranked loss but the best gets :func:`paired_p` against the best
    (``p_vs_best``, over ``n_pairs`` shared seeds), its :func:`holm` adjustment across
    the metric's comparisons (``p_vs_best_holm``) and the effect size
    :func:`paired_difference` (this loss minus the best: ``diff_vs_best`` and its
    ``diff_ci95``); the best's are ``None``. Non-finite numbers are ``None``.
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
                if m["loss"] == label and m.get("status") in SCORED and metric in m["metrics"]
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


def paired_difference(
    a: Mapping[Any, float], b: Mapping[Any, float], metric: str | None = None
) -> tuple[float | None, float | None, float | None]:
    r"""The effect size beside :func:`paired_p`: the mean paired difference
    :math:`\bar d = \frac1m\sum_s (a_s - b_s)` over the ``m`` shared seeds, with a 95%
    interval that keeps to the differences' range.

    A difference of a metric in :math:`[l, h]` lies in :math:`[-(h-l), h-l]`: for a
    metric bounded on both sides the bounded rule of :func:`metric_ci95` (the exact
    expanded percentile bootstrap of the differences, inside their span; none from fewer
    than :data:`MIN_INTERVAL_N` pairs). Otherwise a difference may take any value and the
    interval is the paired t-interval :math:`\bar d \pm t_{0.975,\,m-1}\, s_d/\sqrt m`,
    the one that excludes 0 exactly when the paired t-test's two-sided p is below 0.05.

    Returns ``(mean, lo, hi)``; the interval is ``None`` with fewer than 2 pairs, all
    three with none.
    """
    seeds = sorted(set(a) & set(b))
    if not seeds:
        return None, None, None
    d = np.array([a[s] - b[s] for s in seeds], dtype=np.float64)
    mean = float(d.mean())
    if d.size < 2:
        return finite_or_none(mean), None, None
    if metric is not None and range_kind(metric) == "bounded":
        if d.size < MIN_INTERVAL_N:
            return finite_or_none(mean), None, None
        lo, hi = (mean, mean) if np.all(d == d[0]) else expanded_percentile_ci95(d)
    else:
        _, lo, hi = mean_ci95(d)
    return finite_or_none(mean), finite_or_none(lo), finite_or_none(hi)


def _paired_against_best(ranked: list[dict[str, Any]], by_seed: dict[str, dict]) -> None:
    known = [e for e in ranked if e["rank"] is not None]
    if len(known) < 2:
        return
    best = by_seed[known[0]["loss"]]
    others = known[1:]
    for e in others:
        mine = by_seed[e["loss"]]
        e["p_vs_best"], e["n_pairs"] = paired_p(best, mine)
        e["diff_vs_best"], lo, hi = paired_difference(mine, best, e["metric"])
        e["diff_ci95"] = [lo, hi]
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
