"""End-to-end races on small data, the budget, determinism, the API and the outputs."""

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

import losslab
from losslab.cli import main
from losslab.study.candidates import generative_losses
from losslab.study.race import counts
from losslab.study.recommend import recommend


def _iris_csv(tmp_path):
    df = load_iris(as_frame=True).frame
    path = tmp_path / "iris.csv"
    df.to_csv(path, index=False)
    return path


def test_classify_end_to_end_cli(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(
        [
            "recommend",
            str(_iris_csv(tmp_path)),
            "--task",
            "classify",
            "--target",
            "target",
            "--schedule",
            "40x2,120x3",
            "--out",
            str(out),
            "--quiet",
        ]
    )
    text = capsys.readouterr().out
    assert code == 0
    assert "modes:" in text and "held-out score: accuracy" in text
    # 120 steps is under the 300 a recommendation needs: the evidence, but no winner
    assert ("Recommended:" in text) or ("Tie:" in text) or ("No recommendation" in text)
    assert "baseline: logistic" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["config"]["schedule"] == [[40, 2], [120, 3]]
    assert len(summary["members"]) == 3 * len(summary["rounds"][-1]["candidates"])
    html = (out / "report.html").read_text()
    assert "<h1>losslab recommend" in html and "Holm" in html
    assert (out / "profile.json").exists() and (out / "table.csv").exists()


def test_regress_with_outliers_compares_with_mse():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 3))
    y = x @ [1.0, -0.5, 0.25] + 0.3 * rng.standard_normal(300)
    hit = rng.random(300) < 0.1
    y[hit] += 10 * rng.standard_normal(int(hit.sum()))
    df = pd.DataFrame(np.column_stack([x, y]), columns=["a", "b", "c", "y"])
    res = recommend(df, task="regress", target="y", schedule=[(40, 2), (100, 3)])
    table = res.table
    assert isinstance(table, pd.DataFrame)
    assert {"mse", "huber", "mae", "log-cosh"} <= set(table["loss"])
    assert res.metric == "mae"
    finals = table[table["stage"].str.startswith("final")]
    assert finals["mean"].notna().all() and (finals["ci95_low"] <= finals["mean"]).all()


def test_generate_ring_reports_modes_per_candidate(ring):
    rounds = counts(len(generative_losses()))
    schedule = [(20, 2)] * (len(rounds) - 1) + [(40, 3)]
    res = recommend(ring(600), task="generate", schedule=schedule)
    assert res.profile.modes == 8
    assert "modes" in res.table.columns
    finals = res.table[res.table["stage"].str.startswith("final")]
    assert len(finals) >= 2 and finals["modes"].notna().all()
    assert any("modes captured" in r for r in res.reasons)


def test_same_data_seed_and_schedule_give_the_same_numbers():
    df = load_iris(as_frame=True).frame
    a = recommend(df, task="classify", target="target", schedule=[(30, 2), (60, 3)])
    b = losslab.recommend(df, task="classify", target="target", schedule=[(30, 2), (60, 3)])
    pd.testing.assert_frame_equal(a.table, b.table)


def _timed(data, budget, **kw):
    t0 = time.perf_counter()
    res = recommend(data, budget=budget, **kw)
    return res, time.perf_counter() - t0


def test_budget_respected_short():
    df = load_iris(as_frame=True).frame
    res, wall = _timed(df, 10, task="classify", target="target")
    assert wall <= 1.2 * 10, wall
    assert res.seconds <= wall


@pytest.mark.slow
def test_budget_respected_90s(ring):
    """24 generative candidates: at 90 s the race keeps the first of each family (see
    race.TRANSIENT_STEPS) and must end within 120% of the budget; it uses most of it (the
    final round is sized on round 0's measured cost, which its one-off costs inflate: it
    ended at 0.79 of the budget with two other jobs on the 2 cores, 0.8-1.0 when quiet)."""
    res, wall = _timed(ring(2000), 90, task="generate")
    assert 0.7 * 90 <= wall <= 1.2 * 90, (wall, res.race.schedule)


