"""EBGAN in the adversarial trainer: the autoencoder discriminator's energies are the
scores, the generator gets the codes (pulling-away term), the hinge's activity is
recorded, and members reproduce their solo runs."""

import numpy as np
import pytest

from losslab.data import make_dataset
from losslab.losses import get_loss
from losslab.train.adversarial import (
    AdversarialMember,
    AdversarialTask,
    NetShape,
    train_adversarial,
)
from losslab.train.optim import OptimizerSettings


def member(index, loss, seed, hparams=None):
    spec = get_loss(loss)
    o = spec.optimizer
    return AdversarialMember(
        index=index, label=loss, loss=loss, hparams=spec.hyperparameters(hparams or {}),
        seed=seed, n_critic=1, optimizer=OptimizerSettings(o.name, o.lr, o.betas, o.alpha),
    )


def task(members, steps):
    return AdversarialTask(
        study_seed=7, dataset=make_dataset({"name": "ring8"}), latent_dim=2,
        generator=NetShape((16, 16), "relu"), discriminator=NetShape((16, 16), "relu"),
        batch_size=32, steps=steps, eval_every=10, eval_samples=200, record_every=1,
        members=tuple(members),
    )


def test_ebgan_members_reproduce_solo_runs_and_record_energies():
    both = train_adversarial(task([member(0, "ebgan", 0), member(1, "ebgan", 1)], steps=20))
    solo = train_adversarial(task([member(1, "ebgan", 1)], steps=20))
    np.testing.assert_allclose(both[1].series["g_loss"], solo[0].series["g_loss"], rtol=1e-5)
    np.testing.assert_allclose(both[1].samples, solo[0].samples, rtol=1e-5, atol=1e-6)
    r = both[0]
    assert r.status == "ok"
    # energies are mean squared errors: non-negative
    assert np.all(r.series["d_real"] >= 0) and np.all(r.series["d_fake"] >= 0)
    active = r.series["d_hinge_active"]
    assert np.all((active >= 0) & (active <= 1))
    # the discriminator's accuracy counts real given the LOWER energy
    acc = r.series["d_accuracy"]
    assert np.all((acc >= 0) & (acc <= 1))


def test_the_pulling_away_term_reaches_the_generator():
    """With pt_weight > 0 the generator's loss (and so its training) differs from
    pt_weight = 0 from the first step on; the discriminator's first step does not."""
    a = train_adversarial(task([member(0, "ebgan", 0, hparams={"pt_weight": 0.0})], steps=3))[0]
    b = train_adversarial(task([member(0, "ebgan", 0, hparams={"pt_weight": 1.0})], steps=3))[0]
    assert a.series["d_loss"][0] == pytest.approx(b.series["d_loss"][0], rel=1e-6)
    assert b.series["g_loss"][0] > a.series["g_loss"][0]


def test_one_ensemble_has_one_kind_of_discriminator():
    with pytest.raises(ValueError, match="one kind of discriminator"):
        train_adversarial(task([member(0, "ebgan", 0), member(1, "wgan-gp", 0)], steps=2))
