"""A tuned study's report pieces: members sorted into trials, default and tuned finals; the
tuning section's curve; the at-a-glance matrix marks."""

import math

import pytest

from losslab.report.html import metric_matrix
from losslab.report.tuned import TUNED, split_members, stage_verdicts, tuning_section


def _member(index, loss, seed, value=1.0, status="ok"):
    return {"index": index, "loss": loss, "dataset": "gaussian", "seed": seed,
            "status": status, "metrics": {"w1": value}, "cost": {"passes": 10}}


RECORD = {
    "metric": "w1", "sampler": "random", "search_seeds": 1, "trials_per_loss": 2,
    "losses": {
        "a": {"loss": "a", "dataset": "gaussian", "space": {"lr": {"low": 1, "high": 2}},
              "default_params": {"lr": 1.0},
              "trials": [{"number": 0, "params": {"lr": 1.0}, "value": 2.0, "seeds": [9],
                          "members": [4]},
                         {"number": 1, "params": {"lr": 1.5}, "value": 1.0, "seeds": [9],
                          "members": [5]}],
              "best_trial": 1, "best_params": {"lr": 1.5}},
        "b": {"loss": "b", "dataset": "gaussian", "space": {"lr": {"low": 1, "high": 2}},
              "default_params": {"lr": 1.0},
              "trials": [{"number": 0, "params": {"lr": 1.0}, "value": 0.5, "seeds": [9],
                          "members": [6]},
                         {"number": 1, "params": {"lr": 2.0}, "value": None, "seeds": [9],
                          "members": [7]}],
              "best_trial": 0, "best_params": {"lr": 1.0}},
    },
}


def test_split_members_trials_defaults_and_tuned():
    members = [_member(0, "a", 0), _member(1, "a", 1), _member(2, "b", 0), _member(3, "b", 1),
               _member(4, "a", 9), _member(5, "a", 9), _member(6, "b", 9),
               _member(7, "b", 9, status="diverged"), _member(8, "a", 0), _member(9, "a", 1)]
    split = split_members(members, RECORD)
    assert [m["index"] for m in split["trials"]] == [4, 5, 6, 7]
    assert [m["index"] for m in split["default"]] == [0, 1, 2, 3]
    # a's tuned finals are 8, 9; b's best is trial 0, so its defaults stand for tuned too
    assert [m["index"] for m in split["tuned"]] == [2, 3, 8, 9]
    assert [m["loss"] for m in split["shown"]] == ["a", "a", "b", "b", "a" + TUNED, "a" + TUNED]
    assert split["trials"][1]["params"] == {"lr": 1.5}
    assert {m["stage"] for m in split["trials"]} == {"trial"}
    assert split["default"][0]["params"] == {"lr": 1.0}


def test_tuning_section_curve_counts_a_diverged_trial_as_worst():
    section = tuning_section(RECORD, {"gaussian": None})
    a = section["a"]["curve"]
    assert a[0]["expected_best"] == pytest.approx(1.5)  # mean of the two trials
    assert a[1]["expected_best"] == pytest.approx(1.0)  # the best of both
    b = section["b"]["curve"]
    # k = 1: half the time the diverged trial is drawn alone -> no finite expectation
    assert b[0]["expected_best"] is None and b[1]["expected_best"] == pytest.approx(0.5)


def _entry(loss, metric, mean, rank, p=None, stage="default"):
    return {"loss": loss, "metric": metric, "mean": mean, "rank": rank, "n": 5, "n_pairs": 5,
            "ci95": [mean, mean], "p_vs_best": p, "p_vs_best_holm": p, "stage": stage}


def test_matrix_marks_best_separated_and_not_separated():
    entries = [
        _entry("a", "w1", 0.1, 1), _entry("b", "w1", 0.5, 2, p=0.001),
        _entry("c", "w1", 0.9, 3, p=0.002),
        _entry("b", "modes", 8.0, 1), _entry("a", "modes", 7.5, 2, p=0.4),
        _entry("c", "modes", 2.0, 3, p=0.01),
    ]
    html = metric_matrix(entries)
    rows = {r.split("</td>", 1)[0].removeprefix("<tr><td>"): r
            for r in html.split("\n") if r.startswith("<tr><td>")}
    assert "<strong>0.1</strong>*" in rows["a"]  # separated from both on w1
    assert "<strong>8</strong>" in rows["b"] and "<strong>8</strong>*" not in rows["b"]
    assert "7.5 ≈" in rows["a"]  # not separable from b on modes
    assert "≈" not in rows["c"]
    assert "w1 (↓)" in html and "modes (↑)" in html


def test_stage_verdicts_name_best_ties_and_p():
    ranked = [
        _entry("a", "w1", 0.1, 1), _entry("b", "w1", 0.5, 2, p=0.001),
        _entry("a", "w1", 0.1, 1, stage="tuned"), _entry("b", "w1", 0.12, 2, p=0.3,
                                                         stage="tuned"),
    ]
    v = stage_verdicts(ranked, "w1")
    assert v["default"] == {"best": "a", "tied": [], "p": 0.001}
    assert v["tuned"]["best"] == "a" and v["tuned"]["tied"] == ["b"]
    assert v["tuned"]["p"] == 0.3 and not math.isnan(v["tuned"]["p"])
