"""Each adversarial loss of issue 18 trains through the planner and the trainer: a short study
on the ``gaussian`` data set finishes ``ok``, a relativistic member in a mixed ensemble
reproduces its solo run, and its generator step costs one more network pass."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from losslab.study.config import validate_config
from losslab.study.executor import run_task
from losslab.study.planner import plan
from losslab.train.adversarial import train_adversarial, training_passes

NEW = (
    "wgan-lp", "nonsaturating-r1", "dragan", "rsgan", "ragan", "fgan-kl", "fgan-reverse-kl",
    "fgan-pearson",
)


def study(*losses: dict) -> list:
    raw = {
        "study": {"name": "new-adversarial", "seeds": 2},
        "data": {"name": "gaussian"},
        "model": {
            "latent_dim": 2,
            "generator": {"hidden": [8], "activation": "relu"},
            "discriminator": {"hidden": [8], "activation": "relu"},
        },
        "train": {"steps": 6, "batch_size": 16, "eval_every": 6, "eval_samples": 200},
        "losses": list(losses),
    }
    return plan(validate_config(raw))


@pytest.mark.parametrize("name", NEW)
def test_a_short_study_with_the_loss_finishes_ok(name):
    rows = [row for task in study({"name": name}) for row in run_task(task)]
    assert len(rows) == 2
    for row in rows:
        assert row["status"] == "ok", row["reason"]
        assert row["registry_name"] == name
        assert all(np.isfinite(v) for v in row["metrics"].values())
        assert np.isfinite(row["series"]["d_loss"]).all()


def test_penalty_losses_record_their_penalty_and_others_record_none():
    rows = [row for task in study(*({"name": n} for n in NEW)) for row in run_task(task)]
    assert len(rows) == 2 * len(NEW)
    for row in rows:
        penalty = np.asarray(row["series"]["d_penalty"], dtype=float)
        if row["registry_name"] in ("nonsaturating-r1", "dragan"):
            assert np.nanmax(penalty) > 0
        elif row["registry_name"] not in ("wgan-lp",):
            assert np.nanmax(np.abs(penalty)) == 0


def test_relativistic_and_penalty_members_of_a_mixed_ensemble_reproduce_their_solo_runs():
    tasks = study({"name": "ragan"}, {"name": "nonsaturating-bce"}, {"name": "dragan"},
                  {"name": "rsgan"})
    members = tuple(m for t in tasks for m in t.members)
    together_task = replace(tasks[0], members=members)
    together = train_adversarial(together_task)
    for i, m in enumerate(members):
        alone = train_adversarial(replace(together_task, members=(m,)))[0]
        assert together[i].status == alone.status == "ok"
        for name in ("d_loss", "g_loss", "d_penalty", "g_grad_norm"):
            np.testing.assert_allclose(
                together[i].series[name], alone.series[name], rtol=1e-4, atol=1e-6
            )
        np.testing.assert_allclose(together[i].samples, alone.samples, rtol=1e-4, atol=1e-5)


def test_training_passes_count_the_penalty_and_the_real_batch_of_the_generator_step():
    for task in study({"name": "ragan"}, {"name": "nonsaturating-r1"}, {"name": "minimax-bce"}):
        for m in task.members:
            expected = {"ragan": 5 + 4 + 1, "nonsaturating-r1": 5 + 4 + 4, "minimax-bce": 5 + 4}
            assert training_passes(task, m) == task.steps * expected[m.loss]
