"""Noise-contrastive estimation and sliced score matching against independent
computations: float64 loops, torch's logistic loss, per-sample Jacobians; NCE learns a
normalised density; both train and sample a 1-D Gaussian through the trainer."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import stats

from losslab.losses import get_loss
from losslab.losses.energy import nce_loss, ssm_loss


def test_nce_matches_a_float64_loop():
    g = torch.Generator().manual_seed(0)
    gd = torch.randn(2, 6, generator=g, dtype=torch.float64) * 3
    gn = torch.randn(2, 18, generator=g, dtype=torch.float64) * 3
    nu = 3.0
    got = nce_loss(gd, gn, nu)
    for s in range(2):
        h = lambda u: 1 / (1 + nu * math.exp(-u))  # noqa: E731  Gutmann & Hyvarinen's h
        j = sum(math.log(h(float(u))) for u in gd[s]) / 6
        j += nu * sum(math.log(1 - h(float(u))) for u in gn[s]) / 18
        assert float(got[s]) == pytest.approx(-j, rel=1e-10)


def test_nce_is_a_weighted_logistic_regression():
    """-J = BCE(G - log nu, 1) on data + nu * BCE(G - log nu, 0) on noise (torch's loss)."""
    g = torch.Generator().manual_seed(1)
    gd, gn = torch.randn(3, 10, generator=g) * 20, torch.randn(3, 40, generator=g) * 20
    nu = torch.tensor([1.0, 4.0, 16.0])
    got = nce_loss(gd, gn, nu)
    for s in range(3):
        ln = math.log(float(nu[s]))
        ref = F.binary_cross_entropy_with_logits(gd[s] - ln, torch.ones(10)) + float(
            nu[s]
        ) * F.binary_cross_entropy_with_logits(gn[s] - ln, torch.zeros(40))
        assert float(got[s]) == pytest.approx(float(ref), rel=1e-5)


def test_nce_at_model_equal_noise_is_its_closed_form():
    """p_theta = q: G = 0, loss = log(1 + nu) + nu log((1 + nu) / nu)."""
    for nu in (1, 4):
        got = float(nce_loss(torch.zeros(1, 5), torch.zeros(1, 5 * nu), nu))
        assert got == pytest.approx((1 + nu) * math.log(1 + nu) - nu * math.log(nu), rel=1e-6)


def test_nce_learns_a_normalised_density():
    """Fit -E(x) = MLP(x) to N(1, 0.7^2) against N(0, 2^2) noise: the learned density's
    integral is 1 (the normaliser is learned, Gutmann & Hyvarinen Thm 2) and it matches
    the data's density."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.SiLU(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    q = torch.distributions.Normal(0.0, 2.0)
    for _ in range(800):
        x = 1 + 0.7 * torch.randn(256, 1)
        y = q.sample((1024, 1))
        gd = net(x).squeeze(-1) - q.log_prob(x).squeeze(-1)
        gn = net(y).squeeze(-1) - q.log_prob(y).squeeze(-1)
        loss = nce_loss(gd.unsqueeze(0), gn.unsqueeze(0), 4)
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    grid = torch.linspace(-6, 8, 4001).unsqueeze(-1)
    with torch.no_grad():
        dens = net(grid).squeeze(-1).exp().numpy()
    xs = grid.squeeze(-1).numpy()
    assert np.trapezoid(dens, xs) == pytest.approx(1.0, abs=0.08)
    assert np.trapezoid(np.abs(dens - stats.norm(1, 0.7).pdf(xs)), xs) < 0.15


def _score_net(d):
    torch.manual_seed(3)
    return torch.nn.Sequential(torch.nn.Linear(d, 16), torch.nn.Tanh(), torch.nn.Linear(16, d))


@pytest.mark.parametrize("vr", [0, 1])
def test_ssm_matches_per_sample_jacobians(vr):
    """v^T J v with J from torch.autograd.functional.jacobian sample by sample, in float64."""
    net = _score_net(3).double()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(2, 5, 3, generator=g, dtype=torch.float64).requires_grad_(True)
    v = torch.randn(2, 4, 5, 3, generator=g, dtype=torch.float64)
    got = ssm_loss(net(x), x, v, vr)
    for s in range(2):
        total = 0.0
        for b in range(5):
            xb = x[s, b].detach()
            J = torch.autograd.functional.jacobian(net, xb)
            sb = net(xb).detach()
            for m in range(4):
                vm = v[s, m, b]
                second = 0.5 * float(sb @ sb) if vr else 0.5 * float(vm @ sb) ** 2
                total += float(vm @ J @ vm) + second
        assert float(got[s].detach()) == pytest.approx(total / 20, rel=1e-10)


def test_ssm_is_unbiased_for_the_explicit_score_matching_objective():
    """Linear score s(x) = A x + b: E_v[v^T A v] = tr(A) (Hyvarinen's objective
    tr(J) + |s|^2 / 2); 20,000 Rademacher-free Gaussian projections get within 3%."""
    A = torch.tensor([[-2.0, 0.5], [0.3, -1.0]], dtype=torch.float64)
    b = torch.tensor([0.2, -0.1], dtype=torch.float64)
    x = torch.tensor([[[0.5, -1.0]]], dtype=torch.float64).requires_grad_(True)
    s = x @ A.T + b
    v = torch.randn(1, 20000, 1, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    got = float(ssm_loss(s, x, v, 1))
    exact = float(torch.trace(A)) + 0.5 * float((s.detach() ** 2).sum())
    assert got == pytest.approx(exact, rel=0.03)


def test_ssm_gradient_flows_to_the_parameters():
    net = _score_net(2)
    x = torch.randn(1, 8, 2).requires_grad_(True)
    loss = ssm_loss(net(x), x, torch.randn(1, 1, 8, 2), 1)
    grads = torch.autograd.grad(loss.sum(), list(net.parameters()))
    assert all(torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("loss", ["nce", "sliced-score-matching"])
def test_trained_model_samples_a_1d_gaussian(loss):
    """Through the trainer: N(4, 0.5^2), 1,500 steps; W1 < 0.1 where the uniform start
    over the data's box is ~0.6 away (the DDPM test's bar)."""
    from losslab.data import make_dataset
    from losslab.train.adversarial import NetShape
    from losslab.train.generative import GenerativeMember, GenerativeTask, train_generative
    from losslab.train.optim import OptimizerSettings

    spec = get_loss(loss)
    m = GenerativeMember(
        0, loss, loss, spec.hyperparameters({}), 0, OptimizerSettings("adam", 2e-3)
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
