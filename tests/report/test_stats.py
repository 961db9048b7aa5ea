import json
import math

import numpy as np
import pytest
from scipy import stats

from losslab.report.stats import (
    METRIC_DIRECTION,
    holm,
    mean_ci95,
    paired_p,
    ranking,
    verdict,
    verdicts,
)


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
    assert b["ci95"] == [None, None]  # two seeds: no interval (MIN_INTERVAL_N = 3)
    assert b["n"] == 2
    assert set(b) == {
        "loss",
        "metric",
        "mean",
        "ci95",
        "ci_method",
        "n",
        "rank",
        "p_vs_best",
        "p_vs_best_holm",
        "n_pairs",
        "diff_vs_best",
        "diff_ci95",
    }


def test_ranking_higher_is_better_for_mode_metrics():
    higher = {"modes", "high_quality", "accuracy", "balanced_accuracy", "macro_f1"}
    higher |= {"digit_modes", "digit_confident"}
    assert {k for k, v in METRIC_DIRECTION.items() if v == "max"} == higher
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


# -- paired tests ----------------------------------------------------------------------


def test_ranking_ci_of_a_metric_without_a_range_is_the_scipy_t_interval():
    """``mmd`` may go below 0 (unbiased estimate): no range, the Student-t interval."""
    rng = np.random.default_rng(7)
    values = {"a": rng.normal(1.0, 0.3, 6), "b": rng.normal(2.0, 0.5, 6)}
    members = [_member(k, s, mmd=float(v[s])) for k, v in values.items() for s in range(6)]
    for e in ranking(members):
        assert e["ci_method"] == "Student-t interval"
        x = values[e["loss"]]
        lo, hi = stats.t.interval(0.95, x.size - 1, loc=x.mean(), scale=stats.sem(x))
        assert e["mean"] == pytest.approx(float(np.mean(x)))
        assert e["ci95"] == pytest.approx([lo, hi])


def _paired_by_hand(x, y):
    # t = mean(d) / (sd(d) / sqrt(n)) on the per-seed differences, two-sided Student t tail
    d = np.asarray(x) - np.asarray(y)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(d.size))
    return 2 * stats.t.sf(abs(t), d.size - 1)


def test_paired_p_matches_scipy_ttest_rel_and_a_hand_computation():
    a = {0: 0.10, 1: 0.30, 2: 0.22, 3: 0.41, 4: 0.18}
    b = {0: 0.25, 1: 0.38, 2: 0.40, 3: 0.52, 4: 0.20}
    p, n = paired_p(a, b)
    xs, ys = [a[s] for s in range(5)], [b[s] for s in range(5)]
    assert n == 5
    assert p == pytest.approx(stats.ttest_rel(xs, ys).pvalue)
    assert p == pytest.approx(_paired_by_hand(xs, ys))
    # unpaired Welch on the same numbers is much weaker: pairing removes the seed effect
    assert p < stats.ttest_ind(xs, ys, equal_var=False).pvalue


def test_paired_p_pairs_only_shared_seeds():
    a = {0: 1.0, 1: 2.0, 2: 3.5, 7: 100.0}
    b = {0: 1.5, 1: 2.1, 2: 4.5, 9: -100.0}
    p, n = paired_p(a, b)
    assert n == 3
    assert p == pytest.approx(stats.ttest_rel([1.0, 2.0, 3.5], [1.5, 2.1, 4.5]).pvalue)


def test_paired_p_needs_two_pairs_and_a_spread():
    assert paired_p({0: 1.0}, {0: 2.0}) == (None, 1)
    assert paired_p({0: 1.0, 1: 2.0}, {0: 1.0, 1: 2.0}) == (None, 2)  # all differences zero


def test_holm_by_hand():
    # sorted: 0.01 (x3 = 0.03), 0.02 (x2 = 0.04), 0.04 (x1 = 0.04, monotone), in input order
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    # step-down monotonicity and the cap at 1
    assert holm([0.3, 0.2, 0.9]) == pytest.approx([0.6, 0.6, 0.9])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([None, 0.02, None]) == [None, pytest.approx(0.02), None]
    assert holm([]) == []


