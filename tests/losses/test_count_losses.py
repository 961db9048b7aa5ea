"""poisson-nll and tweedie-nll against torch.nn.functional.poisson_nll_loss,
sklearn.metrics.mean_tweedie_deviance and float64 formulas written from the likelihoods
(plain loops, scipy's Poisson pmf)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats
from sklearn.metrics import mean_poisson_deviance, mean_tweedie_deviance

from losslab.losses import get_loss

S, B = 3, 11


def data(seed=0, zeros=True):
    g = torch.Generator().manual_seed(seed)
    eta = torch.randn(S, B, 1, generator=g, dtype=torch.float64)
    counts = torch.poisson(torch.full((S, B), 2.5, dtype=torch.float64), generator=g)
    if zeros:
        counts[:, :3] = 0.0
    return eta, counts


def term(name):
    return get_loss(name).terms["loss"]


def test_poisson_nll_is_torchs_poisson_nll_loss_with_log_input():
    eta, y = data()
    got = term("poisson-nll")(prediction=eta, targets=y)
    want = F.poisson_nll_loss(eta[..., 0], y, log_input=True, full=False, reduction="none")
    torch.testing.assert_close(got, want.mean(1), rtol=1e-14, atol=1e-14)


def test_poisson_nll_plus_log_y_factorial_is_the_poisson_negative_log_pmf():
    eta, y = data(1)
    got = term("poisson-nll")(prediction=eta, targets=y)
    e, c = eta[..., 0].numpy(), y.numpy().astype(int)
    want = [
        np.mean(
            [
                -stats.poisson.logpmf(c[s, b], math.exp(e[s, b])) - math.lgamma(c[s, b] + 1)
                for b in range(B)
            ]
        )
        for s in range(S)
    ]
    torch.testing.assert_close(got, torch.tensor(want), rtol=1e-12, atol=1e-12)


def test_poisson_nll_is_half_the_poisson_deviance_up_to_a_target_only_constant():
    eta, y = data(2)
    got = term("poisson-nll")(prediction=eta, targets=y).numpy()
    for s in range(S):
        yy, mu = y[s].numpy(), np.exp(eta[s, :, 0].numpy())
        const = np.mean(np.where(yy > 0, yy * np.log(np.where(yy > 0, yy, 1)), 0) - yy)
        assert got[s] == pytest.approx(0.5 * mean_poisson_deviance(yy, mu) - const, rel=1e-12)


def test_poisson_gradient_is_mu_minus_y():
    eta, y = data(3)
    eta.requires_grad_(True)
    term("poisson-nll")(prediction=eta, targets=y).sum().backward()
    torch.testing.assert_close(eta.grad[..., 0], (eta.detach()[..., 0].exp() - y) / B)


@pytest.mark.parametrize("power", [1.001, 1.2, 1.5, 1.9, 1.999])
def test_tweedie_is_half_sklearns_mean_tweedie_deviance(power):
    eta, y = data(4)
    y = y * 0.7  # continuous positive part, exact zeros kept
    got = term("tweedie-nll")(prediction=eta, targets=y, power=power).numpy()
    for s in range(S):
        mu = np.exp(eta[s, :, 0].numpy())
        want = 0.5 * mean_tweedie_deviance(y[s].numpy(), mu, power=power)
        assert got[s] == pytest.approx(want, rel=1e-10, abs=1e-12)


def test_tweedie_is_the_float64_deviance_formula_written_per_sample():
    eta, y = data(5)
    p = 1.3
    got = term("tweedie-nll")(prediction=eta, targets=y, power=p)
    want = []
    for s in range(S):
        total = 0.0
        for b in range(B):
            yy, mu = float(y[s, b]), math.exp(float(eta[s, b, 0]))
            d = 2 * (
                (yy ** (2 - p) if yy > 0 else 0.0) / ((1 - p) * (2 - p))
                - yy * mu ** (1 - p) / (1 - p)
                + mu ** (2 - p) / (2 - p)
            )
            total += d / 2
        want.append(total / B)
    torch.testing.assert_close(got, torch.tensor(want, dtype=torch.float64), rtol=1e-12, atol=1e-12)


def test_tweedie_gradient_is_lightgbms_and_tends_to_poissons_as_power_goes_to_1():
    eta, y = data(6)
    eta.requires_grad_(True)
    p = 1.5
    term("tweedie-nll")(prediction=eta, targets=y, power=p).sum().backward()
    e = eta.detach()[..., 0]
    # LightGBM's tweedie objective: grad = -y exp((1-p) eta) + exp((2-p) eta)
    torch.testing.assert_close(
        eta.grad[..., 0], (-y * ((1 - p) * e).exp() + ((2 - p) * e).exp()) / B
    )
    near_one = eta.detach().clone().requires_grad_(True)
    term("tweedie-nll")(prediction=near_one, targets=y, power=1 + 1e-7).sum().backward()
    poisson = eta.detach().clone().requires_grad_(True)
    term("poisson-nll")(prediction=poisson, targets=y).sum().backward()
    torch.testing.assert_close(near_one.grad, poisson.grad, rtol=1e-5, atol=1e-7)


def test_count_losses_declare_non_negative_targets_and_a_log_link():
    for name in ("poisson-nll", "tweedie-nll"):
        training = get_loss(name).training
        assert training["targets"] == "non-negative" and training["link"] == "log"
        assert training["outputs"] == 1
