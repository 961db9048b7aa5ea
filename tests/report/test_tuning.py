import itertools
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from opda.nonparametric import EmpiricalDistribution

from losslab.report.tuning import (
    expected_best,
    plot_quality_vs_cost,
    plot_sensitivity,
    plot_tuning_curves,
    tuning_curve,
    verdict_sentence,
)

PNG = b"\x89PNG\r\n\x1a\n"


def brute_force_best(values, k, minimize):
    """Mean over every k-subset of its best value; NaN counts as worse than everything."""
    bests = []
    for subset in itertools.combinations(values, k):
        finite = [v for v in subset if not math.isnan(v)]
        bests.append((min if minimize else max)(finite) if finite else math.nan)
    return math.nan if any(math.isnan(b) for b in bests) else sum(bests) / len(bests)


def _sample(seed, n, n_nan):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    x[rng.choice(n, size=n_nan, replace=False)] = np.nan
    return x.tolist()


# -- expected_best ---------------------------------------------------------------------


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("n_nan", [0, 1, 3])
@pytest.mark.parametrize("seed", range(4))
def test_expected_best_matches_brute_force(seed, n_nan, minimize):
    values = _sample(seed, 7, n_nan)
    for k in range(1, 8):
        expected = brute_force_best(values, k, minimize)
        got = expected_best(values, k, minimize)
        if math.isnan(expected):
            assert math.isnan(got), (k, got)
        else:
            assert got == pytest.approx(expected, rel=1e-12, abs=1e-12), k


