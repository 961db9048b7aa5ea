"""Every bad input, in every subcommand: exit code 2, one line on stderr naming the
problem, no traceback (DESIGN.md, exit codes). Most cases run in-process through
``losslab.cli.main``; a sample runs through the real ``losslab`` console script. Also:
the top-level guard (an internal error is one line and exit 1; ``--debug`` raises), a
full disk, ``recommend --out`` refused before any training, and Ctrl-C hints."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import time

import numpy as np
import pytest

import losslab.study.runner as runner
from losslab.cli import main

TINY = """
[study]
name = "tiny"
seeds = {seeds}
seed = {seed}

[data]
{data}

[model]
latent_dim = 2
generator = {{ hidden = [4] }}
discriminator = {{ hidden = [4] }}

[train]
steps = 4
batch_size = {batch}
eval_every = 4
eval_samples = {eval_samples}
{train}

{extra}

[[losses]]
name = "{loss}"
{knobs}
"""


def config(tmp_path, name="c.toml", seeds=1, seed=0, data='name = "gaussian"', batch=8,
           eval_samples=100, train="", extra="", loss="nonsaturating-bce", knobs=""):
    path = tmp_path / name
    path.write_text(TINY.format(seeds=seeds, seed=seed, data=data, batch=batch,
                                eval_samples=eval_samples, train=train, extra=extra, loss=loss,
                                knobs=knobs))
    return str(path)


def run_args(tmp_path, *more, **kw):
    return ["run", config(tmp_path, **kw), "--out", str(tmp_path / "out"), "--quiet", *more]


def a_file(tmp_path, name="f.txt", text="x\n"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def foreign_db(tmp_path):
    path = tmp_path / "mine.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE members (a, b)")
    con.commit()
    con.close()
    return str(path)


def data_csv(tmp_path, name="d.csv", header="a,b,label"):
    rng = np.random.default_rng(0)
    lines = [header] + [f"{rng.normal():.3f},{rng.normal():.3f},{i % 2}" for i in range(40)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def summary_dir(tmp_path, name="run", **override):
    """A run directory with a hand-made summary.json (no training)."""
    folder = tmp_path / name
    folder.mkdir()
    summary = {
        "study": name, "config": {}, "members": [],
        "ranking": [{"loss": "a", "metric": "w1", "mean": 1.0, "ci95": [0.5, 1.5], "rank": 1}],
        **override,
    }
    (folder / "summary.json").write_text(json.dumps(summary))
    return str(folder)


SUPERVISED = 'name = "blobs"\nn = 60'

# name -> (argv builder, a word the message must contain)
CASES = {
    # run: the config
    "run-config-missing": (lambda t: ["run", str(t / "nope.toml")], "not found"),
    "run-config-not-toml": (lambda t: ["run", a_file(t, "c.toml", "[study\n")], "TOML"),
    "run-unknown-field": (lambda t: run_args(t, train="colour = 1"), "unknown field"),
    "run-unknown-loss": (lambda t: run_args(t, loss="wgan-gpp"), "wgan-gp"),
    "run-unknown-dataset": (lambda t: run_args(t, data='name = "gausian"'), "gausian"),
    "run-seeds-zero": (lambda t: run_args(t, seeds=0), "seeds"),
    "run-seeds-1e9": (lambda t: run_args(t, seeds=10**9), "memory"),
    "run-lr-inf": (lambda t: run_args(t, extra='[optimizer]\nname = "adam"\nlr = inf'), "finite"),
    "run-lr-negative": (lambda t: run_args(t, extra='[optimizer]\nname = "adam"\nlr = -1.0'),
                        "lr"),
    "run-gp-weight-nan": (lambda t: run_args(t, loss="wgan-gp", knobs="gp_weight = nan"),
                          "gp_weight"),
    "run-init-std-inf": (lambda t: run_args(t, extra="[model.network]\ninit_std = inf"),
                         "init_std"),
    "run-study-seed-negative": (lambda t: run_args(t, seed=-1), "seed"),
    "run-study-seed-1e23": (lambda t: run_args(t, seed=10**23), "seed"),
    "run-batch-over-data-points": (lambda t: run_args(t, batch=64, train="data_points = 10"),
                                   "data_points"),
    "run-batch-over-supervised-rows": (
        lambda t: run_args(t, data=SUPERVISED, batch=128, loss="softmax-ce"), "training rows"),
    "run-ring8-modes-1e9": (lambda t: run_args(t, data='name = "ring8"\nmodes = 1000000000'),
                            "modes"),
    "run-eval-samples-huge": (lambda t: run_args(t, data='name = "ring8"',
                                                 eval_samples=10**7), "memory"),
    "run-family-mismatch": (lambda t: run_args(t, data=SUPERVISED), "does not fit"),
    "run-steps-zero": (lambda t: run_args(t, "--steps", "0"), "positive integer"),
    "run-workers-in-process": (lambda t: run_args(t, "--workers", "2"), "--workers"),
    "run-executor-unknown": (lambda t: run_args(t, "--executor", "slurm"), "invalid choice"),
    # run: where it writes
    "run-out-is-a-file": (lambda t: ["run", config(t), "--out", a_file(t)], "is a file"),
    "run-out-is-the-config": (lambda t: ["run", config(t), "--out", str(t / "c.toml")],
                              "c.toml"),
    "run-out-dev-null": (lambda t: ["run", config(t), "--out", os.devnull], "/dev/null"),
    "run-out-under-a-file": (lambda t: ["run", config(t), "--out", a_file(t) + "/sub"],
                             "f.txt"),
    "run-db-csv": (lambda t: run_args(t, "--db", a_file(t, "s.csv", "a,b\n1,2\n")),
                   "not a losslab run store"),
    "run-db-directory": (lambda t: run_args(t, "--db", str(t)), "is a directory"),
    "run-db-foreign-sqlite": (lambda t: run_args(t, "--db", foreign_db(t)),
                              "not a losslab run store"),
    "run-db-corrupted": (lambda t: run_args(t, "--db", a_file(t, "s.db", "SQLite format 3\0"
                                                              + "garbage" * 30)), "s.db"),
    # recommend
    "recommend-seed-negative": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                           "--seed", "-1"], "--seed"),
    "recommend-seed-1e23": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                       "--seed", str(10**23)], "--seed"),
    "recommend-out-is-a-file": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                           "--out", a_file(t)], "is a file"),
    "recommend-out-dev-null": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                          "--out", os.devnull], "/dev/null"),
    "recommend-out-is-the-data": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                             "--out", str(t / "d.csv")], "d.csv"),
    "recommend-missing-file": (lambda t: ["recommend", str(t / "no.csv"), "--task", "generate"],
                               "no such file"),
    "recommend-budget-too-small": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                              "--budget", "1"], "--budget"),
    "recommend-budget-inf": (lambda t: ["recommend", data_csv(t), "--task", "generate",
                                        "--budget", "inf"], "--budget"),
    "recommend-complex-npy": (lambda t: ["recommend", _complex_npy(t), "--task", "generate"],
                              "complex"),
    "recommend-duplicate-header": (lambda t: ["recommend", data_csv(t, header="a,a,label"),
                                              "--task", "generate"], "duplicate column"),
    # probe
    "probe-supervised-config": (lambda t: ["probe", "vanishing",
                                           config(t, data=SUPERVISED, loss="softmax-ce"),
                                           "--out", str(t / "p")], "adversarial"),
    "probe-energy-loss": (lambda t: ["probe", "vanishing", config(t, loss="dsm"),
                                     "--out", str(t / "p")], "adversarial"),
    "probe-after-huge": (lambda t: ["probe", "vanishing", config(t), "--after",
                                    "99999999999999999999", "--out", str(t / "p")], "--after"),
    "probe-after-not-numbers": (lambda t: ["probe", "vanishing", config(t), "--after", "a,b"],
                                "--after"),
    "probe-out-is-a-file": (lambda t: ["probe", "vanishing", config(t), "--after", "0",
                                       "--d-iters", "1", "--out", a_file(t)], "is a file"),
    # docs, compare, report, list, explain, reproduce
    "docs-out-is-a-file": (lambda t: ["docs", "--out", a_file(t)], "is a file"),
    "docs-out-dev-null": (lambda t: ["docs", "--out", os.devnull], "/dev/null"),
    "compare-out-suffix": (lambda t: ["compare", summary_dir(t, "a"), summary_dir(t, "b"),
                                      "--out", str(t / "x.txt")], ".md or .html"),
    "compare-out-is-a-folder": (lambda t: ["compare", summary_dir(t, "a"), summary_dir(t, "b"),
                                           "--out", _folder(t, "x.md")], "is a folder"),
    "compare-no-store": (lambda t: ["compare", "s1", "s2", "--db", str(t / "none.db")],
                         "no run store"),
    "compare-db-foreign": (lambda t: ["compare", "s1", "s2", "--db", foreign_db(t)],
                           "not a losslab run store"),
    "compare-summary-wrong-types": (
        lambda t: ["compare", summary_dir(t, "a", ranking=[{"loss": "a", "metric": "w1",
                                                            "mean": "abc", "ci95": [0, 1]}]),
                   summary_dir(t, "b")], "ranking[0].mean"),
    "report-summary-wrong-types": (lambda t: ["report", summary_dir(t, members="x")],
                                   "members"),
    "report-summary-not-json": (lambda t: ["report", _bad_summary(t)], "JSON"),
    "report-no-summary": (lambda t: ["report", str(t)], "no summary.json"),
    "report-db-foreign": (lambda t: ["report", "--db", foreign_db(t)], "not a losslab"),
    "report-db-directory": (lambda t: ["report", "--db", str(t)], "is a directory"),
    "report-db-empty": (lambda t: ["report", "--db", a_file(t, "e.db", "")], "empty"),
    "list-family-empty": (lambda t: ["list", "--family", ""], "no loss family"),
    "list-family-unknown": (lambda t: ["list", "--family", "nope"], "no loss family"),
    "explain-unknown": (lambda t: ["explain", "wgan-gpp"], "wgan-gp"),
    "reproduce-unknown": (lambda t: ["reproduce", "pacgan-moon"], "pacgan-ring"),
    "reproduce-out-is-a-file": (lambda t: ["reproduce", "pacgan-ring", "--out", a_file(t)],
                                "is a file"),
    "unknown-command": (lambda t: ["frobnicate"], "invalid choice"),
}


def _mixed(tmp_path):
    path = tmp_path / "mixed.toml"
    text = TINY.format(seeds=1, seed=0, data='name = "gaussian"', batch=8, eval_samples=100,
                       train="", extra="", loss="nonsaturating-bce", knobs="")
    text = text.replace('[data]\nname = "gaussian"',
                        '[[data]]\nname = "gaussian"\n\n[[data]]\nname = "ring8"')
    path.write_text(text)
    return ["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]


CASES["run-mixed-dimensions"] = (_mixed, "dimension")


def _complex_npy(tmp_path):
    path = tmp_path / "c.npy"
    np.save(path, (np.arange(40) * (1 + 1j)).reshape(20, 2))
    return str(path)


def _folder(tmp_path, name):
    path = tmp_path / name
    path.mkdir()
    return str(path)


def _bad_summary(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "summary.json").write_text("{not json")
    return str(folder)


def check(code: int, err: str, needle: str) -> None:
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert needle in err, (needle, err)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_and_exit_2(case, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # nothing lands in the working tree
    build, needle = CASES[case]
    argv = build(tmp_path)
    capsys.readouterr()
    started = time.perf_counter()
    code = main(argv)
    err = capsys.readouterr().err
    check(code, err, needle)
    assert time.perf_counter() - started < 30  # refused before any real work


def test_there_are_at_least_40_classes():
    assert len(CASES) >= 40


# Through the real console script: a sample across subcommands.
SCRIPT_SAMPLE = [
    "run-seeds-1e9", "run-db-foreign-sqlite", "run-out-dev-null", "recommend-seed-1e23",
    "probe-supervised-config", "report-summary-wrong-types", "list-family-empty",
]


@pytest.mark.parametrize("case", SCRIPT_SAMPLE)
def test_bad_input_through_the_console_script(case, tmp_path):
    script = shutil.which("losslab") or pytest.skip("the losslab console script is not installed")
    build, needle = CASES[case]
    proc = subprocess.run([script, *build(tmp_path)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path, env={**os.environ, "OMP_NUM_THREADS": "1"})
    check(proc.returncode, proc.stderr, needle)


def test_seeds_1e9_is_refused_with_a_memory_estimate_in_under_2s(tmp_path, capsys):
    main(run_args(tmp_path, name="warm.toml", train="colour = 1"))  # the imports, warmed
    argv = run_args(tmp_path, seeds=10**9)
    capsys.readouterr()
    started = time.perf_counter()
    assert main(argv) == 2
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert "1,000,000,000 members" in err and "TB of memory" in err
    assert elapsed < 2, elapsed
    assert not (tmp_path / "out").exists()


def test_seeds_1e9_is_refused_by_a_cold_process_in_under_2s(tmp_path):
    """A fresh `losslab run` process: the member count is checked from the file before
    torch (about 2 s to import alone) is loaded."""
    script = shutil.which("losslab") or pytest.skip("the losslab console script is not installed")
    argv = run_args(tmp_path, seeds=10**9)
    started = time.perf_counter()
    proc = subprocess.run([script, *argv], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "1,000,000,000 members" in proc.stderr and "TB of memory" in proc.stderr
    assert elapsed < 2, elapsed
    assert not (tmp_path / "out").exists()


# -- recommend --out is checked before the race ------------------------------------------
@pytest.mark.parametrize("where", ["file", "devnull", "under-a-file"])
def test_recommend_out_unusable_exits_2_before_training(tmp_path, capsys, monkeypatch, where):
    import losslab.study.recommend as recommend

    def no_race(*args, **kwargs):
        raise AssertionError("the race started")

    monkeypatch.setattr(recommend, "Race", no_race)
    monkeypatch.setattr(recommend, "profile", no_race)
    out = {"file": a_file(tmp_path), "devnull": os.devnull,
           "under-a-file": a_file(tmp_path) + "/sub"}[where]
    code = main(["recommend", data_csv(tmp_path), "--task", "classify", "--target", "label",
                 "--out", out, "--quiet"])
    check(code, capsys.readouterr().err, out.split("/sub")[0])


# -- the top-level guard ------------------------------------------------------------------
def test_an_internal_error_is_one_line_exit_1_and_debug_raises(tmp_path, capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("boom\nsecond line")

    monkeypatch.setattr(runner, "build_report", boom)
    argv = run_args(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        "losslab: internal error: ValueError: boom second line "
        "(run with --debug for the traceback)"
    )
    with pytest.raises(ValueError, match="boom"):
        main([*argv, "--overwrite", "--debug"])


def test_a_full_disk_is_one_line_and_the_store_stays_sound(tmp_path, capsys, monkeypatch):
    summary = tmp_path / "out" / "summary.json"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(summary))

    monkeypatch.setattr(runner, "build_report", full)
    db = tmp_path / "s.db"
    assert main([*run_args(tmp_path), "--db", str(db)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("losslab: error: the disk is full writing ") and str(summary) in err
    assert len(err.splitlines()) == 1
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 1
    assert con.execute("SELECT writer FROM studies").fetchone()[0] is None


def test_an_unusable_path_found_late_is_exit_2_naming_it(tmp_path, capsys, monkeypatch):
    path = tmp_path / "out" / "figures"

    def denied(*args, **kwargs):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(runner, "build_report", denied)
    assert main(run_args(tmp_path)) == 2
    assert capsys.readouterr().err.strip() == f"losslab: error: {path}: Permission denied"


# -- Ctrl-C ---------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "recommend", "probe"])
def test_ctrl_c_hints_resume_only_where_the_command_has_it(tmp_path, capsys, monkeypatch,
                                                            command):
    import losslab.study.probe as probe
    import losslab.study.recommend as recommend

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_run", interrupt)
    monkeypatch.setattr(recommend, "profile", interrupt)
    monkeypatch.setattr(probe, "probe_vanishing", interrupt)
    argv = {
        "run": run_args(tmp_path),
        "recommend": ["recommend", data_csv(tmp_path), "--task", "generate", "--quiet",
                      "--out", str(tmp_path / "r")],
        "probe": ["probe", "vanishing", config(tmp_path), "--out", str(tmp_path / "p"),
                  "--quiet"],
    }[command]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert ("--resume" in err) == (command == "run"), err


def test_a_file_in_the_way_of_the_checkpoints_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "checkpoints").write_text("mine")
    assert main(run_args(tmp_path)) == 2
    check(2, capsys.readouterr().err, "checkpoints")
    assert (tmp_path / "out" / "checkpoints").read_text() == "mine"
