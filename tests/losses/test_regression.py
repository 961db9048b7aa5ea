"""Regression losses against independent computations: plain Python loops over fixed
residuals, closed forms, scipy and PyTorch's own implementations."""

from __future__ import annotations

import dataclasses
import inspect
import math
import re

import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from losslab.losses import get_loss, regression
from losslab.losses.registry import Hyperparameter, Reference, all_losses

NAMES = (
    "mse", "mae", "huber", "log-cosh", "quantile", "gaussian-nll",
    "poisson-nll", "tweedie-nll", "barron", "cauchy",
)
TENSOR_ARGS = {"prediction", "targets"}

# Two members, five samples: residuals inside and far outside delta = 1.
PRED = [[0.0, 1.0, -2.0, 0.5, 3.0], [10.0, -0.3, 0.0, 2.0, -4.0]]
TARGET = [[0.2, -0.5, 1.5, 0.5, -20.0], [9.5, 0.4, 0.9, -1.0, 60.0]]
LOG_VAR = [[0.0, -1.0, 2.0, 0.3, 1.5], [-2.0, 0.5, 0.0, 1.0, 3.0]]


def residual_rows():
    return [
        [yv - pv for pv, yv in zip(p, y, strict=True)] for p, y in zip(PRED, TARGET, strict=True)
    ]


def member_means(fn) -> list[float]:
    return [sum(fn(r) for r in row) / len(row) for row in residual_rows()]


def pred(width: int = 1) -> torch.Tensor:
    p = torch.tensor(PRED, dtype=torch.float64).unsqueeze(-1)
    if width == 2:
        p = torch.cat([p, torch.tensor(LOG_VAR, dtype=torch.float64).unsqueeze(-1)], -1)
    return p


def target() -> torch.Tensor:
    return torch.tensor(TARGET, dtype=torch.float64)


def assert_close(actual: torch.Tensor, expected: list[float], rel: float = 1e-12) -> None:
    assert actual.shape == (len(expected),)
    for got, want in zip(actual.tolist(), expected, strict=True):
        assert got == pytest.approx(want, rel=rel, abs=1e-12)


def test_mse_and_mae():
    assert_close(regression.mse(prediction=pred(), targets=target()), member_means(lambda r: r * r))
    assert_close(regression.mae(prediction=pred(), targets=target()), member_means(abs))


@pytest.mark.parametrize("delta", [0.5, 1.0, 2.0, 100.0])
def test_huber_is_quadratic_inside_delta_and_linear_beyond(delta):
    def ref(r):
        return r * r / 2 if abs(r) <= delta else delta * (abs(r) - delta / 2)

    got = regression.huber(prediction=pred(), targets=target(), delta=delta)
    assert_close(got, member_means(ref))
    torch_value = F.huber_loss(pred()[..., 0], target(), delta=delta, reduction="none").mean(1)
    assert_close(got, torch_value.tolist())


def test_huber_gradient_is_the_clipped_residual():
    p = pred().requires_grad_(True)
    regression.huber(prediction=p, targets=target(), delta=1.0).sum().backward()
    for s, row in enumerate(residual_rows()):
        for b, r in enumerate(row):
            assert p.grad[s, b, 0].item() == pytest.approx(-max(-1.0, min(1.0, r)) / len(row))


def test_log_cosh_against_math_and_finite_for_huge_residuals():
    got = regression.log_cosh(prediction=pred(), targets=target())
    assert_close(got, member_means(lambda r: math.log(math.cosh(r))), rel=1e-12)
    big = regression.log_cosh(
        prediction=torch.zeros(1, 2, 1), targets=torch.tensor([[1000.0, -1000.0]])
    )
    assert big.item() == pytest.approx(1000.0 - math.log(2.0))  # float32 cosh(1000) is inf


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_pinball(tau):
    def ref(r):
        return tau * r if r >= 0 else (tau - 1.0) * r

    got = regression.quantile(prediction=pred(), targets=target(), tau=tau)
    assert_close(got, member_means(ref))


def test_pinball_at_one_half_is_half_the_mae():
    pinball = regression.quantile(prediction=pred(), targets=target(), tau=0.5)
    mae = regression.mae(prediction=pred(), targets=target())
    assert_close(pinball, (mae / 2).tolist())


def test_pinball_minimiser_is_the_quantile():
    # The constant minimising the mean pinball loss over a sample is its tau-quantile.
    sample = torch.tensor(
        [[3.0, -1.0, 7.0, 0.0, 2.0, 10.0, 4.0, 1.0, 5.0, 6.0]], dtype=torch.float64
    )
    grid = torch.linspace(-2, 11, 1301, dtype=torch.float64)
    for tau, want in ((0.5, (3.0, 4.0)), (0.2, (0.0, 1.0)), (0.9, (7.0, 10.0))):
        values = [
            regression.quantile(
                prediction=torch.full((1, 10, 1), c.item()), targets=sample, tau=tau
            )
            for c in grid
        ]
        best = grid[int(torch.argmin(torch.cat(values)))].item()
        assert want[0] - 1e-9 <= best <= want[1] + 1e-9


