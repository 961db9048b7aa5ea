"""The cards' claims, checked against independent computations (scipy, closed forms, LPs).

Discrete distributions ``p``, ``q`` on K atoms are given as integer counts out of N, so
a batch holding atom k ``count_k`` times makes the registered terms' batch means exact
expectations: ``E_p[g] = mean over the batch``. Every term is the registered one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import linprog
from scipy.spatial.distance import jensenshannon
from scipy.stats import wasserstein_distance

from losslab.losses import get_loss

N = 400  # batch size: the denominators of p and q


def _counts(rng: np.random.Generator, k: int) -> np.ndarray:
    """Random positive integer counts summing to N."""
    cuts = np.sort(rng.choice(np.arange(1, N), size=k - 1, replace=False))
    return np.diff(np.concatenate([[0], cuts, [N]]))


def _pair(seed: int, k: int = 6) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cp, cq = _counts(rng, k), _counts(rng, k)
    return cp, cq, cp / N, cq / N


def _batch(values: torch.Tensor, counts: np.ndarray) -> torch.Tensor:
    """``[1, N]``: atom k's value repeated ``counts[k]`` times (one member)."""
    index = torch.as_tensor(np.repeat(np.arange(len(counts)), counts))
    return values[index].unsqueeze(0)


@pytest.mark.parametrize("seed", range(5))
def test_minimax_value_at_the_optimal_discriminator_is_2jsd_minus_log4(seed):
    cp, cq, p, q = _pair(seed)
    spec = get_loss("minimax-bce")
    d_star = torch.as_tensor(p / (p + q), dtype=torch.float64)
    logits = torch.logit(d_star).requires_grad_(True)
    # The discriminator loss is -V(D, G): binary cross-entropy, real labelled 1.
    d_loss = spec.bind("discriminator", {})(
        real_scores=_batch(logits, cp), fake_scores=_batch(logits, cq)
    )
    jsd = jensenshannon(p, q, base=math.e) ** 2
    kl = lambda a, b: float(np.sum(a * np.log(a / b)))  # noqa: E731
    m = (p + q) / 2
    assert jsd == pytest.approx(0.5 * kl(p, m) + 0.5 * kl(q, m), rel=1e-10)
    assert -d_loss.item() == pytest.approx(2 * jsd - math.log(4), rel=1e-10, abs=1e-12)
    # D* is optimal: the loss is stationary in every atom's logit.
    (grad,) = torch.autograd.grad(d_loss.sum(), logits)
    assert torch.allclose(grad, torch.zeros_like(grad), atol=1e-12)


def test_minimax_value_is_minus_log4_when_the_distributions_match():
    cp, _, p, _ = _pair(7)
    spec = get_loss("minimax-bce")
    logits = torch.zeros(len(p), dtype=torch.float64)  # D* = p / 2p = 1/2
    d_loss = spec.bind("discriminator", {})(
        real_scores=_batch(logits, cp), fake_scores=_batch(logits, cp)
    )
    assert -d_loss.item() == pytest.approx(-math.log(4), rel=1e-12)


def _optimal_critic(x: np.ndarray, y: np.ndarray, lipschitz: float) -> np.ndarray:
    """``max_f mean f(x) - mean f(y)`` s.t. ``|f(a)-f(b)| <= K|a-b|`` on the pooled points."""
    points = np.concatenate([x, y])
    n = len(points)
    c = np.concatenate([-np.full(len(x), 1 / len(x)), np.full(len(y), 1 / len(y))])  # minimise
    rows, bounds = [], []
    for i in range(n):
        for j in range(i + 1, n):
            row = np.zeros(n)
            row[i], row[j] = 1.0, -1.0
            rows += [row, -row]
            bounds += [lipschitz * abs(points[i] - points[j])] * 2
    fix = [(0.0, 0.0)] + [(None, None)] * (n - 1)  # the objective ignores a shift of f
    result = linprog(c, A_ub=np.array(rows), b_ub=np.array(bounds), bounds=fix, method="highs")
    assert result.status == 0, result.message
    return result.x


@pytest.mark.parametrize(("seed", "lipschitz"), [(0, 1.0), (1, 1.0), (2, 2.5)])
def test_wgan_critic_at_its_optimum_is_k_times_w1(seed, lipschitz):
    rng = np.random.default_rng(seed)
    x = rng.normal(4.0, 1.25, size=12)  # real
    y = rng.standard_t(3, size=9)  # generated; a different sample size on purpose
    f = torch.as_tensor(_optimal_critic(x, y, lipschitz))
    critic_loss = get_loss("wgan-clip").bind("discriminator", {"clip": 0.01})(
        real_scores=f[: len(x)].unsqueeze(0), fake_scores=f[len(x) :].unsqueeze(0)
    )
    expected = -lipschitz * wasserstein_distance(x, y)
    assert critic_loss.item() == pytest.approx(expected, rel=1e-7, abs=1e-9)


def test_w1_is_continuous_while_jsd_jumps_for_disjoint_point_masses():
    for theta in (0.5, 0.1, 0.001):
        assert wasserstein_distance([0.0], [theta]) == pytest.approx(theta)
        # Two point masses at different places: p = (1, 0), q = (0, 1).
        assert jensenshannon([1, 0], [0, 1], base=math.e) ** 2 == pytest.approx(math.log(2))
    assert jensenshannon([1, 0], [1, 0], base=math.e) == 0