def test_round0_searches_each_candidate_and_keeps_its_best_setting():
    """recommend uses the tuned-study machinery: round 0 tries the defaults and random
    settings of each candidate's learning rate and main knob; each goes on with its best."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 3))
    y = x @ [1.0, -0.5, 0.25] + 0.3 * rng.standard_normal(300)
    y[rng.random(300) < 0.1] += 8.0
    df = pd.DataFrame(np.column_stack([x, y]), columns=["a", "b", "c", "y"])
    res = recommend(df, task="regress", target="y", schedule=[(40, 2), (80, 3)], tune=3)
    search = res.race.search
    assert set(search) == {c.loss for c in res.plan.candidates}
    lower_is_better = res.metric in ("mae", "mse")
    for loss, s in search.items():
        tried = s["tried"]
        assert len(tried) == 3
        lrs = [t["params"]["lr"] for t in tried]
        assert lrs[0] == pytest.approx(losslab.losses.get_loss(loss).optimizer.lr)
        # supervised: decoupled weight decay searched too, none at the defaults
        decays = [t["params"]["weight_decay"] for t in tried]
        assert decays[0] == 0.0 and all(1e-5 <= w <= 1e-1 for w in decays[1:])
        values = [t["value"] for t in tried]
        finite = [(v, i) for i, v in enumerate(values) if v is not None and np.isfinite(v)]
        best = (min if lower_is_better else max)(finite)[1]
        assert s["kept"] == tried[best]["params"]
        assert s["defaults_kept"] == (best == 0)
    # the first round is reported per candidate (its kept setting), as before
    first = res.race.rounds[0]
    assert sorted(first.candidates) == sorted(search)
    assert {m["loss"] for m in first.members} <= set(search)
    assert any("round 0 tried 3 settings" in n and "weight decay 1e-5..1e-1" in n
               for n in res.race.notes)
    # tune=1: no search, the defaults only
    plain = recommend(df, task="regress", target="y", schedule=[(40, 2), (80, 3)], tune=1)
    assert plain.race.search == {}


def test_counts_csv_races_the_count_losses_on_raw_targets(tmp_path):
    """A CSV whose target is Poisson counts: the profile says so, poisson-nll and
    tweedie-nll join the race with the reason printed, and they train (a count loss
    refuses standardised, negative targets, so this passes only with raw counts)."""
    rng = np.random.default_rng(2)
    x = rng.standard_normal((400, 3))
    y = rng.poisson(np.exp(0.8 + x @ [0.5, -0.5, 0.3]))
    path = tmp_path / "counts.csv"
    pd.DataFrame(np.column_stack([x, y]), columns=["a", "b", "c", "n"]).to_csv(path, index=False)
    res = recommend(str(path), task="regress", target="n", schedule=[(30, 2), (30, 2), (60, 3)])
    assert res.profile.counts and res.profile.target_dispersion == pytest.approx(
        y.var() / y.mean()
    )
    why = {c.loss: c.reason for c in res.plan.candidates}
    assert "non-negative integer target" in why["poisson-nll"] and "tweedie-nll" in why
    table = res.table
    rows = table[table["loss"].isin(["poisson-nll", "tweedie-nll"])]
    assert len(rows) and rows["mean"].notna().all()
    assert any("poisson-nll" in line for line in res.plan.rules)


def test_imbalanced_csv_cli_races_logit_adjustment_and_says_why(tmp_path, capsys):
    """`losslab recommend` on a CSV with classes 600 : 60 : 20: logit-adjusted CE and
    balanced softmax join the race, and the report and summary give the imbalance (the
    profile's ratio) as the reason."""
    from losslab.study.race import counts

    rng = np.random.default_rng(3)
    y = np.repeat([0, 1, 2], [600, 60, 20])
    x = rng.standard_normal((len(y), 2)) + 2.0 * np.eye(3)[y][:, :2]
    path = tmp_path / "imbalanced.csv"
    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "label": y}).to_csv(path, index=False)
    from losslab.data.files import load as load_table
    from losslab.data.profile import profile
    from losslab.study.candidates import choose

    plan = choose(profile(load_table(str(path), "classify", target="label"), "classify"))
    rounds = ",".join(["30x2"] * (len(counts(len(plan.candidates))) - 1) + ["60x2"])
    assert "logit-adjusted-ce" in [c.loss for c in plan.candidates]
    out = tmp_path / "out"
    code = main(["recommend", str(path), "--task", "classify", "--target", "label",
                 "--schedule", rounds, "--out", str(out), "--quiet"])
    assert "largest/smallest = 30.00" in capsys.readouterr().out and code == 0
    summary = json.loads((out / "summary.json").read_text())
    why = {c["loss"]: c["reason"] for c in summary["candidates"]}
    html = (out / "report.html").read_text()
    for loss in ("logit-adjusted-ce", "balanced-softmax"):
        assert why[loss] == "imbalanced classes (largest/smallest = 30.0 >= 3)"
        assert f"{loss}: imbalanced classes (largest/smallest = 30.0 &gt;= 3)" in html
    raced = {m["loss"] for m in summary["members"]}
    assert {"logit-adjusted-ce", "balanced-softmax"} <= raced


