"""A study killed with SIGKILL mid-training resumes from its ensemble checkpoint and
ends exactly like an uninterrupted run, with no duplicate rows in the store."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import torch

import losslab.train.adversarial as adversarial
from losslab.study.runner import run_study

CONFIG = """
[study]
name = "killed"
seeds = 2

[data]
name = "gaussian"

[model]
latent_dim = 2
generator = { hidden = [8] }
discriminator = { hidden = [8] }

[train]
steps = 1200
batch_size = 16
eval_every = 400
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "wgan-gp"
"""


def finals(summary):
    return [(m["loss"], m["seed"], m["status"], m["metrics"]) for m in summary["members"]]


def test_sigkill_mid_training_then_resume_equals_uninterrupted(tmp_path, monkeypatch):
    config = tmp_path / "killed.toml"
    config.write_text(CONFIG)
    out, db = tmp_path / "killed", tmp_path / "store.db"
    ckpt = out / "checkpoints" / "ensemble-0.pt"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "losslab.cli",
            "run",
            str(config),
            "--out",
            str(out),
            "--db",
            str(db),
            "--quiet",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 240
    while not ckpt.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # mid-training: the checkpoint exists, the run doesn't
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    saved = torch.load(ckpt, weights_only=True)
    assert 0 < saved["step"] < 1200

    restored = []
    real_restore = adversarial._restore
    monkeypatch.setattr(
        adversarial,
        "_restore",
        lambda task, parts: restored.append(real_restore(task, parts)) or restored[-1],
    )
    resumed = run_study(config, out=out, db=db, resume=True, progress=False).summary
    assert restored and restored[0] >= saved["step"] > 0  # it continued, not restarted
    assert not ckpt.exists()  # removed once the ensemble was stored

    whole = run_study(config, out=tmp_path / "whole", db=tmp_path / "w.db", progress=False).summary
    assert finals(resumed) == finals(whole)

    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 4
    duplicates = con.execute(
        "SELECT member_id, name, step, COUNT(*) FROM series GROUP BY member_id, name, step"
        " HAVING COUNT(*) > 1"
    ).fetchall()
    assert duplicates == []
    w = sqlite3.connect(tmp_path / "w.db")
    assert (
        con.execute("SELECT COUNT(*) FROM series").fetchone()
        == w.execute("SELECT COUNT(*) FROM series").fetchone()
    )
