"""A checkpoint knows what it belongs to: ``--resume`` ignores (and says so) a leftover
checkpoint of another config, retrains from the start when a checkpoint cannot be read,
and never records members as failed because of a checkpoint."""

from __future__ import annotations

import pytest

import losslab.train.adversarial as adversarial
from losslab.study.runner import run_study
from losslab.train import checkpoint

CONFIG = """
[study]
name = "ckpt"
seeds = 2

[data]
name = "gaussian"
mean = {mean}

[model]
latent_dim = 2
generator = {{ hidden = [8] }}
discriminator = {{ hidden = [8] }}

[train]
steps = {steps}
batch_size = 16
eval_every = 200
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"
"""


def finals(summary):
    return [(m["loss"], m["seed"], m["status"], m["metrics"]) for m in summary["members"]]


def write(tmp_path, name, mean, steps=600):
    path = tmp_path / f"{name}.toml"
    path.write_text(CONFIG.format(mean=mean, steps=steps))
    return path


def killed_after_first_checkpoint(config, out, db, monkeypatch):
    """Run the study until its first checkpoint is saved, then die (KeyboardInterrupt);
    the checkpoint is left behind."""
    real = adversarial._checkpoint

    def save_then_die(task, parts, step):
        real(task, parts, step)
        raise KeyboardInterrupt

    monkeypatch.setattr(adversarial, "_checkpoint", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_study(config, out=out, db=db, progress=False)
    monkeypatch.setattr(adversarial, "_checkpoint", real)
    ckpt = out / "checkpoints" / "ensemble-0.pt"
    assert ckpt.is_file()
    return ckpt


def restores(monkeypatch) -> list[int]:
    """The steps ``_restore`` continued from, as the trainer ran."""
    seen: list[int] = []
    real = adversarial._restore
    monkeypatch.setattr(
        adversarial, "_restore", lambda task, parts: seen.append(real(task, parts)) or seen[-1]
    )
    return seen


@pytest.mark.parametrize("steps", [600, 500], ids=["other-data", "other-data-and-steps"])
def test_a_leftover_checkpoint_of_another_config_is_ignored(tmp_path, monkeypatch, capsys,
                                                           steps):
    out = tmp_path / "out"
    killed_after_first_checkpoint(write(tmp_path, "a", mean=4.0), out, tmp_path / "a.db",
                                  monkeypatch)
    b = write(tmp_path, "b", mean=0.0, steps=steps)
    capsys.readouterr()
    seen = restores(monkeypatch)
    # another store (a fresh one): the study is new, the checkpoint in --out is not its own
    resumed = run_study(b, out=out, db=tmp_path / "b.db", resume=True, progress=False).summary
    assert seen == [0]  # trained from the start
    err = capsys.readouterr().err
    assert "ensemble-0.pt" in err and "belongs to another" in err
    clean = run_study(b, out=tmp_path / "clean", db=tmp_path / "c.db", progress=False).summary
    assert finals(resumed) == finals(clean)
    assert all(m["status"] in ("ok", "not-converged") for m in resumed["members"])


def test_a_truncated_checkpoint_is_reported_and_the_ensemble_retrained(tmp_path, monkeypatch,
                                                                       capsys):
    config, out, db = write(tmp_path, "t", mean=0.0), tmp_path / "out", tmp_path / "t.db"
    ckpt = killed_after_first_checkpoint(config, out, db, monkeypatch)
    data = ckpt.read_bytes()
    ckpt.write_bytes(data[: len(data) // 2])
    capsys.readouterr()
    seen = restores(monkeypatch)
    resumed = run_study(config, out=out, db=db, resume=True, progress=False).summary
    assert seen == [0]
    err = capsys.readouterr().err
    assert "ensemble-0.pt" in err and "cannot be read" in err
    assert all(m["status"] in ("ok", "not-converged") for m in resumed["members"])
    clean = run_study(config, out=tmp_path / "clean", db=tmp_path / "c.db", progress=False)
    assert finals(resumed) == finals(clean.summary)


def test_a_matching_checkpoint_is_still_used(tmp_path, monkeypatch):
    config, out, db = write(tmp_path, "m", mean=0.0), tmp_path / "out", tmp_path / "m.db"
    killed_after_first_checkpoint(config, out, db, monkeypatch)
    seen = restores(monkeypatch)
    resumed = run_study(config, out=out, db=db, resume=True, progress=False).summary
    assert seen and seen[0] > 0
    clean = run_study(config, out=tmp_path / "clean", db=tmp_path / "c.db", progress=False)
    assert finals(resumed) == finals(clean.summary)


def test_a_checkpoint_that_cannot_be_saved_does_not_fail_the_members(tmp_path, monkeypatch,
                                                                     capsys):
    config = write(tmp_path, "s", mean=0.0)

    def full_disk(path, state):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "_write", full_disk)
    summary = run_study(config, out=tmp_path / "out", db=tmp_path / "s.db", progress=False)
    assert all(m["status"] in ("ok", "not-converged") for m in summary.summary["members"])
    assert "No space left on device" in capsys.readouterr().err


def test_the_task_hash_changes_with_what_changes_results():
    """Independent of the trainer: two tasks planned from configs that differ in one
    result-changing setting hash differently; the checkpoint path does not count."""
    from dataclasses import replace

    from losslab.study.config import validate_config
    from losslab.study.planner import plan

    def task(**train):
        raw = {
            "study": {"name": "h", "seeds": 2},
            "data": {"name": "gaussian"},
            "train": {"steps": 10, **train},
            "losses": [{"name": "wgan-gp"}],
        }
        return plan(validate_config(raw))[0]

    base = task()
    assert checkpoint.task_hash(base) == checkpoint.task_hash(
        replace(base, checkpoint_path="/elsewhere.pt")
    )
    assert checkpoint.task_hash(base) == checkpoint.task_hash(task())  # deterministic
    for changed in (task(steps=11), task(batch_size=7), task(data_points=1000),
                    replace(base, members=base.members[:1])):
        assert checkpoint.task_hash(changed) != checkpoint.task_hash(base)
