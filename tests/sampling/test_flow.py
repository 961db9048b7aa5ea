"""Flow matching: the path, its velocity (finite differences), the ODE solvers (closed
forms for a linear field), the loss against a float64 formula, and a trained flow that
reproduces a 1-D Gaussian."""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from losslab.losses import get_loss
from losslab.sampling.flow import flow_path, flow_target, integrate


@pytest.mark.parametrize("sigma_min", [0.0, 1e-4, 0.1])
def test_target_is_the_path_derivative_by_finite_differences(sigma_min):
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(2, 50, 3, generator=g, dtype=torch.float64)
    x1 = torch.randn(2, 50, 3, generator=g, dtype=torch.float64) * 2 + 1
    t = torch.rand(2, 50, generator=g, dtype=torch.float64) * 0.98 + 0.01
    h = 1e-6
    numeric = (flow_path(x0, x1, t + h, sigma_min) - flow_path(x0, x1, t - h, sigma_min)) / (2 * h)
    torch.testing.assert_close(flow_target(x0, x1, sigma_min), numeric, rtol=1e-7, atol=1e-7)


def test_path_ends_at_noise_and_at_smoothed_data():
    x0, x1 = torch.randn(1, 5, 2), torch.randn(1, 5, 2)
    torch.testing.assert_close(flow_path(x0, x1, 0.0, 0.1), x0)
    torch.testing.assert_close(flow_path(x0, x1, 1.0, 0.1), x1 + 0.1 * x0)


@pytest.mark.parametrize("method,step", [
    ("euler", lambda a, h: 1 + a * h),
    ("heun", lambda a, h: 1 + a * h + (a * h) ** 2 / 2),
])
def test_solvers_on_a_linear_field_match_their_closed_form(method, step):
    """For v(x, t) = a x, Euler multiplies by (1 + ah) per step and Heun by
    (1 + ah + (ah)^2/2); the exact flow multiplies by e^a over [0, 1]."""
    a, n = -1.3, 20
    x = torch.tensor([[[1.0, -2.0]]], dtype=torch.float64)
    out = integrate(lambda y, t: a * y, x, n, method)
    torch.testing.assert_close(out, x * step(a, 1 / n) ** n, rtol=1e-12, atol=0)
    err = float((out - x * math.exp(a)).abs().max())
    assert err < (0.05 if method == "euler" else 1e-3)  # O(h) vs O(h^2), h = 0.05


def test_heun_uses_the_time_of_the_end_point():
    """v = t: x(1) = x(0) + 1/2 exactly for Heun (the trapezoid is exact on linear
    integrands); Euler gives sum_k k h^2 = (1 - h)/2."""
    x = torch.zeros(1, 1, 1, dtype=torch.float64)
    assert float(integrate(lambda y, t: torch.full_like(y, t), x, 10, "heun")) == pytest.approx(0.5)
    assert float(integrate(lambda y, t: torch.full_like(y, t), x, 10, "euler")) == pytest.approx(
        0.45
    )


def test_loss_matches_a_float64_formula():
    spec = get_loss("flow-matching")
    knobs = spec.hyperparameters({"sigma_min": 0.05})
    g = torch.Generator().manual_seed(1)
    x0, x1 = torch.randn(2, 7, 3, generator=g), torch.randn(2, 7, 3, generator=g)
    pred = torch.randn(2, 7, 3, generator=g)
    got = spec.bind("denoise", knobs)(prediction=pred, target=flow_target(x0, x1, 0.05))
    for s in range(2):
        total = 0.0
        for b in range(7):
            for j in range(3):
                u = float(x1[s, b, j]) - 0.95 * float(x0[s, b, j])
                total += (float(pred[s, b, j]) - u) ** 2
        assert float(got[s]) == pytest.approx(total / 21, rel=1e-5)


def test_flow_matching_learns_a_1d_gaussian():
    """Same bar as DDPM's test: W1 < 0.1 to N(4, 0.5^2) with 2,000 samples, where the
    starting noise N(0, 1) is ~3.6 away."""
    from losslab.data import make_dataset
    from losslab.train.adversarial import NetShape
    from losslab.train.generative import GenerativeMember, GenerativeTask, train_generative
    from losslab.train.optim import OptimizerSettings

    spec = get_loss("flow-matching")
    m = GenerativeMember(
        0, "flow-matching", "flow-matching",
        spec.hyperparameters({"sampler": "heun", "sampling_steps": 50}), 0,
        OptimizerSettings("adam", 2e-3),
    )
    t = GenerativeTask(
        study_seed=3, dataset=make_dataset({"name": "gaussian", "mean": 4.0, "std": 0.5}),
        network=NetShape((64, 64), "silu"), batch_size=256, steps=1500, eval_every=1500,
        eval_samples=2000, record_every=5, members=(m,),
    )
    (r,) = train_generative(t)
    assert r.status == "ok"
    reference = np.random.default_rng(1).normal(4.0, 0.5, 2000)
    assert stats.wasserstein_distance(r.samples[:, 0], reference) < 0.1
