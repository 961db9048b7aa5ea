"""losslab.run / losslab.load: a study from a dict, its results as DataFrames checked
against independent computations (numpy means, Student-t intervals, the store read with
sqlite3), and the CSV export of the same tables."""

import json
import sqlite3
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import losslab
from losslab.cli import main
from losslab.errors import BadInput

CONFIG = {
    "study": {"name": "api tiny", "seeds": 3},
    "data": {"name": "mixture", "k": 2},
    "model": {
        "latent_dim": 2,
        "generator": {"hidden": [8], "activation": "relu"},
        "discriminator": {"hidden": [8], "activation": "relu"},
    },
    "train": {"steps": 20, "batch_size": 16, "eval_every": 10, "eval_samples": 300},
    "losses": [{"name": "nonsaturating-bce"}, {"name": "wgan-gp"}],
}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("api") / "runs" / "tiny"
    return losslab.run(CONFIG, out=out, seeds=2)  # seeds= overrides study.seeds


def test_import_losslab_stays_light():
    code = "import sys, losslab; losslab.run; losslab.load; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_members_one_row_per_member(study):
    frame = study.members
    assert len(frame) == 2 * 2 * 1  # losses x seeds x datasets
    assert list(frame[["loss", "label", "dataset", "seed"]].itertuples(index=False)) == [
        ("nonsaturating-bce", "nonsaturating-bce", "mixture", 0),
        ("nonsaturating-bce", "nonsaturating-bce", "mixture", 1),
        ("wgan-gp", "wgan-gp", "mixture", 0),
        ("wgan-gp", "wgan-gp", "mixture", 1),
    ]
    # 20 steps: finished, though maybe no better than the Gaussian baseline (issue 19)
    assert set(frame["status"]) <= {"ok", "not-converged"} and set(frame["stage"]) == {"final"}
    assert {"w1", "ks", "modes", "cost.passes", "cost.seconds"} <= set(frame.columns)
    summary = json.loads((study.out_dir / "summary.json").read_text())
    for row, m in zip(frame.itertuples(index=False), summary["members"], strict=True):
        assert row.w1 == pytest.approx(m["metrics"]["w1"], rel=0, abs=0)


def test_ranking_is_the_mean_of_the_members_without_an_interval_from_two_seeds(study):
    frame, ranking = study.members, study.ranking("w1")
    assert set(ranking["metric"]) == {"w1"} and list(ranking["rank"]) == [1, 2]
    for row in ranking.itertuples(index=False):
        values = frame.loc[frame["label"] == row.label, "w1"].to_numpy()
        mean = np.mean(values)
        assert row.mean == pytest.approx(mean, rel=1e-12)
        # two seeds: no 95% interval (report.stats.MIN_INTERVAL_N = 3; issue 19)
        assert pd.isna(row.ci95_low) and pd.isna(row.ci95_high)
        assert row.n == len(values)
    # the effect size beside the p-value: this loss minus the best, paired by seed
    other, best = ranking.iloc[1], ranking.iloc[0]
    d = (frame.loc[frame["label"] == other.label].sort_values("seed")["w1"].to_numpy()
         - frame.loc[frame["label"] == best.label].sort_values("seed")["w1"].to_numpy())
    assert other.diff_vs_best == pytest.approx(d.mean(), rel=1e-12)
    assert pd.isna(best.diff_vs_best) and set(ranking["ci_method"]) == {
        "modified Cox interval on the log scale (lognormal mean; Olsson 2005)"}
    assert ranking["mean"].is_monotonic_increasing  # w1: lower is better, best first
    best = ranking.iloc[1]
    p = stats.ttest_rel(*(frame.loc[frame["label"] == lbl].sort_values("seed")["w1"]
                          for lbl in (best.label, ranking.iloc[0].label))).pvalue
    assert best.p_vs_best == pytest.approx(p)
    assert len(study.ranking()) == len(study.summary["ranking"])


def test_verdict_names_the_best_loss(study):
    best = study.ranking("w1").iloc[0]["label"]
    assert study.verdict("w1").startswith(best)
    with pytest.raises(BadInput, match="no verdict on 'nope'"):
        study.verdict("nope")
    with pytest.raises(BadInput, match="no metric 'nope' in the ranking"):
        study.ranking("nope")


