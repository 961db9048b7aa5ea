"""Energy-family terms against plain loops and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.losses.energy import cd_loss, dsm_loss, sigma_levels

# --- contrastive-divergence ---------------------------------------------------------------


def test_cd_loss_matches_a_plain_loop():
    data = [[0.5, -1.0, 2.0, 0.0], [3.0, 1.0, -0.5, 0.25]]
    samples = [[1.5, 0.5, -2.0], [0.0, -1.0, 4.0]]  # another batch size is fine
    alpha = 0.3
    expected = []
    for pos, neg in zip(data, samples, strict=True):
        mean_pos = sum(pos) / len(pos)
        mean_neg = sum(neg) / len(neg)
        sq = sum(e * e for e in pos) / len(pos) + sum(e * e for e in neg) / len(neg)
        expected.append(mean_pos - mean_neg + alpha * sq)
    spec = get_loss("contrastive-divergence")
    out = spec.bind("energy", {"reg_weight": alpha})(
        data_energy=torch.tensor(data, dtype=torch.float64),
        sample_energy=torch.tensor(samples, dtype=torch.float64),
    )
    assert out.shape == (2,)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-14)


def test_cd_gradient_is_data_minus_model_expectation_of_the_energy_gradient():
    # E_theta(x) = theta . x has grad_theta E = x, so without the regulariser the surrogate's
    # gradient must be mean(x+) - mean(x-) (the maximum-likelihood gradient's estimate).
    theta = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    pos = torch.randn(1, 50, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    neg = torch.randn(1, 40, 2, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    cd_loss(pos @ theta, neg @ theta, reg_weight=0.0).sum().backward()
    expected = pos[0].mean(dim=0) - neg[0].mean(dim=0)
    torch.testing.assert_close(theta.grad, expected, rtol=1e-12, atol=1e-14)


def test_cd_loss_rejects_mismatched_members():
    with pytest.raises(ValueError, match="members"):
        cd_loss(torch.zeros(2, 4), torch.zeros(3, 4), reg_weight=1.0)


def test_cd_card_wiring():
    spec = get_loss("contrastive-divergence")
    assert spec.family == "energy" and spec.training == {"method": "ebm"}
    knobs = spec.hyperparameters()
    assert set(knobs) == {
        "reg_weight",
        "langevin_steps",
        "step_size",
        "noise",
        "grad_clip",
        "buffer_size",
        "reinit_prob",
        "eval_steps",
    }
    with pytest.raises(BadInput):
        spec.hyperparameters({"reinit_prob": 1.5})
    with pytest.raises(BadInput):
        spec.hyperparameters({"langevin_steps": 2.5})


# --- denoising score matching -------------------------------------------------------------


def test_dsm_loss_matches_a_plain_loop():
    g = torch.Generator().manual_seed(4)
    scores = torch.randn(2, 5, 3, dtype=torch.float64, generator=g)
    noise = torch.randn(2, 5, 3, dtype=torch.float64, generator=g)
    sigmas = torch.rand(2, 5, 1, dtype=torch.float64, generator=g) + 0.1
    expected = []
    for s in range(2):
        total = 0.0
        for b in range(5):
            sig = sigmas[s, b, 0].item()
            total += 0.5 * sum(
                (sig * scores[s, b, j].item() + noise[s, b, j].item()) ** 2 for j in range(3)
            )
        expected.append(total / 5)
    out = dsm_loss(scores, noise, sigmas)
    assert out.shape == (2,)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-13)


def test_dsm_loss_is_sigma_squared_weighted_regression_on_the_conditional_score():
    # x~ = x + sigma z, grad log q(x~|x) = -(x~ - x) / sigma^2; weight lambda = sigma^2.
    g = torch.Generator().manual_seed(5)
    x = torch.randn(3, 7, 2, dtype=torch.float64, generator=g)
    z = torch.randn(3, 7, 2, dtype=torch.float64, generator=g)
    sigmas = torch.rand(3, 7, 1, dtype=torch.float64, generator=g) * 2 + 0.01
    noisy = x + sigmas * z
    scores = torch.randn(3, 7, 2, dtype=torch.float64, generator=g)
    target = -(noisy - x) / sigmas**2
    weighted = (sigmas[..., 0] ** 2 * 0.5 * (scores - target).pow(2).sum(-1)).mean(1)
    torch.testing.assert_close(dsm_loss(scores, z, sigmas), weighted, rtol=1e-10, atol=1e-12)


def test_dsm_minimiser_for_gaussian_data_is_the_smoothed_score():
    # Data N(0, s^2) in 1-D: q_sigma = N(0, s^2 + sigma^2), whose score is
    # -x~ / (s^2 + sigma^2). Among linear scores a x~ the DSM loss is a quadratic in a;
    # its minimiser from n samples has standard deviation s / (sigma sqrt(n) (s^2 + sigma^2))
    # (the residual z + sigma a* x~ is independent of x~, both Gaussian and uncorrelated).
    s, n = 1.0, 200_000
    sig = torch.tensor([0.5, 0.1], dtype=torch.float64)  # one level per member
    g = torch.Generator().manual_seed(6)
    x = s * torch.randn(2, n, 1, dtype=torch.float64, generator=g)
    z = torch.randn(2, n, 1, dtype=torch.float64, generator=g)
    sigmas = sig.view(2, 1, 1).expand(2, n, 1)
    noisy = x + sigmas * z

    def loss_at(a: float) -> torch.Tensor:
        return dsm_loss(a * noisy, z, sigmas)

    # L(a) = c2 a^2 + c1 a + c0 exactly: recover it from three values, take the vertex.
    l0, l1, lm = loss_at(0.0), loss_at(1.0), loss_at(-1.0)
    c2 = (l1 + lm) / 2 - l0
    c1 = (l1 - lm) / 2
    a_hat = -c1 / (2 * c2)
    a_star = -1 / (s**2 + sig**2)
    sd = s / (sig * math.sqrt(n) * (s**2 + sig**2))
    assert torch.all((a_hat - a_star).abs() < 4 * sd), (a_hat, a_star, sd)
    # The exact smoothed score beats perturbed ones, and the unsmoothed data score -x/s^2.
    best = dsm_loss(a_star.view(2, 1, 1) * noisy, z, sigmas)
    for factor in (0.8, 1.25):
        worse = dsm_loss(factor * a_star.view(2, 1, 1) * noisy, z, sigmas)
        assert torch.all(best < worse)
    assert torch.all(best < dsm_loss(-noisy / s**2, z, sigmas))


def test_dsm_loss_checks_shapes():
    with pytest.raises(ValueError, match="sigmas"):
        dsm_loss(torch.zeros(2, 3, 2), torch.zeros(2, 3, 2), torch.ones(2, 3))
    with pytest.raises(ValueError, match="noise"):
        dsm_loss(torch.zeros(2, 3, 2), torch.zeros(2, 3, 1), torch.ones(2, 3, 1))


def test_sigma_levels_match_numpy_geomspace():
    spec = get_loss("dsm-annealed")
    knobs = spec.hyperparameters({"sigma_max": 3.0, "sigma_min": 0.01, "levels": 10})
    levels = spec.training["sigma_levels"](knobs)
    np.testing.assert_allclose(levels, np.geomspace(3.0, 0.01, 10), rtol=1e-12)
    assert levels[0] == 3.0 and levels[-1] == 0.01
    assert all(isinstance(v, float) for v in levels)
    assert sigma_levels({"sigma_max": 5.0, "sigma_min": 0.5, "levels": 2}) == [5.0, 0.5]


def test_sigma_levels_of_single_level_dsm_and_bad_ladders():
    spec = get_loss("dsm")
    assert spec.training["method"] == "dsm"
    assert spec.training["sigma_levels"](spec.hyperparameters({"sigma": 0.2})) == [0.2]
    with pytest.raises(BadInput, match="sigma_max"):
        sigma_levels({"sigma_max": 0.1, "sigma_min": 0.1, "levels": 5})


def test_dsm_bind_takes_the_tensors_only():
    for name in ("dsm", "dsm-annealed"):
        spec = get_loss(name)
        out = spec.bind("score", spec.hyperparameters())(
            scores=torch.zeros(2, 4, 2), noise=torch.ones(2, 4, 2), sigmas=torch.ones(2, 4, 1)
        )
        torch.testing.assert_close(out, torch.ones(2))  # 1/2 * |z|^2 = 1 for d = 2
