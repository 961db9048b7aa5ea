"""The energy/score/diffusion trainer: a trained DDPM reproduces a 1-D Gaussian,
members reproduce solo runs, every method trains and samples, divergence is recorded."""

import numpy as np
import pytest
import torch
from scipy import stats

from losslab.data import make_dataset
from losslab.losses import get_loss
from losslab.train.adversarial import NetShape
from losslab.train.generative import GenerativeMember, GenerativeTask, train_generative
from losslab.train.optim import OptimizerSettings


def member(index, loss, seed, lr=None, **hparams):
    spec = get_loss(loss)
    o = spec.optimizer
    return GenerativeMember(
        index=index,
        label=loss,
        loss=loss,
        hparams=spec.hyperparameters(hparams),
        seed=seed,
        optimizer=OptimizerSettings(o.name, lr or o.lr, o.betas, o.alpha, o.eps),
    )


def task(members, steps=40, data=None, hidden=(32, 32), batch=64, eval_samples=300, every=20):
    return GenerativeTask(
        study_seed=3,
        dataset=make_dataset(data or {"name": "ring8"}),
        network=NetShape(hidden, "silu"),
        batch_size=batch,
        steps=steps,
        eval_every=every,
        eval_samples=eval_samples,
        record_every=5,
        members=tuple(members),
    )


def test_ddpm_learns_a_1d_gaussian():
    """DDPM (eps-prediction, T=100) on N(4, 0.5^2). The threshold: two independent
    samples of 2,000 points from the target itself are ~0.02 apart in W1
    (sqrt(2/pi)-scale fluctuations of an empirical CDF, 0.5 * ~0.04), while the
    sampler's starting noise N(0, 1) is ~3.6 away; W1 < 0.1 (a fifth of the data's
    standard deviation) means the model moved the noise onto the data and got its
    spread right, which an untrained or mis-scheduled model cannot."""
    data = {"name": "gaussian", "mean": 4.0, "std": 0.5}
    t = task(
        [member(0, "ddpm-eps", 0, lr=2e-3, timesteps=100)],
        steps=1500, data=data, hidden=(64, 64), batch=256, eval_samples=2000, every=1500,
    )
    torch.manual_seed(0)
    (r,) = train_generative(t)
    assert r.status == "ok"
    reference = np.random.default_rng(1).normal(4.0, 0.5, 2000)
    w1 = stats.wasserstein_distance(r.samples[:, 0], reference)
    assert w1 < 0.1, w1
    assert r.metrics["w1"] < 0.1
    assert abs(r.samples.mean() - 4.0) < 0.1 and abs(r.samples.std() - 0.5) < 0.1


@pytest.mark.parametrize(
    "loss",
    ["ddpm-x0", "ddpm-v", "dsm", "dsm-annealed", "flow-matching", "nce", "sliced-score-matching"],
)
def test_member_reproduces_its_solo_run(loss):
    """Member 1 of a two-member ensemble gets the numbers of its solo run."""
    both = train_generative(task([member(0, loss, 0), member(1, loss, 1)], steps=12, every=6))
    solo = train_generative(task([member(1, loss, 1)], steps=12, every=6))
    np.testing.assert_allclose(both[1].series["loss"], solo[0].series["loss"], rtol=1e-5)
    np.testing.assert_allclose(both[1].samples, solo[0].samples, rtol=1e-4, atol=1e-5)
    assert both[1].metrics == pytest.approx(solo[0].metrics, rel=1e-4, abs=1e-6)


def test_energy_model_records_energies_and_langevin_gradients():
    m = [member(0, "contrastive-divergence", 0, langevin_steps=10, eval_steps=20)]
    (r,) = train_generative(task(m, steps=20, every=10))
    assert r.status == "ok"
    for name in ("loss", "data_energy", "sample_energy", "langevin_grad_norm", "grad_norm"):
        assert np.all(np.isfinite(r.series[name])), name
    by_step = r.arrays["langevin_grad_by_step"]
    assert by_step.shape == (len(r.arrays["langevin_grad_by_step_at"]), 10)
    # the 2-D field is the energy on a grid; modes metrics are there for ring8
    assert r.arrays["critic"].shape == (80, 80)
    assert {"w1", "mmd", "modes", "high_quality"} <= set(r.metrics)


def test_energy_model_is_deterministic():
    m = [member(0, "contrastive-divergence", 2, langevin_steps=5, eval_steps=10)]
    a = train_generative(task(m, steps=10, every=10))[0]
    b = train_generative(task(m, steps=10, every=10))[0]
    np.testing.assert_array_equal(a.samples, b.samples)
    np.testing.assert_array_equal(a.series["loss"], b.series["loss"])


def test_divergence_is_recorded_and_the_other_member_goes_on():
    """A member whose Langevin chains explode (a huge step on a steep energy) turns its
    loss non-finite: it is marked diverged at that step; the other member is unaffected."""
    ok = member(0, "contrastive-divergence", 0, langevin_steps=5, eval_steps=5)
    bad = member(1, "contrastive-divergence", 0, lr=1e30, langevin_steps=5, eval_steps=5)
    r_ok, r_bad = train_generative(task([ok, bad], steps=30, every=30))
    assert r_bad.status == "diverged" and r_bad.diverged_step is not None
    assert "non-finite" in r_bad.reason
    assert r_ok.status == "ok"
    (solo,) = train_generative(task([ok], steps=30, every=30))
    np.testing.assert_allclose(r_ok.series["loss"], solo.series["loss"], rtol=1e-5, atol=1e-7)


def test_one_ensemble_needs_one_loss_configuration():
    with pytest.raises(ValueError, match="one loss"):
        train_generative(task([member(0, "ddpm-eps", 0), member(1, "ddpm-x0", 1)], steps=2))
