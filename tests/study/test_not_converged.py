"""Status that means something (issue 19): a member finite but no better than its
dataset's trivial baseline is ``not-converged``, in summary.json, the store and the report;
the baselines are what they claim (checked against independent computations); intervals
on real study output stay inside their metrics' ranges."""

from __future__ import annotations

import json
import math
import sqlite3

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

from losslab.cli import main
from losslab.data import make_dataset
from losslab.metrics.baselines import (
    NOT_CONVERGED,
    PRIMARY_METRIC,
    baseline,
    not_converged,
)
from losslab.metrics.direction import METRIC_RANGE, base_metric, metric_range
from losslab.rng import numpy_generator
from losslab.study.space import DEFAULT_METRIC

# wgan-clip after 40 generator steps has not left its initial blob: worse than a Gaussian
RING8 = """
[study]
name = "ring8-tiny"
seeds = 3

[data]
name = "ring8"

[model]
latent_dim = 2
generator = { hidden = [16, 16], activation = "relu" }
discriminator = { hidden = [16, 16], activation = "relu" }

[train]
steps = 40
batch_size = 64
eval_every = 20
eval_samples = 500

[[losses]]
name = "wgan-clip"

[[losses]]
name = "nonsaturating-bce"
"""


@pytest.fixture(scope="module")
def ring8(tmp_path_factory):
    root = tmp_path_factory.mktemp("ring8")
    config = root / "ring8.toml"
    config.write_text(RING8)
    out, db = root / "out", root / "losslab.db"
    assert main(["run", str(config), "--out", str(out), "--db", str(db), "--quiet"]) == 0
    return json.loads((out / "summary.json").read_text()), out, db


def test_a_wgan_clip_member_worse_than_the_gaussian_is_marked_everywhere(ring8):
    summary, out, db = ring8
    base = summary["baselines"]["ring8"]
    assert base["baseline"] == "gaussian" and base["metric"] == "w1"
    by_seed = {s["seed"]: s["metrics"]["w1"] for s in base["seeds"]}
    assert sorted(by_seed) == [0, 1, 2]
    clip = [m for m in summary["members"] if m["loss"] == "wgan-clip"]
    assert clip and all(m["status"] == NOT_CONVERGED for m in clip)
    for m in summary["members"]:
        worse = m["metrics"]["w1"] >= by_seed[m["seed"]]
        assert (m["status"] == NOT_CONVERGED) == worse
        if worse:
            assert "did not beat the gaussian baseline" in m["reason"]
    listed = {(x["loss"], x["seed"]) for x in base["not_converged"]}
    assert listed == {(m["loss"], m["seed"]) for m in summary["members"]
                      if m["status"] == NOT_CONVERGED}
    # the store holds the status and the baseline of every member
    con = sqlite3.connect(db)
    rows = con.execute("SELECT loss, seed, status, baseline FROM members").fetchall()
    con.close()
    for loss, seed, status, stored in rows:
        assert json.loads(stored)["metrics"]["w1"] == pytest.approx(by_seed[seed])
        m = next(m for m in summary["members"] if (m["loss"], m["seed"]) == (loss, seed))
        assert status == m["status"]
    # kept in the statistics: wgan-clip is ranked on its three seeds
    w1 = {e["loss"]: e for e in summary["ranking"] if e["metric"] == "w1"}
    assert w1["wgan-clip"]["n"] == 3 and w1["wgan-clip"]["mean"] is not None
    # the report says so beside the rankings
    html = (out / "report.html").read_text()
    assert "Members that did not beat the gaussian baseline on ring8" in html
    assert html.index("Rankings") < html.index("Members that did not beat the gaussian")
    assert "not converged" in html and "kept in every mean, interval and test" in html


def test_no_interval_of_a_real_study_leaves_its_metric_range(ring8):
    summary, out, _ = ring8
    checked = 0
    for e in summary["ranking"]:
        metric = base_metric(e["metric"])
        lo, hi = e["ci95"]
        if metric not in METRIC_RANGE or lo is None:
            continue
        low, high = metric_range(metric, 8)
        assert low <= lo <= e["mean"] <= hi <= high, e
        d_lo, d_hi = e["diff_ci95"]
        if d_lo is not None:  # a difference lies within +- the span of the range
            assert low - high <= d_lo <= e["diff_vs_best"] <= d_hi <= high - low, e
        checked += 1
    assert checked >= 5
    html = (out / "report.html").read_text()
    # the method is stated under every ranking table
    assert html.count("<table class=\"ranking\">") == html.count("95% CI: ")


