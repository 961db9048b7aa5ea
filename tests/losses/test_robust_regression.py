"""barron and cauchy against float64 formulas written from Barron (2019) and the Cauchy
density (scipy.stats.cauchy), with the exact limits alpha = 2 (scaled MSE), alpha = 0 and
alpha = -inf."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from losslab.losses import get_loss
from losslab.losses.regression import barron_rho

S, B = 3, 13


def data(seed=0):
    g = torch.Generator().manual_seed(seed)
    prediction = torch.randn(S, B, 1, generator=g, dtype=torch.float64)
    targets = torch.randn(S, B, generator=g, dtype=torch.float64) * 3
    return prediction, targets


def term(name):
    return get_loss(name).terms["loss"]


def barron_formula(x, alpha, c):
    """Barron (2019), eq. 1, for alpha outside {0, 2}, in plain floats."""
    b = abs(alpha - 2)
    return b / alpha * (((x / c) ** 2 / b + 1) ** (alpha / 2) - 1)


def loop(prediction, targets, rho):
    r = (targets - prediction[..., 0]).numpy()
    return torch.tensor([np.mean([rho(float(v)) for v in r[s]]) for s in range(S)])


@pytest.mark.parametrize("alpha", [-10.0, -2.0, -0.5, 0.5, 1.0, 1.5, 3.0])
@pytest.mark.parametrize("c", [0.3, 1.0, 2.0])
def test_barron_is_equation_1_of_the_paper(alpha, c):
    prediction, targets = data()
    got = term("barron")(prediction=prediction, targets=targets, alpha=alpha, scale=c)
    want = loop(prediction, targets, lambda x: barron_formula(x, alpha, c))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("c", [0.5, 2.0])
def test_barron_limits_are_exact(c):
    prediction, targets = data(1)
    fn = term("barron")
    r = targets - prediction[..., 0]
    mse = (r / c).pow(2).mean(1) / 2
    torch.testing.assert_close(fn(prediction=prediction, targets=targets, alpha=2.0, scale=c), mse)
    at_zero = loop(prediction, targets, lambda x: math.log(0.5 * (x / c) ** 2 + 1))
    torch.testing.assert_close(
        fn(prediction=prediction, targets=targets, alpha=0.0, scale=c), at_zero, rtol=1e-14, atol=0
    )
    welsch = loop(prediction, targets, lambda x: 1 - math.exp(-0.5 * (x / c) ** 2))
    torch.testing.assert_close(
        fn(prediction=prediction, targets=targets, alpha=-math.inf, scale=c), welsch
    )
    # and the general branch tends to them continuously
    for alpha, limit in ((2 - 1e-9, mse), (1e-9, at_zero), (-1e7, welsch)):
        near = fn(prediction=prediction, targets=targets, alpha=alpha, scale=c)
        torch.testing.assert_close(near, limit, rtol=1e-6, atol=1e-9)


def test_barron_named_special_cases():
    x = torch.linspace(-5, 5, 21, dtype=torch.float64).view(1, -1)
    torch.testing.assert_close(barron_rho(x, 1.0, 1.0), torch.sqrt(x**2 + 1) - 1)  # Charbonnier
    torch.testing.assert_close(barron_rho(x, -2.0, 1.0), 2 * x**2 / (x**2 + 4))  # Geman-McClure


def test_barron_gradient_is_finite_at_the_limits_and_matches_the_paper_derivative():
    prediction, targets = data(2)
    alphas = torch.tensor([2.0, 0.0, -math.inf], dtype=torch.float64)
    prediction.requires_grad_(True)
    term("barron")(prediction=prediction, targets=targets, alpha=alphas, scale=1.5).sum().backward()
    assert torch.isfinite(prediction.grad).all()
    x = (targets - prediction.detach()[..., 0]).numpy()
    for s, a in enumerate(alphas.tolist()):
        c = 1.5
        if a == 2:
            d = x[s] / c**2
        elif a == 0:
            d = 2 * x[s] / (x[s] ** 2 + 2 * c**2)
        else:
            d = x[s] / c**2 * np.exp(-0.5 * (x[s] / c) ** 2)
        np.testing.assert_allclose(prediction.grad[s, :, 0].numpy(), -d / B, rtol=1e-10)


@pytest.mark.parametrize("c", [0.2, 1.0, 4.0])
def test_cauchy_is_the_scaled_cauchy_negative_log_density(c):
    prediction, targets = data(3)
    got = term("cauchy")(prediction=prediction, targets=targets, scale=c)
    r = (targets - prediction[..., 0]).numpy()
    nll = -stats.cauchy.logpdf(r, scale=c) - math.log(math.pi * c)
    torch.testing.assert_close(got, torch.tensor(0.5 * c**2 * nll.mean(1)), rtol=1e-12, atol=0)
    # c^2 / 2 times Barron's alpha = 0 member at scale c / sqrt 2
    via_barron = 0.5 * c**2 * term("barron")(
        prediction=prediction, targets=targets, alpha=0.0, scale=c / math.sqrt(2)
    )
    torch.testing.assert_close(got, via_barron)


def test_cauchy_influence_redescends():
    r = torch.tensor([[0.5, 1.0, 10.0, 100.0]], dtype=torch.float64)
    prediction = torch.zeros(1, 4, 1, dtype=torch.float64, requires_grad=True)
    term("cauchy")(prediction=prediction, targets=r, scale=1.0).sum().backward()
    psi = -prediction.grad[0, :, 0] * 4
    torch.testing.assert_close(psi, r[0] / (1 + r[0] ** 2))
    assert psi[1] > psi[2] > psi[3]