def test_series_long_format_matches_the_store(study):
    frame = study.series("g_loss")
    assert list(frame.columns) == ["member", "loss", "label", "dataset", "seed", "step", "value"]
    db = sqlite3.connect(study.db_path)
    rows = db.execute(
        "SELECT m.idx, s.step, s.value FROM series s JOIN members m ON m.id = s.member_id "
        "WHERE s.name = 'g_loss' ORDER BY m.idx, s.step"
    ).fetchall()
    assert len(frame) == len(rows) > 0
    got = frame.sort_values(["member", "step"])[["member", "step", "value"]]
    assert [tuple(r) for r in got.itertuples(index=False)] == pytest.approx(rows)
    checkpoints = study.series("w1")  # a metric at the checkpoints
    assert sorted(set(checkpoints["step"])) == [0, 10, 20]
    with pytest.raises(BadInput, match="no series 'nope'.*recorded: .*g_loss"):
        study.series("nope")


def test_load_reproduces_the_study(study):
    again = losslab.load(study.out_dir)
    pd.testing.assert_frame_equal(again.members, study.members)
    pd.testing.assert_frame_equal(again.ranking(), study.ranking())
    pd.testing.assert_frame_equal(again.series("d_loss"), study.series("d_loss"))
    assert again.summary == study.summary


def test_report_and_notebook_view(study):
    path = study.report()
    assert path == study.out_dir / "report.html" and path.stat().st_size > 10_000
    html = study._repr_html_()
    assert "At a glance" in html and "api tiny" in html and "4 members" in html


def test_finished_study_is_not_overwritten(study):
    with pytest.raises(BadInput, match="already holds the finished study"):
        losslab.run(CONFIG, out=study.out_dir, seeds=2)


def test_bad_config_is_one_line(tmp_path):
    bad = {**CONFIG, "losses": [{"name": "wgan-gp", "gp_weight": "x"}]}
    with pytest.raises(BadInput, match=r"^config \(dict\): losses\[0\]: .*gp_weight = 'x'"):
        losslab.run(bad, out=tmp_path / "x")
    with pytest.raises(BadInput, match="expected a TOML file path or a dict"):
        losslab.run(42)
    with pytest.raises(BadInput, match="no summary.json"):
        losslab.load(tmp_path)


def test_csv_export_is_the_members_table(study, capsys):
    assert main(["report", str(study.out_dir), "--format", "csv"]) == 0
    assert "members.csv" in capsys.readouterr().out
    members = pd.read_csv(study.out_dir / "members.csv")
    assert len(members) == len(study.members)
    assert list(members.columns) == list(study.members.columns)
    np.testing.assert_allclose(members["w1"], study.members["w1"])
    ranking = pd.read_csv(study.out_dir / "ranking.csv")
    np.testing.assert_allclose(ranking["mean"], study.ranking()["mean"])
    assert main(["report", str(study.out_dir), "--format", "parquet"]) == 0
    back = pd.read_parquet(study.out_dir / "members.parquet")
    assert back.shape == study.members.shape


def test_parquet_without_pyarrow_is_one_line(study, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow -> ImportError
    assert main(["report", str(study.out_dir), "--format", "parquet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs pyarrow" in err


def test_a_tuned_study_has_trials_params_and_the_tuning_sentence(tmp_path):
    config = {
        "study": {"name": "tuned tiny", "seeds": 2},
        "data": {"name": "blobs", "n": 300},
        "model": {"network": {"hidden": [8]}},
        "train": {"steps": 20, "batch_size": 32, "eval_every": 20},
        "losses": [{"name": "softmax-ce"}, {"name": "focal"}],
    }
    study = losslab.run(config, out=tmp_path / "tuned", tune=2)
    frame = study.members
    trials = frame[frame["stage"] == "trial"]
    assert len(trials) == 2 * 2 * 1  # losses x trials x search seeds
    assert "params.lr" in frame.columns and trials["params.lr"].notna().all()
    finals = frame[frame["stage"] == "final"]
    assert set(finals["seed"]) == {0, 1}
    assert set(study.ranking()["stage"]) == {"default", "tuned"}
    metric = study.summary["tuning_info"]["metric"]
    assert study.verdict(metric) == study.summary["tuning_info"]["sentence"]
