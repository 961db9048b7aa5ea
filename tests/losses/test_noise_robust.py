"""gce, sce, bootstrap-ce and poly1 against float64 formulas written from their papers (plain
loops over numpy), and against F.cross_entropy where each reduces to it."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from losslab.losses import get_loss

S, B, K = 3, 7, 4


def data(seed=0, spread=3.0):
    g = torch.Generator().manual_seed(seed)
    logits = torch.randn(S, B, K, generator=g, dtype=torch.float64) * spread
    targets = torch.randint(0, K, (S, B), generator=g)
    return logits, targets


def softmax_row(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def per_sample_mean(logits, targets, formula):
    """[S] of the batch mean of ``formula(p, y)``, one sample at a time."""
    z, y = logits.numpy(), targets.numpy()
    out = np.zeros(z.shape[0])
    for s in range(z.shape[0]):
        out[s] = np.mean([formula(softmax_row(z[s, b]), int(y[s, b])) for b in range(z.shape[1])])
    return torch.tensor(out)


def ce(logits, targets):
    return F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(1)


def term(name):
    return get_loss(name).terms["loss"]


@pytest.mark.parametrize("q", [0.1, 0.5, 0.7, 1.0])
def test_gce_is_the_box_cox_transform_of_p_y(q):
    logits, targets = data()
    got = term("gce")(logits=logits, targets=targets, q=q)
    want = per_sample_mean(logits, targets, lambda p, y: (1 - p[y] ** q) / q)
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_gce_tends_to_cross_entropy_as_q_goes_to_0_and_is_half_mae_at_1():
    logits, targets = data(1)
    torch.testing.assert_close(
        term("gce")(logits=logits, targets=targets, q=1e-7), ce(logits, targets), rtol=1e-6, atol=0
    )
    mae = per_sample_mean(logits, targets, lambda p, y: np.abs(np.eye(K)[y] - p).sum())
    torch.testing.assert_close(term("gce")(logits=logits, targets=targets, q=1.0), mae / 2)


def test_gce_is_bounded_by_1_over_q_and_finite_on_extreme_logits():
    logits = torch.tensor([[[-1e4, 1e4, 0.0]]], dtype=torch.float32, requires_grad=True)
    loss = term("gce")(logits=logits, targets=torch.tensor([[0]]), q=0.5)
    assert loss.item() == pytest.approx(2.0)
    loss.sum().backward()
    assert torch.isfinite(logits.grad).all()


@pytest.mark.parametrize(("alpha", "beta"), [(0.1, 1.0), (6.0, 0.1), (1.0, 0.0)])
def test_sce_is_alpha_ce_plus_beta_rce_with_log0_clamped_at_minus_4(alpha, beta):
    logits, targets = data(2)
    got = term("sce")(logits=logits, targets=targets, alpha=alpha, beta=beta)

    def formula(p, y):
        q = np.eye(K)[y]
        log_q = np.where(q > 0, np.log(np.maximum(q, 1e-300)), -4.0)  # the paper's A = -4
        ce_ = -np.sum(q * np.log(p))
        rce = -np.sum(p * log_q)
        return alpha * ce_ + beta * rce

    torch.testing.assert_close(got, per_sample_mean(logits, targets, formula), rtol=1e-12, atol=0)
    if beta == 0:
        torch.testing.assert_close(got, alpha * ce(logits, targets))


def test_sce_reverse_term_is_symmetric_summed_over_labels():
    """sum_y RCE(z, y) = 4 (K - 1) for every z: the property that makes it noise-tolerant."""
    logits, _ = data(3)
    total = sum(
        term("sce")(logits=logits, targets=torch.full((S, B), k), alpha=0.0, beta=1.0)
        for k in range(K)
    )
    torch.testing.assert_close(total, torch.full((S,), 4.0 * (K - 1), dtype=torch.float64))


@pytest.mark.parametrize("mode", ["soft", "hard"])
@pytest.mark.parametrize("beta", [0.8, 0.95])
def test_bootstrap_is_ce_against_the_mixed_target(mode, beta):
    logits, targets = data(4)
    got = term("bootstrap-ce")(logits=logits, targets=targets, beta=beta, mode=mode)

    def formula(p, y):
        own = p if mode == "soft" else np.eye(K)[int(np.argmax(p))]
        target = beta * np.eye(K)[y] + (1 - beta) * own
        return -np.sum(target * np.log(p))

    torch.testing.assert_close(got, per_sample_mean(logits, targets, formula), rtol=1e-12, atol=0)


@pytest.mark.parametrize("mode", ["soft", "hard"])
def test_bootstrap_at_beta_1_is_cross_entropy_and_an_unknown_mode_is_refused(mode):
    logits, targets = data(5)
    got = term("bootstrap-ce")(logits=logits, targets=targets, beta=1.0, mode=mode)
    torch.testing.assert_close(got, ce(logits, targets))
    with pytest.raises(ValueError, match="mode"):
        term("bootstrap-ce")(logits=logits, targets=targets, beta=1.0, mode="medium")


def test_soft_bootstrap_gradient_flows_through_the_prediction_as_in_the_paper():
    """Soft bootstrapping = beta CE + (1 - beta) H(p): the entropy's gradient is included."""
    logits, targets = data(6)
    logits.requires_grad_(True)
    beta = 0.9
    term("bootstrap-ce")(logits=logits, targets=targets, beta=beta, mode="soft").sum().backward()
    ref = logits.detach().clone().requires_grad_(True)
    p = torch.softmax(ref, -1)
    entropy = -(p * p.log()).sum(-1).mean(1)
    (beta * ce(ref, targets) + (1 - beta) * entropy).sum().backward()
    torch.testing.assert_close(logits.grad, ref.grad)


@pytest.mark.parametrize("epsilon", [-1.0, 0.0, 1.0, 2.0])
def test_poly1_is_ce_plus_epsilon_one_minus_p_y(epsilon):
    logits, targets = data(7)
    got = term("poly1")(logits=logits, targets=targets, epsilon=epsilon)
    want = per_sample_mean(logits, targets, lambda p, y: -math.log(p[y]) + epsilon * (1 - p[y]))
    torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)
    if epsilon == 0:
        torch.testing.assert_close(got, ce(logits, targets))


def test_poly1_gradient_is_ce_direction_scaled_by_one_plus_epsilon_p_y():
    logits, targets = data(8)
    logits.requires_grad_(True)
    eps = 2.0
    term("poly1")(logits=logits, targets=targets, epsilon=eps).sum().backward()
    p = torch.softmax(logits.detach(), -1)
    onehot = F.one_hot(targets, K).to(p.dtype)
    p_y = p.gather(-1, targets.unsqueeze(-1))
    torch.testing.assert_close(logits.grad, (p - onehot) * (1 + eps * p_y) / B)
