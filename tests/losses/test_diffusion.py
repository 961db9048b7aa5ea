"""DDPM losses against plain loops, and the weighting identities the cards state."""

from __future__ import annotations

import math

import pytest
import torch

from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.losses.diffusion import denoise_mse
from losslab.sampling.diffusion import alphas_bar, beta_schedule, q_sample, to_eps

NAMES = {"ddpm-eps": "eps", "ddpm-x0": "x0", "ddpm-v": "v"}


def test_denoise_mse_against_a_plain_loop():
    g = torch.Generator().manual_seed(0)
    pred = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    target = torch.randn(3, 5, 4, generator=g, dtype=torch.float64)
    out = denoise_mse(pred, target)
    assert out.shape == (3,)
    for s in range(3):
        total = 0.0
        for b in range(5):
            for j in range(4):
                total += (pred[s, b, j].item() - target[s, b, j].item()) ** 2
        assert out[s].item() == pytest.approx(total / (5 * 4), rel=1e-13)


def test_denoise_mse_is_per_member_and_rejects_mismatched_shapes():
    pred = torch.zeros(2, 3, 1)
    target = torch.tensor([[[1.0], [1.0], [1.0]], [[0.0], [0.0], [2.0]]])
    assert denoise_mse(pred, target).tolist() == [1.0, pytest.approx(4 / 3)]
    with pytest.raises(ValueError):
        denoise_mse(torch.zeros(2, 3, 1), torch.zeros(2, 3))


def _setup(seed: int = 7):
    """One timestep per member, so each member's loss is a single-t expectation."""
    abar = alphas_bar(beta_schedule("linear", 100))
    g = torch.Generator().manual_seed(seed)
    S, B, d = 4, 32, 3
    x0 = torch.randn(S, B, d, generator=g, dtype=torch.float64) * 2 + 1
    eps = torch.randn(S, B, d, generator=g, dtype=torch.float64)
    t = torch.tensor([[0], [17], [60], [99]]).expand(S, B)
    x_t = q_sample(x0, t, eps, abar)
    return abar, x0, eps, t, x_t, [abar[t[s, 0]].item() for s in range(S)]


def test_errors_of_the_three_parameterisations_are_rescalings_of_each_other():
    abar, x0, eps, t, x_t, a = _setup()
    # Any noise estimate implies estimates of x0 and v at the same x_t (written out here, not
    # taken from the library): x0_hat = (x_t - sqrt(1-a) eps_hat) / sqrt(a), v = sqrt(a) eps -
    # sqrt(1-a) x0.
    eps_hat = eps + 0.3 * torch.randn_like(eps)
    for s, ab in enumerate(a):
        x0_hat = (x_t[s] - math.sqrt(1 - ab) * eps_hat[s]) / math.sqrt(ab)
        v = math.sqrt(ab) * eps[s] - math.sqrt(1 - ab) * x0[s]
        v_hat = math.sqrt(ab) * eps_hat[s] - math.sqrt(1 - ab) * x0_hat
        d_eps, d_x0, d_v = eps[s] - eps_hat[s], x0[s] - x0_hat, v - v_hat
        # an overestimate of the noise is an underestimate of the data
        torch.testing.assert_close(-d_x0, math.sqrt((1 - ab) / ab) * d_eps)
        torch.testing.assert_close(d_v, d_eps / math.sqrt(ab))
        torch.testing.assert_close(-d_x0, math.sqrt(1 - ab) * d_v)
        # and the library's conversions agree with the written-out ones
        torch.testing.assert_close(to_eps("x0", x0_hat, x_t[s], t[s], abar), eps_hat[s])
        torch.testing.assert_close(to_eps("v", v_hat, x_t[s], t[s], abar), eps_hat[s])


def test_mse_weightings_eps_is_snr_weighted_x0_and_v_is_snr_plus_one():
    abar, x0, eps, t, x_t, a = _setup(seed=8)
    eps_hat = eps + 0.5 * torch.randn_like(eps)
    snr = torch.tensor([ab / (1 - ab) for ab in a], dtype=torch.float64)
    ab = torch.tensor(a, dtype=torch.float64).reshape(-1, 1, 1)
    x0_hat = (x_t - (1 - ab).sqrt() * eps_hat) / ab.sqrt()
    v = ab.sqrt() * eps - (1 - ab).sqrt() * x0
    v_hat = ab.sqrt() * eps_hat - (1 - ab).sqrt() * x0_hat
    loss_eps = denoise_mse(eps_hat, eps)
    loss_x0 = denoise_mse(x0_hat, x0)
    loss_v = denoise_mse(v_hat, v)
    torch.testing.assert_close(loss_eps, snr * loss_x0)  # L_simple = SNR-weighted x0 error
    torch.testing.assert_close(loss_x0, loss_eps * (1 - ab.flatten()) / ab.flatten())
    torch.testing.assert_close(loss_v, (1 + snr) * loss_x0)  # 'SNR + 1' weighting
    torch.testing.assert_close(loss_v, loss_eps / ab.flatten())


def test_bound_term_is_half_the_snr_drop_times_the_x0_error():
    # Ho et al. eq. 12 with sigma_t^2 = beta-tilde_t, written with posterior means:
    # ||mu(x0) - mu(x0_hat)||^2 / (2 sigma^2) = (SNR(t-1) - SNR(t)) / 2 * ||x0 - x0_hat||^2
    schedule = beta_schedule("cosine", 50)  # float64
    betas, abar = schedule.tolist(), alphas_bar(schedule).tolist()
    dx0 = 0.37
    for t in (1, 10, 30, 48):
        beta, ab, ab_prev = betas[t], abar[t], abar[t - 1]
        coef_x0 = math.sqrt(ab_prev) * beta / (1 - ab)  # posterior mean's weight on x0
        beta_tilde = (1 - ab_prev) / (1 - ab) * beta
        kl = (coef_x0 * dx0) ** 2 / (2 * beta_tilde)
        snr = lambda a: a / (1 - a)  # noqa: E731
        assert kl == pytest.approx(0.5 * (snr(ab_prev) - snr(ab)) * dx0**2, rel=1e-10)
        # and in noise units: beta^2 / (2 sigma^2 alpha (1 - abar)) ||eps - eps_hat||^2
        deps = dx0 * math.sqrt(ab / (1 - ab))
        ho = beta**2 / (2 * beta_tilde * (1 - beta) * (1 - ab)) * deps**2
        assert kl == pytest.approx(ho, rel=1e-10)


@pytest.mark.parametrize("name", NAMES)
def test_cards_registered_with_their_prediction_and_knobs(name):
    spec = get_loss(name)
    assert spec.family == "diffusion"
    assert spec.training == {"method": "ddpm", "prediction": NAMES[name]}
    assert spec.terms == {"denoise": denoise_mse}
    knobs = spec.hyperparameters()
    assert knobs == {"timesteps": 100, "schedule": "linear", "embedding_dim": 32}
    assert spec.hyperparameters({"schedule": "cosine", "timesteps": 50})["schedule"] == "cosine"
    for bad in ({"schedule": "quadratic"}, {"timesteps": 1}, {"timesteps": 10.5}):
        with pytest.raises(BadInput):
            spec.hyperparameters(bad)
    assert spec.optimizer.name == "adam" and spec.optimizer.source