def test_ranking_p_values_are_paired_tests_against_the_best_with_holm():
    w1 = {
        "best": [0.10, 0.20, 0.15, 0.30, 0.12],
        "close": [0.11, 0.23, 0.14, 0.33, 0.13],
        "far": [0.50, 0.62, 0.48, 0.75, 0.55],
    }
    members = [_member(k, s, w1=v[s]) for k, v in w1.items() for s in range(5)]
    members.append(_member("far", 5, status="diverged", w1=0.0))
    entries = {e["loss"]: e for e in _by_metric(ranking(members), "w1")}
    assert entries["best"]["rank"] == 1
    assert entries["best"]["p_vs_best"] is None and entries["best"]["p_vs_best_holm"] is None
    raw = {k: stats.ttest_rel(w1["best"], w1[k]).pvalue for k in ("close", "far")}
    # Holm with two p-values p1 <= p2: min(1, 2 p1) and min(1, max(2 p1, p2))
    p1, p2 = sorted(raw.values())
    adjusted = {p1: min(1.0, 2 * p1), p2: min(1.0, max(2 * p1, p2))}
    expected = {k: adjusted[v] for k, v in raw.items()}
    for k in ("close", "far"):
        assert entries[k]["p_vs_best"] == pytest.approx(raw[k])
        assert entries[k]["p_vs_best_holm"] == pytest.approx(expected[k])
        assert entries[k]["n_pairs"] == 5
        # the effect size: mean paired difference and its paired t-interval, by hand
        d = np.asarray(w1[k]) - np.asarray(w1["best"])
        half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
        assert entries[k]["diff_vs_best"] == pytest.approx(d.mean())
        assert entries[k]["diff_ci95"] == pytest.approx([d.mean() - half, d.mean() + half])
        excludes_zero = entries[k]["diff_ci95"][0] > 0 or entries[k]["diff_ci95"][1] < 0
        assert excludes_zero == (raw[k] < 0.05)  # the interval of the paired test
    assert entries["best"]["diff_vs_best"] is None
    v = verdicts(ranking(members))["w1"]
    assert v["best"] == "best" and v["significant"] is False
    assert [x["loss"] for x in v["not_separated"]] == ["close"]


# -- verdict ---------------------------------------------------------------------------


def _entry(loss, rank, holm_p, n_pairs=3):
    return {
        "loss": loss,
        "metric": "w1",
        "mean": 0.1 * rank,
        "ci95": [None, None],
        "n": 3,
        "rank": rank,
        "p_vs_best": holm_p,
        "p_vs_best_holm": holm_p,
        "n_pairs": n_pairs,
    }


def test_verdict_significant_only_if_every_other_loss_differs():
    apart = verdict([_entry("a", 1, None), _entry("b", 2, 0.01), _entry("c", 3, 0.001)])
    assert apart["best"] == "a" and apart["runner_up"] == "b"
    assert apart["significant"] is True and apart["not_separated"] == []
    close = verdict([_entry("a", 1, None), _entry("b", 2, 0.2), _entry("c", 3, 0.001)])
    assert close["significant"] is False
    assert close["not_separated"] == [{"loss": "b", "p_holm": 0.2}]
    assert "paired t-test" in close["test"] and close["alpha"] == 0.05


def test_two_paired_seeds_never_support_a_conclusion():
    v = verdict([_entry("a", 1, None), _entry("b", 2, 0.001, n_pairs=2)])
    assert v["significant"] is False and v["not_separated"][0]["loss"] == "b"


def test_verdict_without_a_test_is_not_significant():
    v = verdict([_entry("a", 1, None), _entry("b", 2, None)])
    assert v["significant"] is False and v["not_separated"] == [{"loss": "b", "p_holm": None}]
    single = verdict([_entry("a", 1, None)])
    assert single["runner_up"] is None and single["significant"] is False


def test_verdicts_per_metric_from_ranking():
    members = [_member("a", s, w1=0.1 + 0.01 * s + 0.003 * s * s) for s in range(4)]
    members += [_member("b", s, w1=0.9 + 0.012 * s) for s in range(4)]
    v = verdicts(ranking(members))
    assert v["w1"]["best"] == "a" and v["w1"]["significant"] is True
