"""The WGAN-GP gradient penalty against per-sample autograd loops and closed forms."""

from __future__ import annotations

import pytest
import torch

from losslab.losses.penalties import gradient_penalty

S, B, D, H = 3, 4, 2, 5


def make_critic(seed: int = 0):
    """A small ensemble critic f_s(x) = tanh(x W1_s + b1_s) w2_s on stacked weights."""
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(S, D, H, generator=g, dtype=torch.float64).requires_grad_(True)
    b1 = torch.randn(S, 1, H, generator=g, dtype=torch.float64).requires_grad_(True)
    w2 = torch.randn(S, H, 1, generator=g, dtype=torch.float64).requires_grad_(True)

    def critic(x: torch.Tensor) -> torch.Tensor:  # [S, B, D] -> [S, B, 1]
        return torch.bmm(torch.tanh(torch.baddbmm(b1, x, w1)), w2)

    return critic, (w1, b1, w2)


def make_inputs(seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(S, B, D, generator=g, dtype=torch.float64)
    fake = torch.randn(S, B, D, generator=g, dtype=torch.float64) + 1.0
    eps = torch.rand(S, B, 1, generator=g, dtype=torch.float64)
    return real, fake, eps


def loop_penalty(weights, real, fake, eps) -> list[float]:
    """Per member and sample: its own autograd call on one input of one member's critic."""
    w1, b1, w2 = (w.detach() for w in weights)
    out = []
    for s in range(S):
        total = 0.0
        for b in range(B):
            e = eps[s, b, 0].item()
            x = (e * real[s, b] + (1 - e) * fake[s, b]).clone().requires_grad_(True)
            y = torch.tanh(x @ w1[s] + b1[s, 0]) @ w2[s, :, 0]
            (grad,) = torch.autograd.grad(y, x)
            total += (grad.norm().item() - 1.0) ** 2
        out.append(total / B)
    return out


def test_matches_per_sample_loop():
    critic, weights = make_critic()
    real, fake, eps = make_inputs()
    penalty = gradient_penalty(critic, real, fake, eps)
    assert penalty.shape == (S,)
    expected = loop_penalty(weights, real, fake, eps)
    for got, want in zip(penalty.tolist(), expected, strict=True):
        assert got == pytest.approx(want, rel=1e-10)
    assert min(expected) > 0  # a non-trivial check


def test_critic_returning_s_by_b_scores_works_too():
    critic, weights = make_critic()
    real, fake, eps = make_inputs()
    flat = gradient_penalty(lambda x: critic(x).squeeze(-1), real, fake, eps)
    assert flat.tolist() == pytest.approx(loop_penalty(weights, real, fake, eps), rel=1e-10)


def test_is_differentiable_wrt_critic_weights():
    critic, weights = make_critic()
    real, fake, eps = make_inputs()
    w1 = weights[0]
    gradient_penalty(critic, real, fake, eps).sum().backward()
    assert w1.grad is not None and torch.isfinite(w1.grad).all() and w1.grad.abs().sum() > 0
    # Central finite difference of the independent loop reference on a few weights.
    for index in [(0, 0, 0), (1, 1, 3), (2, 0, 4)]:
        step = 1e-6
        with torch.no_grad():
            w1[index] += step
        up = sum(loop_penalty(weights, real, fake, eps))
        with torch.no_grad():
            w1[index] -= 2 * step
        down = sum(loop_penalty(weights, real, fake, eps))
        with torch.no_grad():
            w1[index] += step
        assert w1.grad[index].item() == pytest.approx((up - down) / (2 * step), rel=1e-5)


def test_members_do_not_interact():
    critic, weights = make_critic()
    real, fake, eps = make_inputs()
    w1 = weights[0]
    gradient_penalty(critic, real, fake, eps)[0].backward()
    assert w1.grad[0].abs().sum() > 0
    assert (w1.grad[1:] == 0).all()


def test_unit_norm_linear_critic_has_zero_penalty_and_other_norms_the_closed_form():
    # f_s(x) = <w_s, x> has gradient w_s everywhere: the penalty is (||w_s|| - 1)^2.
    g = torch.Generator().manual_seed(2)
    direction = torch.randn(S, D, 1, generator=g, dtype=torch.float64)
    direction = direction / direction.norm(dim=1, keepdim=True)
    radii = torch.tensor([1.0, 0.25, 3.0], dtype=torch.float64)
    w = (direction * radii[:, None, None]).requires_grad_(True)
    real, fake, eps = make_inputs()
    penalty = gradient_penalty(lambda x: torch.bmm(x, w), real, fake, eps)
    assert penalty[0].item() == pytest.approx(0.0, abs=1e-14)
    assert penalty.tolist() == pytest.approx([(r - 1.0) ** 2 for r in radii.tolist()], rel=1e-12)


def test_never_reaches_the_generator():
    critic, _ = make_critic()
    real, fake, eps = make_inputs()
    generator_weight = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    gradient_penalty(critic, real, generator_weight * fake, eps).sum().backward()
    assert generator_weight.grad is None


def test_works_inside_no_grad_for_logging():
    critic, weights = make_critic()
    real, fake, eps = make_inputs()
    with torch.no_grad():
        penalty = gradient_penalty(critic, real, fake, eps)
    assert penalty.tolist() == pytest.approx(loop_penalty(weights, real, fake, eps), rel=1e-10)


def test_rejects_scores_of_the_wrong_shape():
    real, fake, eps = make_inputs()
    with pytest.raises(ValueError, match="critic must return scores"):
        gradient_penalty(lambda x: x.sum(), real, fake, eps)
