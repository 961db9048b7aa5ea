"""Baselines in every race, and the rules that withhold a recommendation (issue 17).

The simple models are checked against scikit-learn and plain numpy fitted here on the
same split; the verdicts against the numbers in the table."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris
from sklearn.linear_model import LogisticRegression, Ridge, RidgeCV

from losslab.cli import main
from losslab.data.arrays import TableClassification, TableRegression
from losslab.rng import numpy_generator
from losslab.study.baselines import RIDGE_ALPHAS, generative_baselines, supervised_baselines
from losslab.study.recommend import recommend
from losslab.study.recommendation import build


def _diabetes_csv(tmp_path):
    df = load_diabetes(as_frame=True).frame
    path = tmp_path / "diabetes.csv"
    df.to_csv(path, index=False)
    return path


def test_regression_baselines_match_sklearn_on_the_member_split():
    x, y = load_diabetes(return_X_y=True)
    ds = TableRegression.of(x, y, "diabetes")
    got = supervised_baselines(ds, 0, [0, 1], "regress")
    assert [m["loss"] for m in got] == ["baseline: mean", "baseline: ridge"] * 2
    for seed in (0, 1):
        sp = ds.splits(numpy_generator(0, seed, "split"))
        xt, yt = sp.x_train.astype(float), sp.y_train.astype(float)
        ytest = sp.y_test.astype(float)
        mean_mse = np.mean((ytest - yt.mean()) ** 2)
        alpha = RidgeCV(alphas=np.logspace(-3, 3, 13)).fit(xt, yt).alpha_
        ridge = Ridge(alpha=alpha).fit(xt, yt)
        ridge_mse = np.mean((ytest - ridge.predict(sp.x_test.astype(float))) ** 2)
        mean_m, ridge_m = got[2 * seed]["metrics"], got[2 * seed + 1]["metrics"]
        assert mean_m["mse"] == pytest.approx(mean_mse, rel=1e-9)
        assert ridge_m["mse"] == pytest.approx(ridge_mse, rel=1e-6)
        assert ridge_m["mae"] == pytest.approx(
            np.mean(np.abs(ytest - ridge.predict(sp.x_test.astype(float)))), rel=1e-6
        )
    assert len(RIDGE_ALPHAS) == 13


def test_classification_baselines_match_sklearn_on_the_member_split():
    x, y = load_iris(return_X_y=True)
    ds = TableClassification.of(x, y, "iris")
    got = supervised_baselines(ds, 3, [2], "classify")
    sp = ds.splits(numpy_generator(3, 2, "split"))
    majority = np.bincount(sp.y_train).argmax()
    assert got[0]["metrics"]["accuracy"] == pytest.approx(np.mean(sp.y_test == majority))
    freq = np.bincount(sp.y_train, minlength=3) / len(sp.y_train)
    assert got[0]["metrics"]["nll"] == pytest.approx(-np.mean(np.log(freq[sp.y_test])))
    lr = LogisticRegression(max_iter=2000).fit(sp.x_train.astype(float), sp.y_train)
    pred = lr.predict(sp.x_test.astype(float))
    assert got[1]["metrics"]["accuracy"] == pytest.approx(np.mean(pred == sp.y_test))


def test_gaussian_baseline_draws_the_training_moments(ring):
    rows = ring(2000)
    train, test = rows[:1500], rows[1500:]
    got = generative_baselines(train, test, [0], 0, 8, 4000)
    names = [m["loss"] for m in got]
    assert names == ["baseline: gaussian", "baseline: gmm-8"]
    # a Gaussian with the ring's moments is far from eight tight modes; the mixture is close
    assert got[1]["metrics"]["w1"] < 0.5 * got[0]["metrics"]["w1"]


def test_diabetes_shows_the_linear_baseline_and_recommends_only_what_beats_it(tmp_path, capsys):
    """Done-when of issue 17: the table shows the ridge baseline; a recommended loss beats
    every baseline on the test rows, or no recommendation is made."""
    out = tmp_path / "out"
    code = main(["recommend", str(_diabetes_csv(tmp_path)), "--task", "regress", "--target",
                 "target", "--schedule", "30x2,300x3", "--out", str(out), "--quiet"])
    text = capsys.readouterr().out
    assert code == 0
    summary = json.loads((out / "summary.json").read_text())
    table = summary["table"]
    stages = {r["loss"]: r["stage"] for r in table}
    assert stages["baseline: ridge"].startswith("baseline")
    assert stages["baseline: mean"].startswith("baseline")
    assert "baseline: ridge" in text
    metric = summary["metric"]
    # the baselines scored on the final round's seeds (paired with the finalists)
    seeds = {m["seed"] for m in summary["members"]}
    assert {m["seed"] for m in summary["baselines"]} == seeds
    ridge = np.mean([m["metrics"][metric] for m in summary["baselines"]
                     if m["loss"] == "baseline: ridge"])
    finals = [r for r in table if r["stage"].startswith("final")]
    for row in finals:
        assert row["beats_baselines"] == ("yes" if row["mean"] < ridge else "no")
    if summary["winner"] is not None:
        base = [r["mean"] for r in table if r["stage"].startswith("baseline")]
        win = next(r for r in finals if r["loss"] == summary["winner"])
        assert win["mean"] < min(base)
    else:
        assert summary["recommendation"].startswith("No recommendation")
    if min(r["mean"] for r in finals) > ridge:
        assert "no neural loss beats a linear model" in summary["recommendation"]
        assert "Choose the loss for the linear model: mse" in summary["recommendation"]
    # the report's figures: each finalist's validation curve, embedded in report.html
    assert (out / "figures" / "validation_curves.png").is_file()
    assert (out / "figures" / "predicted_vs_true.png").is_file()
    html = (out / "report.html").read_text()
    assert 'src="figures/validation_curves.png"' in html
    assert "stop early" in html and "at least 300 steps" in html  # the rules, stated
    # coverage has no better direction: in the table, never ranked
    assert "coverage" in table[0] and all(e["metric"] != "coverage" for e in summary["ranking"])
    # ranks and steps are whole numbers in table.csv
    csv = (out / "table.csv").read_text().splitlines()
    assert csv[1].startswith("1,") and ",300," in csv[1]


def test_a_short_final_round_names_no_winner(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no docs/site here: the reasons must not link to it
    df = load_iris(as_frame=True).frame
    res = recommend(df, task="classify", target="target", schedule=[(30, 2), (60, 3)])
    card = next(r for r in res.reasons if r.startswith("catalogue:"))
    assert "docs/site" not in card and "`losslab explain " in card
    assert res.winner is None and res.tied == []
    assert res.recommendation.startswith("No recommendation: the race was too short")
    assert "fewer than the 300" in res.recommendation and "--budget of about" in res.recommendation
    # the evidence is still shown
    assert res.reasons and (res.table["stage"] == "baseline (test rows)").sum() == 2


def test_an_overrun_race_names_no_winner():
    """A budgeted race that took more than 120% of its budget (start-up included) names
    no winner; within it, the baselines and the tests decide."""
    df = load_iris(as_frame=True).frame
    res = recommend(df, task="classify", target="target", schedule=[(30, 2), (300, 3)])
    race = replace(res.race, replayed=False)
    late = build(res.task, res.profile, res.plan, race, budget=10.0, seconds=12.5)
    assert late.recommendation.startswith("No recommendation: the race was too short")
    assert "12 s of a 10 s budget" in late.recommendation or "13 s of a 10 s" in (
        late.recommendation
    )
    on_time = build(res.task, res.profile, res.plan, race, budget=10.0, seconds=11.9)
    assert "too short" not in on_time.recommendation


def test_a_reason_naming_one_metric_shows_the_others_that_disagree():
    from losslab.study.recommendation import _disagreements

    ranked = [
        {"loss": "gaussian-nll", "metric": "mse", "mean": 0.70, "rank": 1},
        {"loss": "mse", "metric": "mse", "mean": 0.97, "rank": 2},
        {"loss": "mse", "metric": "nll", "mean": 1.41, "rank": 1},
        {"loss": "gaussian-nll", "metric": "nll", "mean": 175.4, "rank": 2},
    ]
    words = _disagreements("gaussian-nll", "mse", ranked)
    assert words == ["nll (lower is better): gaussian-nll 175.4 vs mse 1.41"]


def test_notes_never_say_fewer_steps_than_an_equal_number():
    """The issue saw "the final round trained 30 steps, fewer than the 30 of the round
    before"; a 10 s budget on iris makes the race run short."""
    import re

    df = load_iris(as_frame=True).frame
    res = recommend(df, task="classify", target="target", budget=10)
    for note in res.race.notes:
        m = re.search(r"trained (\d+) steps, fewer than the (\d+)", note)
        if m:
            assert int(m.group(1)) < int(m.group(2)), note
    final = res.race.rounds[-1].steps
    assert final >= 300 or res.recommendation.startswith("No recommendation: the race was too")


def test_generative_report_shows_the_finalists_samples_and_the_gaussian_baselines(
    tmp_path, ring
):
    out = tmp_path / "out"
    res = recommend(ring(600), task="generate", schedule=[(20, 2), (40, 3)], tune=1,
                    losses=["ddpm-eps", "nonsaturating-bce"], out=out)
    assert set(res.race.samples) <= {"ddpm-eps", "nonsaturating-bce"} and res.race.samples
    assert (out / "figures" / "samples_final.png").is_file()
    assert 'src="figures/samples_final.png"' in (out / "report.html").read_text()
    stages = dict(zip(res.table["loss"], res.table["stage"], strict=True))
    assert stages["baseline: gaussian"].startswith("baseline")
    assert stages["baseline: gmm-8"].startswith("baseline")
    # 40 steps: far under the 1,000 a generative recommendation needs
    assert res.recommendation.startswith("No recommendation: the race was too short")