def _generator_slope(name: str, logits: torch.Tensor) -> torch.Tensor:
    """d L_G / d logit per sample, from autograd through the registered term."""
    logits = logits.clone().requires_grad_(True)
    loss = get_loss(name).bind("generator", {})(fake_scores=logits.unsqueeze(0))
    (grad,) = torch.autograd.grad(loss.sum(), logits)
    return grad * logits.numel()  # the term is a batch mean


LOGITS = torch.tensor([-30.0, -10.0, -3.0, -0.5, 0.0, 0.7, 4.0, 25.0], dtype=torch.float64)


def test_saturating_generator_slope_is_minus_sigmoid():
    slope = _generator_slope("minimax-bce", LOGITS)
    closed = -1 / (1 + torch.exp(-LOGITS))  # -sigmoid(l)
    assert torch.allclose(slope, closed, rtol=1e-9, atol=0)
    # The card's number: slope 4.5e-5 at logit -10, i.e. almost no gradient.
    assert abs(slope[1].item()) == pytest.approx(4.54e-5, rel=1e-3)


def test_nonsaturating_generator_slope_is_minus_one_minus_sigmoid():
    slope = _generator_slope("nonsaturating-bce", LOGITS)
    # -(1 - sigmoid(l)), written as -1/(1 + e^l) to avoid cancellation for large l.
    closed = -1 / (1 + torch.exp(LOGITS))
    assert torch.allclose(slope, closed, rtol=1e-9, atol=0)
    assert slope[0].item() == pytest.approx(-1.0)  # a confidently rejected fake: full slope


def test_naive_log_one_minus_sigmoid_is_minus_inf_in_float32_but_the_term_is_finite():
    logits = torch.tensor([[17.0, 20.0, 40.0]], dtype=torch.float32)
    assert torch.isinf(torch.log(1 - torch.sigmoid(logits))).all()
    g_loss = get_loss("minimax-bce").bind("generator", {})(fake_scores=logits)
    assert torch.isfinite(g_loss).all()
    expected = -np.mean([np.logaddexp(0.0, v) for v in (17.0, 20.0, 40.0)])  # -E softplus
    assert g_loss.item() == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("seed", range(4))
def test_lsgan_with_minus1_1_0_coding_minimises_pearson_chi2(seed):
    cp, cq, p, q = _pair(seed)
    knobs = {"a": -1.0, "b": 1.0, "c": 0.0}
    spec = get_loss("lsgan")
    d_star = torch.as_tensor((knobs["b"] * p + knobs["a"] * q) / (p + q)).requires_grad_(True)
    d_loss = spec.bind("discriminator", knobs)(
        real_scores=_batch(d_star, cp), fake_scores=_batch(d_star, cq)
    )
    (grad,) = torch.autograd.grad(d_loss.sum(), d_star)  # D* is optimal
    assert torch.allclose(grad, torch.zeros_like(grad), atol=1e-12)
    generator = spec.bind("generator", knobs)
    # 2 C(G) = E_pdata[(D*-c)^2] + E_pg[(D*-c)^2]; the term is half a mean square.
    two_c = 2 * (
        generator(fake_scores=_batch(d_star.detach(), cq))
        + generator(fake_scores=_batch(d_star.detach(), cp))
    )
    pearson = np.sum((2 * q - (p + q)) ** 2 / (p + q))  # chi2_Pearson(p + q || 2q)
    assert two_c.item() == pytest.approx(pearson, rel=1e-10)
    assert pearson == pytest.approx(np.sum((q - p) ** 2 / (p + q)), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_hinge_discriminator_optimum_is_two_minus_two_tv(seed):
    cp, cq, p, q = _pair(seed)
    k = len(p)
    # Independent optimum: min_d sum p max(0, 1-d) + q max(0, 1+d), as an LP in (d, s, t).
    c = np.concatenate([np.zeros(k), p, q])
    rows, rhs = [], []
    for i in range(k):
        s_row, t_row = np.zeros(3 * k), np.zeros(3 * k)
        s_row[i], s_row[k + i] = -1.0, -1.0  # s_i >= 1 - d_i
        t_row[i], t_row[2 * k + i] = 1.0, -1.0  # t_i >= 1 + d_i
        rows += [s_row, t_row]
        rhs += [-1.0, -1.0]
    bounds = [(None, None)] * k + [(0, None)] * (2 * k)
    lp = linprog(c, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds, method="highs")
    assert lp.status == 0
    tv = 0.5 * np.abs(p - q).sum()
    assert lp.fun == pytest.approx(2 - 2 * tv, abs=1e-9)
    d_star = torch.as_tensor(np.sign(p - q))
    d_loss = get_loss("hinge").bind("discriminator", {})(
        real_scores=_batch(d_star, cp), fake_scores=_batch(d_star, cq)
    )
    assert d_loss.item() == pytest.approx(2 - 2 * tv, abs=1e-12)
    assert d_loss.item() == pytest.approx(2 * np.minimum(p, q).sum(), abs=1e-12)
