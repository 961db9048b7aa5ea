"""The adversarial trainer: ensemble members reproduce solo runs, runs are
deterministic, divergence is recorded, and the saturating generator loss
vanishes where the non-saturating one does not."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from losslab.data import make_dataset
from losslab.losses import get_loss
from losslab.nets import EnsembleMLP
from losslab.train.adversarial import (
    AdversarialMember,
    AdversarialTask,
    NetShape,
    train_adversarial,
)
from losslab.train.optim import OptimizerSettings


def member(index, loss, seed, **over):
    spec = get_loss(loss)
    opt = over.pop("optimizer", None) or OptimizerSettings(
        spec.optimizer.name, spec.optimizer.lr, spec.optimizer.betas, spec.optimizer.alpha
    )
    return AdversarialMember(
        index=index,
        label=loss,
        loss=loss,
        hparams=spec.hyperparameters(over.pop("hparams", {})),
        seed=seed,
        n_critic=over.pop("n_critic", spec.training.get("n_critic", 1)),
        optimizer=opt,
    )


def task(members, steps=30, data=None):
    return AdversarialTask(
        study_seed=7,
        dataset=make_dataset(data or {"name": "mixture", "k": 2}),
        latent_dim=2,
        generator=NetShape((8, 8), "leaky_relu"),
        discriminator=NetShape((8, 8), "leaky_relu"),
        batch_size=16,
        steps=steps,
        eval_every=10,
        eval_samples=200,
        record_every=1,
        members=tuple(members),
    )


MIXED = [
    member(0, "nonsaturating-bce", 0),
    member(1, "nonsaturating-bce", 1),
    member(2, "wgan-gp", 0),
    member(3, "wgan-gp", 1),
    member(4, "wgan-clip", 2),
    member(5, "hinge", 0, n_critic=2),
]


def test_member_of_mixed_ensemble_reproduces_its_solo_run():
    together = train_adversarial(task(MIXED))
    for i, m in enumerate(MIXED):
        alone = train_adversarial(task([m]))[0]
        ens = together[i]
        assert ens.status == alone.status == "ok"
        for name in ("d_loss", "g_loss", "g_grad_norm", "d_grad_norm", "d_accuracy"):
            np.testing.assert_allclose(ens.series[name], alone.series[name], rtol=1e-4, atol=1e-6)
        for name, value in alone.metrics.items():
            assert ens.metrics[name] == pytest.approx(value, rel=1e-4, abs=1e-6)
        np.testing.assert_allclose(ens.samples, alone.samples, rtol=1e-4, atol=1e-5)


def test_same_task_twice_gives_identical_numbers():
    a = train_adversarial(task(MIXED[:3]))
    b = train_adversarial(task(MIXED[:3]))
    for ra, rb in zip(a, b, strict=True):
        assert ra.metrics == rb.metrics
        for name in ra.series:
            np.testing.assert_array_equal(ra.series[name], rb.series[name])


def test_records_every_series_and_checkpoint():
    (r,) = train_adversarial(task([MIXED[0]], steps=20))
    assert list(r.checkpoint_steps) == [0, 10, 20]
    for name in (
        "d_loss",
        "g_loss",
        "d_real",
        "d_fake",
        "d_accuracy",
        "d_penalty",
        "d_grad_norm",
        "g_grad_norm",
        "g_grad_mean",
        "g_layer_grad_norm/0",
        "g_layer_grad_norm/2",
    ):
        assert r.series[name].shape == (20,) and np.isfinite(r.series[name]).all()
    # per-layer norms compose the total norm
    layers = np.stack([r.series[f"g_layer_grad_norm/{k}"] for k in range(3)])
    np.testing.assert_allclose(np.sqrt((layers**2).sum(0)), r.series["g_grad_norm"], rtol=1e-4)
    assert {"w1", "ks", "energy", "mean_error", "std_error", "modes"} <= set(r.metrics)


def test_divergent_member_is_recorded_and_others_go_on():
    wild = OptimizerSettings("adam", lr=1e12, betas=(0.0, 0.0), eps=1e-30)
    members = [member(0, "lsgan", 0), member(1, "lsgan", 1, optimizer=wild)]
    members[1] = replace(members[1], label="lsgan-wild")
    calm, blown = train_adversarial(task(members, steps=40))
    assert calm.status == "ok" and calm.metrics
    assert blown.status == "diverged"
    assert 1 <= blown.diverged_step <= 40
    assert "non-finite" in blown.reason


def test_weight_clipping_bounds_critic_weights():
    m = member(0, "wgan-clip", 0, hparams={"clip": 0.05})
    t = task([m], steps=5)
    torch.manual_seed(0)
    # Clipping is checked through its effect: the critic's outputs are bounded by the
    # product of layer norms, so compare with an unclipped run's larger gradient norm.
    clipped = train_adversarial(t)[0]
    loose = train_adversarial(task([member(0, "wgan-clip", 0, hparams={"clip": 100.0})], 5))[0]
    assert np.abs(clipped.series["d_real"]).max() < np.abs(loose.series["d_real"]).max()


def test_saturating_generator_gradient_vanishes_against_a_confident_discriminator():
    """D(G(z)) ~ 0: d/dl log(1 - sigmoid(l)) = -sigmoid(l) ~ e^l, while
    d/dl -log sigmoid(l) = -(1 - sigmoid(l)) ~ -1. The generator gradients differ by
    the same factor, e^l (closed form), since the rest of the chain is shared."""
    gens = [torch.Generator().manual_seed(s) for s in (0, 1)]
    G = EnsembleMLP([2, 16, 1], "tanh", gens)
    D = EnsembleMLP([1, 16, 1], "tanh", [torch.Generator().manual_seed(5)] * 2)
    with torch.no_grad():
        D.layers[-1].bias.fill_(-12.0)  # the discriminator rejects every fake with confidence
        for p in D.parameter_list()[:-1]:
            p.mul_(0.01)  # keep the logit near -12 whatever G emits
    z = torch.randn(2, 64, 2, generator=torch.Generator().manual_seed(3))
    norms = {}
    for loss in ("minimax-bce", "nonsaturating-bce"):
        g_term = get_loss(loss).bind("generator", {})
        logits = D(G(z)).squeeze(-1)
        grads = torch.autograd.grad(g_term(fake_scores=logits).sum(), G.parameter_list())
        norms[loss] = torch.sqrt(sum(g.pow(2).sum((1, 2)) for g in grads))
        mean_logit = logits.mean().item()
    ratio = norms["minimax-bce"] / norms["nonsaturating-bce"]
    assert torch.all(ratio < 1e-4)  # orders of magnitude
    expected = math.exp(mean_logit)  # sigmoid(l) / (1 - sigmoid(l)) = e^l
    np.testing.assert_allclose(ratio.numpy(), expected, rtol=0.05)
