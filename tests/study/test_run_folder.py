"""A finished run folder holds no empty ``checkpoints/`` (issue 17); a folder with
something else in it is left alone."""

from __future__ import annotations

import losslab.train.adversarial as adversarial
from losslab.study.runner import run_study

CONFIG = """
[study]
name = "tidy"
seeds = 2

[data]
name = "gaussian"

[model]
latent_dim = 2
generator = { hidden = [8] }
discriminator = { hidden = [8] }

[train]
steps = 300
batch_size = 16
eval_every = 300
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"
"""


def test_no_empty_checkpoints_folder_after_a_run(tmp_path, monkeypatch):
    saved = []
    real = adversarial._checkpoint
    monkeypatch.setattr(
        adversarial, "_checkpoint", lambda *a: saved.append(a[2]) or real(*a)
    )
    config = tmp_path / "tidy.toml"
    config.write_text(CONFIG)
    out = tmp_path / "runs" / "tidy"
    run_study(config, out=out, progress=False)
    assert (out / "summary.json").is_file()
    assert saved == [256]  # a checkpoint was written (every 256 steps) and then removed
    assert not (out / "checkpoints").exists(), sorted((out / "checkpoints").iterdir())
    # a user's file in the folder keeps the folder
    (out / "checkpoints").mkdir()
    (out / "checkpoints" / "notes.txt").write_text("mine")
    run_study(config, out=out, progress=False, resume=True)
    assert (out / "checkpoints" / "notes.txt").read_text() == "mine"
