import json
import math

import numpy as np
import pytest
from scipy import stats

from losslab.report.stats import METRIC_DIRECTION, mean_ci95, ranking, verdict, verdicts


def _member(loss, seed, status="ok", **metrics):
    return {"loss": loss, "seed": seed, "status": status, "metrics": metrics}


# -- mean_ci95 -------------------------------------------------------------------------


def test_mean_ci95_hand_computation():
    # x = 1, 2, 3: mean 2, s = 1, t_{0.975, 2} = 4.302652729911275 -> half width t * s / sqrt(3)
    mean, lo, hi = mean_ci95([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)
    assert mean == pytest.approx(2.0)
    assert lo == pytest.approx(2.0 - half)
    assert hi == pytest.approx(2.0 + half)


@pytest.mark.parametrize("n", [2, 3, 5, 10, 30])
def test_mean_ci95_matches_scipy_t_interval(n):
    x = np.random.default_rng(n).normal(3.0, 2.0, size=n)
    mean, lo, hi = mean_ci95(x)
    expected = stats.t.interval(0.95, n - 1, loc=x.mean(), scale=stats.sem(x))
    assert mean == pytest.approx(x.mean())
    assert (lo, hi) == pytest.approx(expected)


def test_mean_ci95_ignores_nan():
    with_nan = mean_ci95([1.0, np.nan, 2.0, 3.0, np.nan])
    assert with_nan == pytest.approx(mean_ci95([1.0, 2.0, 3.0]))


def test_mean_ci95_one_value_has_no_interval():
    mean, lo, hi = mean_ci95([4.5, np.nan])
    assert mean == 4.5
    assert math.isnan(lo) and math.isnan(hi)


@pytest.mark.parametrize("values", [[], [np.nan, np.nan]])
def test_mean_ci95_no_value_is_all_nan(values):
    assert all(math.isnan(v) for v in mean_ci95(values))


def test_mean_ci95_constant_values_have_zero_width():
    assert mean_ci95([2.0, 2.0, 2.0]) == pytest.approx((2.0, 2.0, 2.0))


# -- ranking ---------------------------------------------------------------------------


def _by_metric(ranked, metric):
    return [e for e in ranked if e["metric"] == metric]


def test_ranking_lower_is_better_by_default():
    members = [
        _member("a", 0, w1=0.5),
        _member("a", 1, w1=0.7),
        _member("b", 0, w1=0.1),
        _member("b", 1, w1=0.2),
        _member("c", 0, w1=0.3),
        _member("c", 1, w1=0.4),
    ]
    entries = _by_metric(ranking(members), "w1")
    assert [e["loss"] for e in entries] == ["b", "c", "a"]
    assert [e["rank"] for e in entries] == [1, 2, 3]
    b = entries[0]
    assert b["mean"] == pytest.approx(0.15)
    assert b["ci95"] == pytest.approx(list(mean_ci95([0.1, 0.2])[1:]))
    assert b["n"] == 2
    assert set(b) == {"loss", "metric", "mean", "ci95", "n", "rank"}


def test_ranking_higher_is_better_for_mode_metrics():
    assert METRIC_DIRECTION == {"modes": "max", "high_quality": "max"}
    members = [
        _member("a", 0, modes=3.0, high_quality=0.9, reverse_kl=0.5),
        _member("b", 0, modes=8.0, high_quality=0.5, reverse_kl=0.1),
    ]
    ranked = ranking(members)
    assert [e["loss"] for e in _by_metric(ranked, "modes")] == ["b", "a"]
    assert [e["loss"] for e in _by_metric(ranked, "high_quality")] == ["a", "b"]
    assert [e["loss"] for e in _by_metric(ranked, "reverse_kl")] == ["b", "a"]


def test_ranking_skips_non_ok_members_and_nan_values():
    members = [
        _member("a", 0, w1=1.0),
        _member("a", 1, w1=np.nan),  # ok but the metric could not be computed
        _member("a", 2, status="diverged", w1=0.0),  # would win if it were counted
        _member("b", 0, w1=0.5),
        _member("b", 1, w1=0.7),
    ]
    a = next(e for e in ranking(members) if e["loss"] == "a")
    assert a["mean"] == 1.0 and a["n"] == 1
    assert a["ci95"] == [None, None]  # n = 1: no interval, and no NaN in the output


def test_ranking_puts_losses_without_results_last():
    members = [
        _member("dead", 0, status="failed"),
        _member("dead", 1, status="diverged"),
        _member("a", 0, w1=0.3),
        _member("b", 0, w1=0.2),
    ]
    entries = _by_metric(ranking(members), "w1")
    assert [e["loss"] for e in entries] == ["b", "a", "dead"]
    assert entries[-1]["mean"] is None and entries[-1]["rank"] is None
    assert entries[-1]["ci95"] == [None, None] and entries[-1]["n"] == 0
    json.dumps(entries, allow_nan=False)  # strict JSON


def test_ranking_metrics_argument_selects_and_orders():
    members = [_member("a", 0, w1=0.3, ks=0.1, energy=0.2)]
    ranked = ranking(members, metrics=["ks", "w1"])
    assert [e["metric"] for e in ranked] == ["ks", "w1"]


def test_ranking_of_only_failed_members_is_empty():
    assert ranking([_member("a", 0, status="failed")]) == []


# -- verdict ---------------------------------------------------------------------------


def _entry(loss, mean, lo, hi):
    return {"loss": loss, "metric": "w1", "mean": mean, "ci95": [lo, hi], "n": 3, "rank": 1}


def test_verdict_significant_only_without_overlap():
    apart = verdict([_entry("a", 0.1, 0.05, 0.15), _entry("b", 0.5, 0.4, 0.6)])
    assert apart == {"metric": "w1", "best": "a", "runner_up": "b", "significant": True}
    overlap = verdict([_entry("a", 0.1, 0.0, 0.45), _entry("b", 0.5, 0.4, 0.6)])
    assert overlap["significant"] is False


def test_verdict_without_interval_is_not_significant():
    v = verdict([_entry("a", 0.1, None, None), _entry("b", 0.5, 0.4, 0.6)])
    assert v["significant"] is False


def test_verdicts_per_metric_from_ranking():
    members = [_member("a", s, w1=0.1 + 0.01 * s) for s in range(3)]
    members += [_member("b", s, w1=0.9 + 0.01 * s) for s in range(3)]
    v = verdicts(ranking(members))
    assert v["w1"]["best"] == "a" and v["w1"]["significant"] is True