def test_gaussian_nll_is_the_normal_log_density():
    def ref(s):
        rows = zip(PRED[s], TARGET[s], LOG_VAR[s], strict=True)
        vals = [-stats.norm.logpdf(y, loc=m, scale=math.exp(lv / 2)) for m, y, lv in rows]
        return sum(vals) / len(vals)

    got = regression.gaussian_nll(prediction=pred(2), targets=target(), beta=0.0)
    assert_close(got, [ref(0), ref(1)], rel=1e-10)
    var = torch.exp(torch.tensor(LOG_VAR, dtype=torch.float64))
    torch_value = F.gaussian_nll_loss(
        pred()[..., 0], target(), var, full=True, eps=1e-12, reduction="none"
    ).mean(1)
    assert_close(got, torch_value.tolist(), rel=1e-10)


def test_beta_nll_weights_by_the_stopped_variance():
    beta = 0.5
    got = regression.gaussian_nll(prediction=pred(2), targets=target(), beta=beta)

    def ref(s):
        vals = []
        for m, y, lv in zip(PRED[s], TARGET[s], LOG_VAR[s], strict=True):
            var = math.exp(lv)
            vals.append(var**beta * 0.5 * (lv + (y - m) ** 2 / var) + 0.5 * math.log(2 * math.pi))
        return sum(vals) / len(vals)

    assert_close(got, [ref(0), ref(1)], rel=1e-10)
    # beta = 1: the mean gets exactly MSE/2's gradient, whatever the variance.
    p = pred(2).requires_grad_(True)
    regression.gaussian_nll(prediction=p, targets=target(), beta=1.0).sum().backward()
    q = pred().requires_grad_(True)
    (0.5 * regression.mse(prediction=q, targets=target())).sum().backward()
    torch.testing.assert_close(p.grad[..., 0], q.grad[..., 0], rtol=1e-10, atol=1e-12)


def test_gaussian_nll_mean_gradient_is_attenuated_by_the_variance():
    p = pred(2).requires_grad_(True)
    regression.gaussian_nll(prediction=p, targets=target(), beta=0.0).sum().backward()
    for s, row in enumerate(residual_rows()):
        for b, r in enumerate(row):
            want = -r / math.exp(LOG_VAR[s][b]) / len(row)
            assert p.grad[s, b, 0].item() == pytest.approx(want, rel=1e-10)


# --- shapes, members, registry ---------------------------------------------------------------


def _call(spec, prediction, targets):
    return spec.bind("loss", spec.hyperparameters())(prediction=prediction, targets=targets)


@pytest.mark.parametrize("name", NAMES)
def test_one_value_per_member_and_members_are_independent(name):
    spec = get_loss(name)
    width = spec.training["outputs"]
    gen = torch.Generator().manual_seed(0)
    prediction = torch.randn(3, 5, width, generator=gen, dtype=torch.float64)
    targets = torch.randn(3, 5, generator=gen, dtype=torch.float64)
    before = _call(spec, prediction, targets)
    assert before.shape == (3,)
    changed = prediction.clone()
    changed[1, :, 0] += torch.linspace(0.5, 2.5, 5, dtype=torch.float64)
    after = _call(spec, changed, targets)
    assert after[0].item() == before[0].item() and after[2].item() == before[2].item()
    assert after[1].item() != before[1].item()


@pytest.mark.parametrize("name", NAMES)
def test_wrong_width_is_rejected(name):
    spec = get_loss(name)
    wrong = 3 - spec.training["outputs"]  # 1 <-> 2
    with pytest.raises(ValueError):
        _call(spec, torch.zeros(2, 4, wrong), torch.zeros(2, 4))


def test_all_regression_losses_are_registered():
    assert {s.name for s in all_losses("regression")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_card_is_complete_and_its_example_runs(name, capsys):
    spec = get_loss(name)
    card = spec.card
    assert card.name == name and card.family == "regression"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    for field in dataclasses.fields(card):
        value = getattr(card, field.name)
        if field.name == "hyperparameters":
            continue
        assert value, f"{name}: card.{field.name} is empty"
        if isinstance(value, tuple):
            assert all(value), f"{name}: card.{field.name} has an empty entry"
    for ref in card.references:
        assert isinstance(ref, Reference) and ref.authors and ref.title and ref.year > 1700
    for knob in card.hyperparameters.values():
        assert isinstance(knob, Hyperparameter) and knob.doc and knob.low is not None
    exec(compile(card.example, f"<{name}>", "exec"), {"__name__": "__example__"})
    assert "tensor(" in capsys.readouterr().out
    assert len(card.example.strip().splitlines()) <= 10


@pytest.mark.parametrize("name", NAMES)
def test_term_is_named_after_the_loss_and_uses_every_knob(name):
    spec = get_loss(name)
    assert set(spec.terms) == {"loss"}
    fn = spec.terms["loss"]
    assert getattr(regression, name.replace("-", "_")) is fn
    params = inspect.signature(fn).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    assert {p.name for p in params} - TENSOR_ARGS == set(spec.card.hyperparameters)
    assert spec.optimizer.name == "adam" and spec.optimizer.lr == 1e-3


def test_training_declares_widths_variance_and_quantile():
    for name in NAMES:
        training = get_loss(name).training
        assert training["outputs"] == (2 if name == "gaussian-nll" else 1)
        assert training.get("predicts_variance", False) == (name == "gaussian-nll")
    assert get_loss("quantile").training["quantile"] == "tau"
    assert get_loss("huber").hyperparameters() == {"delta": 1.0}
    assert get_loss("quantile").hyperparameters() == {"tau": 0.5}
    assert get_loss("gaussian-nll").hyperparameters() == {"beta": 0.0}