def test_expected_best_is_nan_exactly_when_k_diverged_trials_can_be_drawn():
    values = [0.3, math.nan, 0.1, math.nan, 0.7]
    assert [math.isnan(expected_best(values, k, True)) for k in range(1, 6)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    assert expected_best(values, 5, True) == 0.1  # all drawn: the best finite one
    assert expected_best([0.3, None, 0.1], 2, True) == expected_best([0.3, math.nan, 0.1], 2, True)
    assert expected_best(values, 5, False) == 0.7


@pytest.mark.parametrize("minimize", [False, True])
@pytest.mark.parametrize("seed", range(3))
def test_expected_best_equals_opda_u_statistic(seed, minimize):
    ys = np.random.default_rng(100 + seed).uniform(size=11)
    opda = EmpiricalDistribution(ys).u_tuning_curve(np.arange(1, 12), minimize=minimize)
    ours = [expected_best(ys, k, minimize) for k in range(1, 12)]
    np.testing.assert_allclose(ours, opda, rtol=1e-12)


def test_expected_best_stays_exact_for_hundreds_of_trials():
    values = [int(v) for v in np.random.default_rng(7).integers(0, 1000, size=300)]
    ordered = sorted(values)
    n = len(values)
    for k in (1, 2, 37, 150, 299, 300):
        exact = sum(
            Fraction(ordered[i - 1] * math.comb(i - 1, k - 1), math.comb(n, k))
            for i in range(k, n + 1)
        )
        assert expected_best(values, k, minimize=False) == pytest.approx(float(exact), rel=1e-14)
    assert expected_best(values, 1, False) == pytest.approx(np.mean(values), rel=1e-14)


def test_expected_best_rejects_k_outside_1_to_n():
    with pytest.raises(ValueError, match="k must be"):
        expected_best([1.0, 2.0], 3, minimize=False)
    with pytest.raises(ValueError, match="k must be"):
        expected_best([1.0, 2.0], 0, minimize=False)


# -- tuning_curve ----------------------------------------------------------------------


def _col(curve, key):
    return np.array([math.nan if c[key] is None else c[key] for c in curve])


@pytest.mark.parametrize("minimize", [False, True])
def test_tuning_curve_matches_brute_force_and_opda(minimize):
    ys = np.random.default_rng(11).uniform(size=9)
    curve = tuning_curve(ys, minimize, confidence=0.8, bounds=(0.0, 1.0))
    ks = np.arange(1, 10)
    assert [c["k"] for c in curve] == ks.tolist()
    brute = [brute_force_best(ys.tolist(), k, minimize) for k in ks]
    np.testing.assert_allclose(_col(curve, "expected_best"), brute, rtol=1e-12)
    lower, point, upper = EmpiricalDistribution.confidence_bands(
        ys, 0.8, 0.0, 1.0, generator=np.random.default_rng(0), method="ld_equal_tailed"
    )
    np.testing.assert_array_equal(
        _col(curve, "median"), point.quantile_tuning_curve(ks, q=0.5, minimize=minimize)
    )
    # the upper CDF band gives the lower curve, in both directions
    np.testing.assert_array_equal(
        _col(curve, "low"), upper.quantile_tuning_curve(ks, minimize=minimize)
    )
    np.testing.assert_array_equal(
        _col(curve, "high"), lower.quantile_tuning_curve(ks, minimize=minimize)
    )


@pytest.mark.parametrize("minimize", [False, True])
def test_band_is_ordered_and_curves_move_the_right_way(minimize):
    ys = np.random.default_rng(5).exponential(size=20)
    curve = tuning_curve(ys, minimize, bounds=(0.0, math.inf))
    low, med, high = (_col(curve, key) for key in ("low", "median", "high"))
    assert np.all(low <= med) and np.all(med[np.isfinite(high)] <= high[np.isfinite(high)])
    best = _col(curve, "expected_best")
    step = np.diff(best)
    assert np.all(step <= 1e-12) if minimize else np.all(step >= -1e-12)
    if minimize:  # the band reaches the support's lower bound 0 at large k
        assert low[-1] == 0.0
    else:  # and the infinite upper bound (None) when maximising
        assert curve[-1]["high"] is None


def _coverage(sample, true_median, minimize, bounds, draws, n, seed):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(draws):
        curve = tuning_curve(sample(rng, n), minimize, confidence=0.8, bounds=bounds)
        low, high = _col(curve, "low"), _col(curve, "high")
        low = np.where(np.isnan(low), -np.inf, low)  # None: the band reached an infinite bound
        high = np.where(np.isnan(high), np.inf, high)
        hits += bool(np.all((low <= true_median) & (true_median <= high)))
    return hits / draws


KS16 = np.arange(1, 17)
COVERAGE_CASES = {
    "uniform-max": (lambda r, n: r.uniform(size=n), 0.5 ** (1 / KS16), False, (0.0, 1.0)),
    "uniform-min": (lambda r, n: r.uniform(size=n), 1 - 0.5 ** (1 / KS16), True, (0.0, 1.0)),
    # Exponential(1), support (0, inf): the min of k is Exponential(k), median log(2)/k
    "exponential-min": (
        lambda r, n: r.exponential(size=n),
        math.log(2) / KS16,
        True,
        (0.0, math.inf),
    ),
}


@pytest.mark.parametrize("case", list(COVERAGE_CASES))
def test_band_covers_the_true_median_curve_simultaneously(case):
    """300 seeded draws of n = 16 trials; the 80% band must cover the whole true curve in
    at least 75% of them (measured: uniform-max 0.957, uniform-min 0.943)."""
    sample, truth, minimize, bounds = COVERAGE_CASES[case]
    coverage = _coverage(sample, truth, minimize, bounds, draws=300, n=16, seed=20240613)
    assert 0.75 <= coverage < 1.0, coverage  # and not vacuous


def test_curves_are_deterministic():
    ys = np.random.default_rng(2).uniform(size=13)
    assert tuning_curve(ys, False, bounds=(0, 1)) == tuning_curve(ys, False, bounds=(0, 1))


@pytest.mark.parametrize("minimize", [False, True])
def test_diverged_trials_count_as_the_worst_bound_and_curves_are_json_safe(minimize):
    finite = [2.0, 5.0, 3.0, 7.0, 1.0]
    bounds = (0.0, math.inf)
    with_nan = tuning_curve([*finite, math.nan, None], minimize, bounds=bounds)
    worst = math.inf if minimize else 0.0
    replaced = tuning_curve([*finite, worst, worst], minimize, bounds=bounds)
    for a, b in zip(with_nan, replaced, strict=True):
        assert (a["median"], a["low"], a["high"]) == (b["median"], b["low"], b["high"])
    # expected best keeps NaN as "worse than everything": undefined while 2 NaNs can be drawn
    assert [c["expected_best"] is None for c in with_nan[:3]] == [True, True, False]
    text = json.dumps(with_nan, allow_nan=False)  # strict JSON: no NaN / Infinity
    assert json.loads(text) == with_nan
    for c in with_nan:
        assert set(c) == {"k", "expected_best", "median", "low", "high"}
        assert all(v is None or math.isfinite(v) for v in c.values())


def test_all_diverged_gives_no_expected_best():
    curve = tuning_curve([math.nan] * 4, minimize=True, bounds=(0.0, math.inf))
    assert [c["expected_best"] for c in curve] == [None] * 4
    assert [c["median"] for c in curve] == [None] * 4  # +inf, the worst of a distance
    json.dumps(curve, allow_nan=False)
    bounded = tuning_curve([None] * 3, minimize=False, bounds=(0.0, 8.0))
    assert [c["median"] for c in bounded] == [0.0] * 3  # no mode captured is the worst


def test_tuning_curve_input_checks():
    assert tuning_curve([], minimize=True) == []
    with pytest.raises(ValueError, match="outside the bounds"):
        tuning_curve([0.5, 1.5], minimize=False, bounds=(0.0, 1.0))
    with pytest.raises(ValueError, match="confidence"):
        tuning_curve([0.5], minimize=False, confidence=1.0)
    with pytest.raises(ValueError, match="bounds"):
        tuning_curve([0.5], minimize=False, bounds=(1.0, 0.0))


# -- figures ---------------------------------------------------------------------------


def _tuning():
    space = {
        "lr": {"low": 1e-4, "high": 1e-2, "log": True},
        "gp_weight": {"low": 0.01, "high": 100.0, "log": True},
        "n_critic": {"choices": [1, 2, 5]},
    }
    rng = np.random.default_rng(0)

    def trials(values):
        return [
            {
                "params": {
                    "lr": float(10 ** rng.uniform(-4, -2)),
                    "gp_weight": float(10 ** rng.uniform(-2, 2)),
                    "n_critic": int(rng.choice([1, 2, 5])),
                },
                "value": v,
                "seeds": [0, 1],
            }
            for v in values
        ]

    good = trials([0.9, 0.4, None, 0.2, 0.6, 0.3])
    out = {
        "wgan-gp": {"space": space, "trials": good, "best_params": good[3]["params"]},
        "nonsaturating-bce": {
            "space": {"lr": space["lr"], "label_smoothing": {"choices": ["none", "one-sided"]}},
            "trials": [
                {"params": {"lr": 2e-4, "label_smoothing": "none"}, "value": 0.5, "seeds": [0]},
                {
                    "params": {"lr": 1e-3, "label_smoothing": "one-sided"},
                    "value": 0.35,
                    "seeds": [0],
                },
                {
                    "params": {"lr": 5e-3, "label_smoothing": "one-sided"},
                    "value": None,
                    "seeds": [0],
                },
            ],
            "best_params": {"lr": 1e-3, "label_smoothing": "one-sided"},
        },
        "wgan-clip": {"space": space, "trials": trials([None, None, None]), "best_params": {}},
    }
    for entry in out.values():
        values = [t["value"] for t in entry["trials"]]
        entry["curve"] = tuning_curve(values, minimize=True, bounds=(0.0, math.inf))
    return out


def _is_png(path):
    data = path.read_bytes()
    return len(data) > 1000 and data.startswith(PNG)


def test_plot_tuning_curves_writes_a_png(tmp_path):
    out = plot_tuning_curves(_tuning(), "w1", True, tmp_path / "figs" / "tuning.png")
    assert out == tmp_path / "figs" / "tuning.png" and _is_png(out)
    maximise = {"hinge": {"curve": tuning_curve([3, 8, 5, 6], False, bounds=(0, 8))}}
    assert _is_png(plot_tuning_curves(maximise, "modes", False, tmp_path / "modes.png"))
    empty = {"x": {"curve": tuning_curve([None, None], True)}}
    assert _is_png(plot_tuning_curves(empty, "w1", True, tmp_path / "empty.png"))


def test_plot_sensitivity_writes_a_png(tmp_path):
    out = plot_sensitivity(_tuning(), "w1", tmp_path / "sensitivity.png")
    assert out == tmp_path / "sensitivity.png" and _is_png(out)
    assert _is_png(plot_sensitivity(_tuning(), "modes", tmp_path / "higher.png"))
    no_space = {"mse": {"space": {}, "trials": [], "best_params": {}, "curve": []}}
    assert _is_png(plot_sensitivity(no_space, "w1", tmp_path / "none.png"))


def test_plot_quality_vs_cost_writes_a_png(tmp_path):
    rows = [
        {"loss": loss, "stage": stage, "value": v, "passes": passes, "seconds": 1.0}
        for loss, passes in (("wgan-gp", 6e5), ("nonsaturating-bce", 2e5))
        for stage, shift in (("default", 0.3), ("tuned", 0.0))
        for v in (0.2 + shift, 0.25 + shift, 0.22 + shift)
    ]
    rows.append({"loss": "wgan-gp", "stage": "tuned", "value": None, "passes": 6e5, "seconds": 1})
    rows.append({"loss": "wgan-clip", "stage": "tuned", "value": None, "passes": 6e5, "seconds": 1})
    rows.append({"loss": "lsgan", "stage": "default", "value": 0.4, "passes": 2e5, "seconds": 1})
    out = plot_quality_vs_cost(rows, "w1", tmp_path / "cost.png")
    assert out == tmp_path / "cost.png" and _is_png(out)
    assert _is_png(plot_quality_vs_cost([], "w1", tmp_path / "empty.png"))


# -- verdict_sentence ------------------------------------------------------------------


def test_verdict_same_winner():
    default = {"best": "wgan-gp", "tied": [], "p": 0.003}
    tuned = {"best": "wgan-gp", "tied": [], "p": 0.0004}
    assert verdict_sentence(default, tuned, "w1", 8) == (
        "At paper defaults wgan-gp is best on w1 (p = 0.003); "
        "after 8 trials per loss, wgan-gp is still best (p < 0.001)."
    )


def test_verdict_different_winner():
    default = {"best": "nonsaturating-bce", "tied": [], "p": 0.01}
    tuned = {"best": "wgan-gp", "tied": [], "p": 0.02}
    assert verdict_sentence(default, tuned, "modes", 16) == (
        "At paper defaults nonsaturating-bce is best on modes (p = 0.01); "
        "after 16 trials per loss, wgan-gp is best instead (p = 0.02)."
    )


def test_verdict_tie_after_tuning():
    default = {"best": "wgan-gp", "tied": [], "p": None}
    tuned = {"best": "wgan-gp", "tied": ["nonsaturating-bce"], "p": 0.21}
    assert verdict_sentence(default, tuned, "w1", 8) == (
        "At paper defaults wgan-gp is best on w1; "
        "after 8 trials per loss, wgan-gp and nonsaturating-bce are not separable (p = 0.21)."
    )


def test_verdict_tie_at_defaults():
    default = {"best": "hinge", "tied": ["lsgan", "wgan-gp"], "p": 0.3}
    separated = {"best": "lsgan", "tied": [], "p": 0.012}
    assert verdict_sentence(default, separated, "w1", 1) == (
        "At paper defaults hinge, lsgan and wgan-gp are not separable on w1 (p = 0.3); "
        "after 1 trial per loss, lsgan is best (p = 0.012)."
    )
    outsider = {"best": "minimax-bce", "tied": [], "p": 0.04}
    assert verdict_sentence(default, outsider, "w1", 4).endswith(
        "after 4 trials per loss, minimax-bce is best (p = 0.04), ahead of all of them."
    )
    still = {"best": "lsgan", "tied": ["hinge", "wgan-gp"], "p": 0.5}
    assert verdict_sentence(default, still, "w1", 4).endswith(
        "after 4 trials per loss, lsgan, hinge and wgan-gp are still not separable (p = 0.5)."
    )


def test_verdict_edge_cases():
    nothing = {"best": None, "tied": [], "p": None}
    one = {"best": "mse", "tied": [], "p": None}
    assert verdict_sentence(nothing, one, "mae", 8) == (
        "At paper defaults no loss has a result on mae; after 8 trials per loss, mse is best."
    )
    untested = {"best": "mse", "tied": ["huber"], "p": None}
    assert (
        "mse and huber are not separable on mae (no paired test was possible)"
        in verdict_sentence(untested, one, "mae", 2)
    )
