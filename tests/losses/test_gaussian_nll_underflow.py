"""gaussian-nll (beta-NLL) at very small log-variances: float32 stays finite and equals a
float64 computation (issue 19); gradients equal the product form's wherever it is finite."""

from __future__ import annotations

import math

import pytest
import torch

from losslab.losses import get_loss

LOG_2PI = math.log(2 * math.pi)


def term():
    return get_loss("gaussian-nll").terms["loss"]


def float64_value(mu, log_var, y, beta):
    """The beta-NLL value from its definition, in float64 math on Python floats."""
    r2 = (y - mu) ** 2
    return (
        math.exp(beta * log_var) * (0.5 * log_var + 0.5 * r2 * math.exp(-log_var)) + 0.5 * LOG_2PI
    )


def test_log_var_minus_110_beta_1_is_finite_in_float32_and_equals_float64():
    mu, y = 0.0, 0.6935  # 0.5 r^2 + 0.5 log 2 pi = 1.16
    prediction = torch.tensor([[[mu, -110.0]]], dtype=torch.float32, requires_grad=True)
    loss = term()(prediction=prediction, targets=torch.tensor([[y]]), beta=1.0)
    want = float64_value(mu, -110.0, y, 1.0)
    assert want == pytest.approx(1.16, abs=0.01)
    assert torch.isfinite(loss).all()
    assert loss.item() == pytest.approx(want, rel=1e-5)
    loss.sum().backward()
    assert torch.isfinite(prediction.grad).all()
    # d/dmu = -r (beta = 1: the MSE gradient); d/ds = 0.5 (sg(w) - r^2 e^{(beta-1)s}) = -0.5 r^2
    assert prediction.grad[0, 0, 0].item() == pytest.approx(-(y - mu), rel=1e-5)
    assert prediction.grad[0, 0, 1].item() == pytest.approx(-0.5 * (y - mu) ** 2, rel=1e-5)


@pytest.mark.parametrize("beta", [0.5, 0.9, 1.0])
def test_finite_float32_values_match_float64_across_small_log_variances(beta):
    log_vars = [-150.0, -110.0, -89.0, -40.0, -1.0, 0.0, 3.0]
    y = torch.tensor([[1e-10 if lv < -80 else 0.3 for lv in log_vars]])
    if beta < 1:
        y = torch.tensor([[math.exp(0.5 * lv * (1 - beta) - 1) for lv in log_vars]])
    pred = torch.tensor([[[0.0, lv] for lv in log_vars]])
    for b, lv in enumerate(log_vars):
        got = term()(prediction=pred[:, b : b + 1], targets=y[:, b : b + 1], beta=beta).item()
        want = float64_value(0.0, lv, float(y[0, b]), beta)
        assert math.isfinite(got)
        assert got == pytest.approx(want, rel=1e-5), lv


def test_value_and_gradients_equal_the_product_form_where_it_is_finite():
    g = torch.Generator().manual_seed(0)
    prediction = torch.randn(3, 20, 2, generator=g, dtype=torch.float64) * 3
    targets = torch.randn(3, 20, generator=g, dtype=torch.float64)
    beta = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)

    a = prediction.clone().requires_grad_(True)
    term()(prediction=a, targets=targets, beta=beta).sum().backward()

    b = prediction.clone().requires_grad_(True)  # the product form, written out
    r, s = targets - b[..., 0], b[..., 1]
    w = torch.exp(beta.view(-1, 1) * s).detach()
    ref = (w * 0.5 * (s + r**2 * torch.exp(-s)) + 0.5 * LOG_2PI).mean(1)
    ref.sum().backward()
    torch.testing.assert_close(term()(prediction=prediction, targets=targets, beta=beta), ref)
    torch.testing.assert_close(a.grad, b.grad)
