"""Penalties that compose: each penalty term against an independent per-sample autograd loop
(one sample at a time, float64), closed forms, and a trainer member with R1 (plus the
one-sided penalty) in a mixed ensemble reproducing its solo run."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from losslab.losses import get_loss
from losslab.losses.penalties import (
    PENALTIES,
    declared_penalties,
    dragan_penalty,
    gradient_penalty,
    one_sided_penalty,
    r1_penalty,
    r2_penalty,
)

S, B, D, H = 3, 5, 2, 4


def _critic_weights(seed: int = 0, scale: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    w1 = (scale * torch.randn(S, D, H, generator=g, dtype=torch.float64)).requires_grad_(True)
    w2 = (scale * torch.randn(S, H, 1, generator=g, dtype=torch.float64)).requires_grad_(True)
    return w1, w2


def _batched(w1, w2):
    return lambda x: torch.bmm(torch.tanh(torch.bmm(x, w1)), w2)


def _one_sample_norm(w1, w2, s: int, x: list[float]) -> torch.Tensor:
    """||grad_x f_s(x)|| for one sample of one member, by its own autograd call."""
    xs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    score = (torch.tanh(xs @ w1[s]) @ w2[s]).squeeze()
    (grad,) = torch.autograd.grad(score, xs, create_graph=True)
    return torch.sqrt((grad**2).sum())


def _samples(seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(S, B, D, generator=g, dtype=torch.float64) + 1.0
    fake = torch.randn(S, B, D, generator=g, dtype=torch.float64) * 2.0
    eps = torch.rand(S, B, 1, generator=g, dtype=torch.float64)
    noise = torch.rand(S, B, D, generator=g, dtype=torch.float64)
    return real, fake, eps, noise


def _loop(point, per_sample):
    """Member by member, the batch mean of ``per_sample(norm)`` at ``point(s, b)``."""
    w1, w2 = _critic_weights()
    out = []
    for s in range(S):
        values = [per_sample(_one_sample_norm(w1, w2, s, point(s, b))) for b in range(B)]
        out.append(sum(values) / B)
    return torch.stack(out), (w1, w2)


def _interpolate(real, fake, eps):
    def point(s, b):
        e = float(eps[s, b, 0])
        return [e * float(real[s, b, i]) + (1 - e) * float(fake[s, b, i]) for i in range(D)]

    return point


def _dragan_point(real, eps, noise, c):
    def point(s, b):
        values = [float(v) for v in real[s].flatten()]
        mu = sum(values) / len(values)
        sigma = math.sqrt(sum((v - mu) ** 2 for v in values) / len(values))  # numpy's X.std()
        return [
            float(real[s, b, i]) + float(eps[s, b, 0]) * c * sigma * float(noise[s, b, i])
            for i in range(D)
        ]

    return point


REAL, FAKE, EPS, NOISE = _samples()
CASES = {
    "gradient-penalty": (
        lambda critic: gradient_penalty(critic, REAL, FAKE, EPS),
        _interpolate(REAL, FAKE, EPS),
        lambda n: (n - 1) ** 2,
    ),
    "one-sided": (
        lambda critic: one_sided_penalty(critic, REAL, FAKE, EPS),
        _interpolate(REAL, FAKE, EPS),
        lambda n: torch.clamp(n - 1, min=0) ** 2,
    ),
    "r1": (
        lambda critic: r1_penalty(critic, REAL, FAKE),
        lambda s, b: [float(v) for v in REAL[s, b]],
        lambda n: 0.5 * n**2,
    ),
    "r2": (
        lambda critic: r2_penalty(critic, REAL, FAKE),
        lambda s, b: [float(v) for v in FAKE[s, b]],
        lambda n: 0.5 * n**2,
    ),
    "dragan": (
        lambda critic: dragan_penalty(critic, REAL, FAKE, EPS, NOISE, c=0.5),
        _dragan_point(REAL, EPS, NOISE, 0.5),
        lambda n: (n - 1) ** 2,
    ),
}


def test_every_registered_penalty_has_a_case():
    assert set(CASES) == set(PENALTIES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_penalty_matches_a_per_sample_autograd_loop(name):
    batched, point, per_sample = CASES[name]
    w1, w2 = _critic_weights()
    value = batched(_batched(w1, w2))
    assert value.shape == (S,)
    expected, (v1, v2) = _loop(point, per_sample)
    torch.testing.assert_close(value, expected, atol=1e-12, rtol=1e-10)
    # and the gradient with respect to the critic's weights (the double backward)
    value.sum().backward()
    expected.sum().backward()
    torch.testing.assert_close(w1.grad, v1.grad, atol=1e-10, rtol=1e-8)
    torch.testing.assert_close(w2.grad, v2.grad, atol=1e-10, rtol=1e-8)


def test_dragan_takes_a_per_member_noise_scale():
    w1, w2 = _critic_weights()
    cs = [0.1, 0.5, 2.0]
    together = dragan_penalty(_batched(w1, w2), REAL, FAKE, EPS, NOISE, c=torch.tensor(cs))
    for s, c in enumerate(cs):
        sl = slice(s, s + 1)
        alone = dragan_penalty(
            _batched(w1[sl], w2[sl]), REAL[sl], FAKE[sl], EPS[sl], NOISE[sl], c=c
        )
        torch.testing.assert_close(together[sl], alone, atol=1e-12, rtol=1e-12)


def test_one_sided_is_zero_where_every_gradient_norm_is_at_most_one():
    w1, w2 = _critic_weights(scale=0.3)  # |grad| <= ||w1|| ||w2|| < 1 for tanh units
    bound = torch.linalg.matrix_norm(w1, ord=2) * torch.linalg.vector_norm(w2.flatten(1), dim=1)
    assert bool((bound < 1).all())
    critic = _batched(w1, w2)
    zero = torch.zeros(S, dtype=torch.float64)
    assert torch.equal(one_sided_penalty(critic, REAL, FAKE, EPS), zero)
    assert bool((gradient_penalty(critic, REAL, FAKE, EPS) > 0).all())  # two-sided is not


def test_r1_of_a_linear_critic_is_gamma_half_w_squared():
    g = torch.Generator().manual_seed(3)
    w = torch.randn(S, D, 1, generator=g, dtype=torch.float64)
    gamma = torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64)
    value = gamma * r1_penalty(lambda x: torch.bmm(x, w) + 2.5, REAL, FAKE)
    expected = gamma / 2 * (w.squeeze(-1) ** 2).sum(1)
    torch.testing.assert_close(value, expected, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(r2_penalty(lambda x: torch.bmm(x, w), REAL, FAKE), expected / gamma)


def test_declared_penalties_reads_the_declaration_and_the_older_key():
    assert declared_penalties(get_loss("wgan-gp").training) == {"gradient-penalty": "gp_weight"}
    assert declared_penalties({"gradient_penalty": "w"}) == {"gradient-penalty": "w"}
    both = {"r1": "g", "dragan": "l"}
    assert declared_penalties({"penalties": both}) == both
    assert declared_penalties({"n_critic": 1}) == {}
    with pytest.raises(ValueError, match="unknown penalties"):
        declared_penalties({"penalties": {"r3": "g"}})


# --- the trainer ---------------------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
from test_adversarial_trainer import member, task  # noqa: E402

from losslab.train.adversarial import train_adversarial, training_passes  # noqa: E402


def test_a_member_with_composed_penalties_reproduces_its_solo_run(monkeypatch):
    """wgan-gp re-declared with R1 and the one-sided penalty (weights from its gp_weight knob,
    one per member), trained beside members without penalties and with the plain GP."""
    training = get_loss("wgan-gp").training
    members = [
        member(0, "nonsaturating-bce", 0),
        member(1, "wgan-gp", 3, hparams={"gp_weight": 2.0}),
        member(2, "wgan-gp", 4, hparams={"gp_weight": 0.5}),
        member(3, "hinge", 0, n_critic=2),
    ]
    monkeypatch.delitem(training, "gradient_penalty")
    monkeypatch.setitem(training, "penalties", {"r1": "gp_weight", "one-sided": "gp_weight"})
    together = train_adversarial(task(members, steps=12))
    for i, m in enumerate(members):
        alone = train_adversarial(task([m], steps=12))[0]
        ens = together[i]
        assert ens.status == alone.status == "ok"
        for name in ("d_loss", "g_loss", "d_penalty", "d_grad_norm"):
            np.testing.assert_allclose(ens.series[name], alone.series[name], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(ens.samples, alone.samples, rtol=1e-4, atol=1e-5)
    assert np.nanmax(together[1].series["d_penalty"]) > 0
    assert training_passes(task(members, steps=12), members[1]) == 12 * (5 * (5 + 8) + 4)