def test_the_gaussian_baseline_is_its_w1_by_an_independent_assignment(ring8):
    """Refit the Gaussian from the member's data stream, draw from the baseline stream,
    score against the member's reference (eval stream) by an optimal assignment."""
    summary, _, _ = ring8
    dataset = make_dataset({"name": "ring8"})
    seed, study_seed = 1, summary["config"]["study"]["seed"]
    data = dataset.sample(10_000, numpy_generator(study_seed, seed, "data"))
    mean, cov = data.mean(0), np.cov(data, rowvar=False)
    gen = numpy_generator(study_seed, seed, "baseline").multivariate_normal(mean, cov, size=500)
    ref = dataset.sample(500, numpy_generator(study_seed, seed, "eval"))
    cost = cdist(gen.astype(ref.dtype).astype(np.float64), ref.astype(np.float64))
    rows, cols = linear_sum_assignment(cost)
    stored = next(s for s in summary["baselines"]["ring8"]["seeds"] if s["seed"] == seed)
    assert stored["metrics"]["w1"] == pytest.approx(cost[rows, cols].mean(), rel=1e-5)


def test_on_gaussian_data_the_baseline_is_the_data_mean_with_its_closed_form_w1():
    """A Gaussian fitted to Gaussian data is as close to it as a fresh sample (no trained
    generator can beat it): the baseline is the point mass at the mean, whose W1 to
    N(4, 1.25^2) is E|X - 4| = 1.25 sqrt(2 / pi) = 0.997 (up to the 2,000-point
    reference's sampling error, sd about 0.017)."""
    dataset = make_dataset({"name": "gaussian", "mean": 4.0, "std": 1.25})
    b = baseline(dataset, 0, 3, 2000)
    assert b["baseline"] == "data mean" and b["gaussian"]["w1"] < 2 * b["data_floor"]
    assert b["metrics"]["w1"] == pytest.approx(1.25 * math.sqrt(2 / math.pi), abs=0.06)
    assert b["metrics"]["std_error"] == pytest.approx(1.25, abs=0.06)  # a point: sd 0
    ring = baseline(make_dataset({"name": "ring8"}), 0, 3, 1000)
    assert ring["baseline"] == "gaussian" and ring["metrics"]["w1"] > 2 * ring["data_floor"]


def test_supervised_baselines_by_hand():
    """Majority class: balanced accuracy 1 / (classes in the test split); training mean:
    the test MSE of the constant prediction."""
    clf = make_dataset({"name": "blobs"})
    b = baseline(clf, 0, 2)
    sp = clf.splits(numpy_generator(0, 2, "split"))
    majority = np.bincount(sp.y_train).argmax()
    assert b["baseline"] == "majority" and b["metric"] == "balanced_accuracy"
    assert b["metrics"]["accuracy"] == pytest.approx(np.mean(sp.y_test == majority))
    assert b["metrics"]["balanced_accuracy"] == pytest.approx(1 / len(np.unique(sp.y_test)))
    reg = make_dataset({"name": "diabetes"})
    b = baseline(reg, 0, 1)
    sp = reg.splits(numpy_generator(0, 1, "split"))
    centre = sum(float(v) for v in sp.y_train) / len(sp.y_train)
    want = sum((float(v) - centre) ** 2 for v in sp.y_test) / len(sp.y_test)
    assert b["baseline"] == "training mean" and b["metrics"]["mse"] == pytest.approx(want)


def test_the_rule_and_the_primary_metrics():
    assert PRIMARY_METRIC == {
        "generate": DEFAULT_METRIC[None],
        "classify": DEFAULT_METRIC["classify"],
        "regress": DEFAULT_METRIC["regress"],
    }
    w1 = {"metric": "w1", "metrics": {"w1": 0.5}}
    assert not_converged({"w1": 0.5}, w1) and not_converged({"w1": 0.9}, w1)
    assert not not_converged({"w1": 0.49}, w1)
    assert not not_converged({"w1": math.nan}, w1) and not not_converged({}, w1)
    acc = {"metric": "balanced_accuracy", "metrics": {"balanced_accuracy": 1 / 3}}
    assert not_converged({"balanced_accuracy": 1 / 3}, acc)  # the majority class: no gain
    assert not not_converged({"balanced_accuracy": 0.6}, acc)
