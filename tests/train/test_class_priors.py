"""The trainer passes each member its training-split class priors: a logit-adjusted member in
a mixed ensemble reproduces its solo run, and the priors it receives are the class
frequencies of its own training split."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch

from losslab.data import make_dataset
from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.rng import numpy_generator
from losslab.train.optim import OptimizerSettings
from losslab.train.supervised import SupervisedMember, SupervisedTask, train_supervised

IMBALANCED = {"name": "blobs-imbalanced", "n": 600}


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def member(index, loss, seed, hparams=None):
    spec = get_loss(loss)
    o = spec.optimizer
    return SupervisedMember(
        index=index,
        label=loss,
        loss=loss,
        hparams=spec.hyperparameters(hparams or {}),
        seed=seed,
        optimizer=OptimizerSettings(o.name, o.lr, o.betas, o.alpha, o.eps),
    )


def task(members, data=IMBALANCED, steps=30):
    return SupervisedTask(
        study_seed=11,
        dataset=make_dataset(data),
        hidden=(16, 16),
        activation="relu",
        batch_size=32,
        steps=steps,
        eval_every=10,
        record_every=1,
        members=tuple(members),
    )


def assert_same_run(ens, alone):
    assert ens.status == alone.status == "ok"
    for name in alone.series:
        np.testing.assert_allclose(ens.series[name], alone.series[name], rtol=1e-5, atol=1e-7)
    for name, values in alone.checkpoints.items():
        np.testing.assert_allclose(ens.checkpoints[name], values, rtol=1e-5, atol=1e-7)
    assert set(ens.metrics) == set(alone.metrics)
    for name, value in alone.metrics.items():
        assert ens.metrics[name] == pytest.approx(value, rel=1e-5, abs=1e-7)


MIXED = [
    member(0, "softmax-ce", 0),
    member(1, "logit-adjusted-ce", 1),
    member(2, "class-weighted-ce", 2),
    member(3, "logit-adjusted-ce", 0, {"tau": 0.5}),
    member(4, "balanced-softmax", 2),
    member(5, "ldam", 1, {"scale": 5.0}),
    member(6, "gce", 0),
]


@pytest.mark.parametrize("i", [1, 3, 4, 5])
def test_a_prior_using_member_of_a_mixed_ensemble_reproduces_its_solo_run(i):
    together = train_supervised(task(MIXED))
    (alone,) = train_supervised(task([MIXED[i]]))
    assert_same_run(together[i], alone)


def test_the_priors_passed_are_the_members_training_split_class_frequencies(monkeypatch):
    seen = []
    spec = get_loss("logit-adjusted-ce")
    original = spec.terms["loss"]

    @functools.wraps(original)  # keeps the signature bind() reads the knobs from
    def spy(**kwargs):
        seen.append(kwargs["class_priors"].clone())
        return original(**kwargs)

    monkeypatch.setitem(spec.terms, "loss", spy)
    members = [member(0, "logit-adjusted-ce", 0), member(1, "logit-adjusted-ce", 3)]
    train_supervised(task(members, steps=1))
    ds = make_dataset(IMBALANCED)
    for s, m in enumerate(members):
        y = ds.splits(numpy_generator(11, m.seed, "split")).y_train
        counts = np.bincount(y, minlength=ds.n_classes)
        np.testing.assert_allclose(seen[0][s].numpy(), counts / counts.sum(), rtol=1e-6)


def test_a_count_loss_on_negative_targets_is_bad_input_naming_targets():
    with pytest.raises(BadInput, match="non-negative targets"):
        train_supervised(task([member(0, "poisson-nll", 0)], {"name": "linear-gaussian"}, 1))
