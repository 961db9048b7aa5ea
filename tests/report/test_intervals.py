"""Intervals that respect the metric (issue 19): each declared range holds every interval,
each rule matches an independent computation, and coverage on skewed data is checked by
simulation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from losslab.metrics.direction import METRIC_RANGE, metric_range, range_kind
from losslab.report.stats import (
    cox_log_ci95,
    expanded_percentile_ci95,
    mean_ci95,
    metric_ci95,
)

K = 8  # ring8's modes


def _inside(lo, hi, low, high):
    return low <= lo <= hi <= high


# -- the declared ranges hold every interval -----------------------------------------


def _extremes(low: float, high: float) -> list[list[float]]:
    """Small samples at and near the ends of [low, high] (high may be inf)."""
    top = 1.0 if math.isinf(high) else high
    span = top - low
    return [
        [low, low, low + 0.01 * span],  # the issue's [0, 0, 0.01]
        [low, low, low, low + 1e-6 * span],
        [low + 0.0041 * span, low + 0.0010 * span, low + 0.0090 * span],
        [top, top, top - 0.01 * span],
        [low, top, low],
        [low, top, top, top, top],
        [low + 0.1 * span, low + 2.9 * span, low + 0.01 * span]
        if math.isinf(high)
        else [low, low + 0.5 * span, top],
        [low + 0.997 * span, low + 0.02 * span, low + 2.09 * span, low + 0.5 * span]
        if math.isinf(high)
        else [low + 1 / 8 * span, low, low + 2 / 8 * span, low],
    ]


@pytest.mark.parametrize("metric", sorted(METRIC_RANGE))
def test_no_interval_leaves_its_metric_range_on_extreme_values(metric):
    low, high = metric_range(metric, K)
    for values in _extremes(low, high):
        mean, lo, hi = metric_ci95(values, metric)
        assert _inside(lo, hi, low, high), (metric, values, lo, hi)
        assert lo <= mean <= hi
        # Student-t leaves the range on most of these (the issue's W1 [-0.098, 2.09])
    t_lo, _ = mean_ci95([0.0, 0.0, 0.01])[1:]
    assert t_lo < 0


def test_the_issue_examples_stay_in_range():
    for values, metric, (low, high) in [
        ([0.0, 0.0, 0.01], "high_quality", (0.0, 1.0)),
        ([0.1, 2.9, 0.5, 0.49, 1.0], "w1", (0.0, math.inf)),
        ([0.0, 4.0, 0.0, 0.0, 2.65], "modes", (0.0, 8.0)),
        ([8.0, 8.0, 7.0], "modes", (0.0, 8.0)),
        ([0.99, 1.0, 1.0], "accuracy", (0.0, 1.0)),
        ([math.log(8), math.log(8), 0.3], "reverse_kl", (0.0, math.log(8))),
    ]:
        _, lo, hi = metric_ci95(values, metric)
        assert _inside(lo, hi, low, high), (metric, values, lo, hi)


def test_every_range_kind_has_its_rule():
    assert {range_kind(m) for m in METRIC_RANGE} == {"positive", "bounded"}
    assert range_kind("w1") == range_kind("w1 @ ring8") == "positive"
    assert range_kind("modes") == range_kind("high_quality") == "bounded"
    assert range_kind("mmd") == range_kind("nll") == "real"  # both may go below 0
    assert metric_range("modes", 8) == (0.0, 8.0)
    assert metric_range("reverse_kl", 8) == (0.0, math.log(8))
    assert metric_range("modes") == (0.0, math.inf)


def test_fallbacks_few_values_equal_values_nan():
    assert all(math.isnan(v) for v in metric_ci95([0.3, 0.5], "w1")[1:])
    assert metric_ci95([0.3], "high_quality")[0] == 0.3
    assert metric_ci95([0.0, 0.0, 0.0], "w1") == (0.0, 0.0, 0.0)
    assert metric_ci95([8.0, 8.0, 8.0, np.nan], "modes") == (8.0, 8.0, 8.0)
    assert all(math.isnan(v) for v in metric_ci95([], "w1"))
    # a value at the lower end of [0, inf): no log, so the bounded rule, inside the values
    mean, lo, hi = metric_ci95([0.0, 0.2, 0.4, 0.3], "w1")
    assert 0.0 <= lo <= mean <= hi <= 0.4


# -- each rule against an independent computation ------------------------------------


def test_cox_interval_by_hand():
    x = [0.2, 0.5, 1.3, 0.7, 2.4]
    y = [math.log(v) for v in x]
    n = len(y)
    ybar = sum(y) / n
    s2 = sum((v - ybar) ** 2 for v in y) / (n - 1)
    half = stats.t.ppf(0.975, n - 1) * math.sqrt(s2 / n + s2**2 / (2 * (n - 1)))
    want = (math.exp(ybar + s2 / 2 - half), math.exp(ybar + s2 / 2 + half))
    assert cox_log_ci95(np.array(x)) == pytest.approx(want, rel=1e-12)
    assert metric_ci95(x, "w1") == pytest.approx((sum(x) / n, *want), rel=1e-12)


def _brute_bootstrap(x, alpha):
    """Every ordered resample (n^n of them, equally likely), by a plain loop."""
    means = sorted(sum(x[i] for i in idx) / len(x) for idx in itertools.product(
        range(len(x)), repeat=len(x)))
    m = len(means)
    lo = means[math.ceil(alpha * m - 1e-9) - 1]
    hi = means[math.ceil((1 - alpha) * m - 1e-9) - 1]
    return lo, hi


@pytest.mark.parametrize("x", [[0.1, 0.4, 0.35, 0.9], [0.0, 0.0, 0.01], [3.0, 1.0, 2.0, 8.0, 0.0]])
def test_expanded_percentile_enumerates_the_exact_bootstrap(x):
    n = len(x)
    alpha = stats.norm.sf(math.sqrt(n / (n - 1)) * stats.t.ppf(0.975, n - 1))
    assert expanded_percentile_ci95(np.array(x)) == pytest.approx(
        _brute_bootstrap(x, alpha), abs=1e-12
    )


def test_expanded_percentile_above_the_exact_size_is_seeded_and_inside_the_values():
    x = np.random.default_rng(3).beta(0.5, 5.0, 14)
    a, b = expanded_percentile_ci95(x), expanded_percentile_ci95(x)
    assert a == b  # a fixed random_state
    assert x.min() <= a[0] <= x.mean() <= a[1] <= x.max()


# -- coverage by simulation on skewed data --------------------------------------------


def _coverage(draw, true_mean, metric, sizes, reps, seed):
    rng = np.random.default_rng(seed)
    ours = t = total = 0
    for n in sizes:
        for _ in range(reps):
            x = draw(rng, n)
            _, lo, hi = metric_ci95(x, metric)
            _, t_lo, t_hi = mean_ci95(x)
            ours += lo <= true_mean <= hi
            t += t_lo <= true_mean <= t_hi
            total += 1
    return ours / total, t / total


SKEWED = {
    # [0, inf) metrics: the modified Cox interval
    "lognormal(0, 1)": (lambda r, n: r.lognormal(0.0, 1.0, n), math.exp(0.5), "w1"),
    "exponential(1)": (lambda r, n: r.exponential(1.0, n), 1.0, "w1"),
    # a [0, 1] fraction near 0 (like high quality): the expanded percentile bootstrap
    "beta(0.5, 5)": (lambda r, n: r.beta(0.5, 5.0, n), 0.5 / 5.5, "high_quality"),
}
TOLERANCE = 0.03
"""Coverage of a 95% interval here must be at least 0.95 - TOLERANCE (the [0, inf) rule)
or at least Student-t's - 0.02 (the bounded rule, whose intervals stay inside the
values): 1000 repetitions estimate a coverage to about +-0.01 (one SE)."""


@pytest.mark.parametrize("name", sorted(SKEWED))
def test_coverage_on_skewed_samples_of_5_to_8(name):
    draw, true_mean, metric = SKEWED[name]
    sizes = (5, 8) if range_kind(metric) == "bounded" else (5, 6, 7, 8)
    ours, t = _coverage(draw, true_mean, metric, sizes, reps=1000, seed=19)
    if range_kind(metric) == "positive":
        assert ours >= 0.95 - TOLERANCE, (name, ours, t)
        assert ours > t, (name, ours, t)  # Student-t under-covers skewed means
    else:
        assert ours >= t - 0.02, (name, ours, t)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SKEWED))
def test_coverage_on_skewed_samples_long(name):
    draw, true_mean, metric = SKEWED[name]
    # the bounded rule stays inside the values, which at n = 3-4 is too narrow (documented)
    sizes = (5, 6, 7, 8) if range_kind(metric) == "bounded" else (3, 4, 5, 6, 7, 8)
    ours, t = _coverage(draw, true_mean, metric, sizes, reps=4000, seed=7)
    if range_kind(metric) == "positive":
        assert ours >= 0.95 - TOLERANCE and ours > t, (name, ours, t)
    else:
        assert ours >= t - 0.03, (name, ours, t)


# -- the effect size keeps to the differences' range ------------------------------------


def test_paired_difference_of_a_bounded_metric_stays_within_plus_minus_its_span():
    """modes in [0, 8]: a difference lies in [-8, 8]; the paired t-interval of
    [-8, -2, -7] (Student-t, 2 df) would reach below -8."""
    from losslab.report.stats import paired_difference

    best = {0: 8.0, 1: 8.0, 2: 8.0}
    other = {0: 0.0, 1: 6.0, 2: 1.0}
    d = np.array([other[s] - best[s] for s in range(3)])
    t_lo = d.mean() - stats.t.ppf(0.975, 2) * d.std(ddof=1) / math.sqrt(3)
    assert t_lo < -8
    mean, lo, hi = paired_difference(other, best, "modes")
    assert mean == pytest.approx(d.mean())
    alpha = stats.norm.sf(math.sqrt(3 / 2) * stats.t.ppf(0.975, 2))
    assert (lo, hi) == pytest.approx(_brute_bootstrap(list(d), alpha), abs=1e-12)
    assert -8 <= lo <= mean <= hi <= 8
    # a [0, inf) metric: the paired t-interval, the interval of the paired t-test
    mean, lo, hi = paired_difference(other, best, "w1")
    assert (lo, hi) == pytest.approx(
        stats.t.interval(0.95, 2, loc=d.mean(), scale=d.std(ddof=1) / math.sqrt(3))
    )
    assert paired_difference({0: 1.0, 1: 2.0}, {0: 0.5, 1: 1.0}, "modes")[1:] == (None, None)
