"""End to end: a small study writes summary.json, figures, report.html and store rows;
it is deterministic, and a study killed between ensembles resumes to the same result."""

import json
import re
import sqlite3

import pytest

import losslab.study.executor as executor
import losslab.study.runner as runner
from losslab.cli import main
from losslab.errors import BadInput
from losslab.study.runner import run_study

CONFIG = """
[study]
name = "tiny"
seeds = 2

[data]
name = "mixture"
k = 2

[model]
latent_dim = 2
generator = {{ hidden = [8], activation = "relu" }}
discriminator = {{ hidden = [8], activation = "relu" }}

[train]
steps = 20
batch_size = 16
eval_every = 10
eval_samples = 300
max_ensemble = {max_ensemble}

[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "wgan-gp"
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(CONFIG.format(max_ensemble=2))
    return path


def final_metrics(summary):
    return [(m["loss"], m["seed"], m["status"], m["metrics"]) for m in summary["members"]]


def test_cli_run_writes_summary_figures_report_and_store(tmp_path, config, capsys):
    out = tmp_path / "runs" / "tiny"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    ok, not_converged = (int(re.search(rf"(\d+) {w}", printed)[1]) for w in ("ok", "not conv"))
    assert "4 members (" in printed and ok + not_converged == 4  # 20 steps: maybe no gain
    summary = json.loads((out / "summary.json").read_text(), parse_constant=pytest.fail)
    assert summary["study"] == "tiny" and summary["config"]["study"]["seeds"] == 2
    assert len(summary["members"]) == 4
    for m in summary["members"]:
        assert m["status"] in ("ok", "not-converged") and m["dataset"] == "mixture"
        assert {"w1", "ks", "modes"} <= set(m["metrics"])
    assert {r["metric"] for r in summary["ranking"]} >= {"w1", "ks"}
    assert all(len(r["ci95"]) == 2 for r in summary["ranking"])
    assert (out / "report.html").stat().st_size > 10_000
    assert {p.name for p in (out / "figures").glob("*.png")} >= {
        "losses_wgan-gp.png",
        "gradients_nonsaturating-bce.png",
        "compare_losses.png",
        "histograms.png",
    }
    db = sqlite3.connect(tmp_path / "runs" / "losslab.db")  # default: OUT/../losslab.db
    assert db.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 4
    names = {r[0] for r in db.execute("SELECT DISTINCT name FROM series")}
    assert {"d_loss", "g_loss", "g_grad_norm", "g_grad_mean", "d_grad_norm"} <= names


def test_same_config_twice_gives_identical_metrics(tmp_path, config):
    a = run_study(config, out=tmp_path / "a", progress=False).summary
    b = run_study(config, out=tmp_path / "b", progress=False).summary
    assert final_metrics(a) == final_metrics(b)


def test_killed_study_resumes_to_the_uninterrupted_result(tmp_path, config, monkeypatch):
    whole = run_study(config, out=tmp_path / "whole", progress=False).summary

    real_run = executor.run_in_process

    def killed_after_first(tasks, progress=None):
        for i, rows in enumerate(real_run(tasks, progress)):
            yield rows
            if i == 0:
                raise KeyboardInterrupt  # the process dies after one ensemble is stored

    monkeypatch.setattr(runner, "run_in_process", killed_after_first)
    out, db = tmp_path / "resumed", tmp_path / "store.db"
    with pytest.raises(KeyboardInterrupt):
        run_study(config, out=out, db=db, progress=False)
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM members").fetchone()[0] == 2

    trained = []
    monkeypatch.setattr(runner, "run_in_process", real_run)
    real_train = executor.train
    monkeypatch.setattr(
        executor,
        "train",
        lambda task, progress=None: trained.append(len(task.members)) or real_train(task, progress),
    )
    resumed = run_study(config, out=out, db=db, resume=True, progress=False).summary
    assert trained == [2]  # only the missing ensemble ran again
    assert final_metrics(resumed) == final_metrics(whole)


def test_rerun_with_overwrite_replaces_the_study(tmp_path, config):
    db = tmp_path / "s.db"
    run_study(config, out=tmp_path / "o", db=db, progress=False)
    with pytest.raises(BadInput, match="--overwrite"):  # a finished study is not replaced silently
        run_study(config, out=tmp_path / "o", db=db, progress=False)
    run_study(config, out=tmp_path / "o", db=db, progress=False, overwrite=True)
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM studies").fetchone()[0] == 1
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 4


def test_resume_with_a_changed_config_is_bad_input(tmp_path, config, capsys):
    out = tmp_path / "o"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    assert main(["run", str(config), "--out", str(out), "--quiet", "--steps", "5", "--resume"]) == 2
    assert "config differs" in capsys.readouterr().err


def test_a_crashing_ensemble_is_recorded_as_failed_and_the_study_goes_on(tmp_path, monkeypatch):
    path = tmp_path / "tiny.toml"
    path.write_text(CONFIG.format(max_ensemble=2))
    real_train = executor.train

    def crash_first(task, progress=None):
        if task.members[0].index == 0:
            raise RuntimeError("boom")
        return real_train(task, progress)

    monkeypatch.setattr(executor, "train", crash_first)
    summary = run_study(path, out=tmp_path / "o", progress=False).summary
    statuses = [(m["index"], m["status"]) for m in summary["members"]]
    assert statuses[:2] == [(0, "failed"), (1, "failed")]
    assert [s for _, s in statuses[2:]] in (["ok", "ok"], ["not-converged"] * 2,
                                           ["ok", "not-converged"], ["not-converged", "ok"])
    reason = summary["members"][0]["reason"]
    assert reason.startswith("RuntimeError: boom (at test_runner.py:")