def test_the_budget_clock_starts_with_the_process(monkeypatch, tmp_path):
    """The command line's budget covers start-up: ``recommend`` gets the process's start
    (now minus its age read from /proc), and the age is right for a process that slept."""
    import subprocess
    import sys

    import losslab.study.recommend as rec
    import losslab.threads

    code = "import time; time.sleep(1.5); from losslab.threads import process_age; " \
           "print(process_age())"
    age = float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=True).stdout)
    assert 1.5 <= age < 30
    seen = {}

    def fake(*args, **kwargs):
        seen.update(kwargs)
        raise SystemExit(0)

    monkeypatch.setattr(losslab.threads, "process_age", lambda: 40.0)
    monkeypatch.setattr(rec, "recommend", fake)
    before = time.perf_counter()
    with pytest.raises(SystemExit):
        main(["recommend", str(_iris_csv(tmp_path)), "--task", "classify", "--target", "target"])
    assert before - 40.0 <= seen["started"] <= time.perf_counter() - 40.0


def _generative_race(ring, budget):
    from losslab.data.files import load
    from losslab.data.profile import profile
    from losslab.study.candidates import choose
    from losslab.study.race import Race

    table = load(ring(600), "generate", None, None, False, False)
    prof = profile(table, "generate", 0)
    return Race(table, prof, choose(prof), budget)


def test_a_short_generative_budget_races_the_first_of_each_family_past_the_transient(ring):
    """The rule of race.TRANSIENT_STEPS: a budget that cannot give every candidate 250-step
    screening rounds first drops the search, then keeps the first of each family
    round-robin (at least one per family); a large budget keeps everything."""
    from losslab.losses import get_loss
    from losslab.study.race import FINAL_MAX, TRANSIENT_STEPS, counts

    big = _generative_race(ring, 1e7)
    cands = [c.loss for c in big.plan.candidates]
    assert big._fit_transient(cands) == cands and big.search == 3 and not big.notes

    tiny = _generative_race(ring, 20)
    kept = tiny._fit_transient(cands)
    families = {}
    for c in cands:  # the first loss of each family, by hand
        families.setdefault(get_loss(c).family, c)
    assert kept == [c for c in cands if c in families.values()] and len(kept) == FINAL_MAX
    assert tiny.search == 1 and "left out" in tiny.notes[-1] and "250 steps" in tiny.notes[-1]

    mid = _generative_race(ring, 600)
    kept = mid._fit_transient(cands)
    assert FINAL_MAX <= len(kept) <= len(cands)
    if len(kept) > FINAL_MAX:  # every cutting round fits at 250 steps, by the cost model
        per = counts(len(kept))
        assert mid._even_steps(0, per, kept) >= TRANSIENT_STEPS
    # whatever is kept holds the first of every family
    assert set(families.values()) <= set(kept)


@pytest.mark.parametrize("late_after_rounds", [0, 1], ids=["screening", "final"])
def test_the_race_stops_at_its_hard_limit_and_names_no_winner(
    monkeypatch, tmp_path, late_after_rounds
):
    """A machine that turns slow mid-race: the clock jumps past 120% of the budget once
    ``late_after_rounds`` rounds have trained; the running round stops at its next step,
    its unfinished members are 'stopped', and no loss is recommended."""
    import losslab.study.race as race

    real_train, real_elapsed = race.Race._train, race.Race.elapsed
    done = []

    def train(self, rnd):
        if len(done) == late_after_rounds:
            self.started -= 1000.0  # from here on the clock reads 1,000 s later
        done.append(rnd.index)
        real_train(self, rnd)

    monkeypatch.setattr(race.Race, "_train", train)
    df = load_iris(as_frame=True).frame
    t0 = time.perf_counter()
    res = recommend(df, task="classify", target="target", budget=60, out=tmp_path / "out")
    assert time.perf_counter() - t0 < 60  # it stopped, it did not train on
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["rounds"][-1]["out_of_time"] is True
    assert "hard limit" in (tmp_path / "out" / "report.html").read_text()
    last = res.race.rounds[-1]
    assert last.out_of_time and last.index == late_after_rounds
    assert len(res.race.rounds) == late_after_rounds + 1
    assert {m["status"] for m in last.members} == {"stopped"}  # the first step stopped them
    assert res.recommendation.startswith("No recommendation: the race was too short: it "
                                         "reached its hard limit (120% of --budget 60 s)")
    assert res.winner is None and any("hard limit" in n for n in res.race.notes)
    assert real_elapsed  # (the real clock is the one shifted)
