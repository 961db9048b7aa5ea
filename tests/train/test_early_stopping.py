"""Validation-based early stopping in the supervised trainer (opt-in ``patience``).

Checked against a plain loop over the recorded validation losses and against a plain
retrain that stops at the chosen step (same seeds, so the same trajectory up to it)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from losslab.data import make_dataset
from losslab.losses import get_loss
from losslab.train.optim import OptimizerSettings
from losslab.train.supervised import SupervisedMember, SupervisedTask, train_supervised


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _task(steps: int, patience: int | None) -> SupervisedTask:
    members = []
    for i, seed in enumerate((0, 1)):
        o = get_loss("mse").optimizer
        members.append(SupervisedMember(
            index=i, label="mse", loss="mse", hparams=get_loss("mse").hyperparameters({}),
            seed=seed, optimizer=OptimizerSettings(o.name, 1e-2, o.betas, o.alpha, o.eps),
        ))
    return SupervisedTask(
        study_seed=5, dataset=make_dataset({"name": "diabetes"}), hidden=(64, 64),
        activation="relu", batch_size=32, steps=steps, eval_every=20, record_every=10,
        members=tuple(members), patience=patience,
    )


def _plain_loop(values: list[float], patience: int) -> tuple[int, int | None]:
    """(index of the best evaluation, index at which training stopped or None)."""
    best, at, since = np.inf, 0, 0
    for i, v in enumerate(values):
        if v < best:
            best, at, since = v, i, 0
        else:
            since += 1
        if since >= patience:
            return at, i
    return at, None


def test_the_best_checkpoint_is_restored_for_the_test_metrics():
    runs = train_supervised(_task(300, patience=10**6))  # never stops: only restores
    for i, r in enumerate(runs):
        at, stop = _plain_loop(r.checkpoints["val_loss"], 10**6)
        assert stop is None
        step = r.checkpoint_steps[at]
        if step == 0:
            continue
        alone = train_supervised(_task(step, None))[i]  # results come in member order
        for k, v in alone.metrics.items():
            assert r.metrics[k] == pytest.approx(v, rel=1e-6, abs=1e-9), k


def test_a_member_stops_after_patience_evaluations_without_improvement():
    runs = train_supervised(_task(400, patience=2))
    stopped = 0
    for i, r in enumerate(runs):
        values = r.checkpoints["val_loss"]
        at, stop = _plain_loop(values, 2)
        if stop is None:
            continue
        stopped += 1
        # frozen from the stop on: its validation loss no longer changes
        assert np.allclose(values[stop:], values[stop])
        alone = train_supervised(_task(r.checkpoint_steps[at], None))[i]
        assert r.metrics["mse"] == pytest.approx(alone.metrics["mse"], rel=1e-6)
    assert stopped >= 1  # a lr of 1e-2 on 265 rows overfits within 400 steps


def test_off_by_default_the_last_step_is_tested():
    a = train_supervised(_task(60, None))
    b = train_supervised(_task(60, 10**6))
    assert a[0].checkpoints["val_loss"] == b[0].checkpoints["val_loss"]
    assert SupervisedTask.__dataclass_fields__["patience"].default is None


def test_with_early_stopping_regression_members_return_their_test_predictions():
    """The predictions behind recommend's predicted-vs-true figure are those the test
    metrics were computed from (plain numpy MSE of them = the member's mse)."""
    for r in train_supervised(_task(60, 5)):
        t, p = r.arrays["test_target"], r.arrays["test_prediction"]
        assert t.shape == p.shape and np.mean((t - p) ** 2) == pytest.approx(r.metrics["mse"])
    assert all(not r.arrays for r in train_supervised(_task(60, None)))
