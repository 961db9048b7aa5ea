"""EBGAN's loss terms against hand-written arithmetic and plain loops."""

from __future__ import annotations

import math

import pytest
import torch

from losslab.errors import BadInput
from losslab.losses import adversarial, get_loss
from losslab.losses.adversarial import ebgan_discriminator, ebgan_generator, pulling_away_term

# Two members, three samples each: energies are non-negative reconstruction errors.
REAL = [[0.1, 0.4, 0.0], [2.0, 0.5, 1.5]]
FAKE = [[0.2, 1.5, 0.9], [3.0, 0.0, 0.6]]


def t(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


def test_discriminator_term_by_hand():
    out = ebgan_discriminator(real_scores=t(REAL), fake_scores=t(FAKE), margin=1.0)
    # member 0: mean(0.1, 0.4, 0) + mean(max(0, 1-0.2), max(0, 1-1.5), max(0, 1-0.9))
    member0 = (0.1 + 0.4 + 0.0) / 3 + (0.8 + 0.0 + 0.1) / 3
    # member 1: mean(2, 0.5, 1.5) + mean(max(0, 1-3), max(0, 1-0), max(0, 1-0.6))
    member1 = (2.0 + 0.5 + 1.5) / 3 + (0.0 + 1.0 + 0.4) / 3
    assert out.shape == (2,)
    assert out.tolist() == [pytest.approx(member0, rel=1e-14), pytest.approx(member1, rel=1e-14)]
    # another margin, positional arguments
    wide = ebgan_discriminator(t(REAL), t(FAKE), 2.5)
    assert wide[1].item() == pytest.approx((2.0 + 0.5 + 1.5) / 3 + (0.0 + 2.5 + 1.9) / 3)


def test_fakes_beyond_the_margin_give_no_gradient():
    fake = t(FAKE).requires_grad_(True)
    real = t(REAL).requires_grad_(True)
    ebgan_discriminator(real_scores=real, fake_scores=fake, margin=1.0).sum().backward()
    expected = [[-1 / 3 if e < 1.0 else 0.0 for e in row] for row in FAKE]
    assert fake.grad.tolist() == [[pytest.approx(g) for g in row] for row in expected]
    assert real.grad.tolist() == [[pytest.approx(1 / 3)] * 3] * 2


def pt_loop(codes: list[list[float]]) -> float:
    """f_PT by a double loop over i != j, cosines from plain arithmetic."""
    n = len(codes)
    total = 0.0
    for i in range(n):
        for j in range(n):
            if i == j:
                continue
            dot = sum(a * b for a, b in zip(codes[i], codes[j], strict=True))
            norm_i = math.sqrt(sum(a * a for a in codes[i]))
            norm_j = math.sqrt(sum(b * b for b in codes[j]))
            total += (dot / (norm_i * norm_j)) ** 2
    return total / (n * (n - 1))


CODES = [
    [[1.0, 2.0, -0.5], [0.3, -1.0, 4.0], [-2.0, 0.1, 0.7], [5.0, 5.0, 5.0]],
    [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [-3.0, 0.2, 0.2], [0.5, -0.5, 2.0]],
]


def test_pulling_away_term_against_a_double_loop():
    out = pulling_away_term(t(CODES))
    assert out.shape == (2,)
    for s, codes in enumerate(CODES):
        assert out[s].item() == pytest.approx(pt_loop(codes), rel=1e-13)
    # random codes too, in float32 as a trainer would pass them
    g = torch.Generator().manual_seed(0)
    codes = torch.randn(3, 7, 5, generator=g)
    out = pulling_away_term(codes)
    for s in range(3):
        assert out[s].item() == pytest.approx(pt_loop(codes[s].tolist()), rel=1e-5)


def test_pulling_away_term_is_0_for_orthogonal_and_1_for_parallel_codes():
    orthogonal = torch.tensor([[[2.0, 0, 0], [0, -3.0, 0], [0, 0, 0.5]]], dtype=torch.float64)
    assert pulling_away_term(orthogonal).item() == pytest.approx(0.0, abs=1e-15)
    direction = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    scales = torch.tensor([1.0, 3.0, -0.2, 7.5], dtype=torch.float64)  # -0.2: antiparallel
    parallel = (scales[:, None] * direction).unsqueeze(0)
    assert pulling_away_term(parallel).item() == pytest.approx(1.0, rel=1e-14)
    # 1-D codes are always parallel: the term is constant (the card's warning on code_dim)
    assert pulling_away_term(torch.tensor([[[0.3], [-2.0], [5.0]]])).item() == pytest.approx(1.0)


@pytest.mark.parametrize("n", [2, 3, 8])
def test_pulling_away_floor_in_two_dimensions_is_reached_by_a_tight_frame(n):
    # N unit vectors at angles k pi / N form a tight frame in R^2: f_PT = (N/2 - 1) / (N - 1).
    angles = [k * math.pi / n for k in range(n)]
    codes = [[math.cos(a), math.sin(a)] for a in angles]
    out = pulling_away_term(t([codes])).item()
    assert out == pytest.approx((n / 2 - 1) / (n - 1), abs=1e-14)
    assert out == pytest.approx(pt_loop(codes), abs=1e-14)


def test_pulling_away_term_scale_invariance_and_shape_checks():
    g = torch.Generator().manual_seed(1)
    codes = torch.randn(2, 6, 4, generator=g, dtype=torch.float64)
    scales = torch.rand(2, 6, 1, generator=g, dtype=torch.float64) * 10 + 0.1
    torch.testing.assert_close(pulling_away_term(codes * scales), pulling_away_term(codes))
    with pytest.raises(ValueError):
        pulling_away_term(torch.randn(2, 1, 4))  # one code: no pairs
    with pytest.raises(ValueError):
        pulling_away_term(torch.randn(6, 4))  # no member axis
    # a zero code is finite and counts as orthogonal
    zero = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]], requires_grad=True)
    value = pulling_away_term(zero)
    value.sum().backward()
    assert value.item() == pytest.approx(2 / 6) and torch.isfinite(zero.grad).all()


def test_generator_term_by_hand():
    out = ebgan_generator(fake_scores=t(FAKE), fake_codes=t(CODES)[:, :3], pt_weight=0.1)
    for s in range(2):
        want = sum(FAKE[s]) / 3 + 0.1 * pt_loop(CODES[s][:3])
        assert out[s].item() == pytest.approx(want, rel=1e-13)
    plain = ebgan_generator(t(FAKE), t(CODES)[:, :3], 0.0)
    assert plain.tolist() == [pytest.approx(sum(row) / 3) for row in FAKE]


def test_card_wiring():
    spec = get_loss("ebgan")
    assert spec.family == "adversarial"
    assert spec.terms == {
        "discriminator": adversarial.ebgan_discriminator,
        "generator": adversarial.ebgan_generator,
    }
    assert spec.training == {
        "n_critic": 1,
        "discriminator": "autoencoder",
        "hinge_margin": "margin",
    }
    knobs = spec.hyperparameters()
    assert knobs == {"margin": 1.0, "pt_weight": 0.1, "code_dim": 2}
    # bind() hands each term only the knobs it takes (code_dim is the trainer's)
    d = spec.bind("discriminator", knobs)(real_scores=t(REAL), fake_scores=t(FAKE))
    torch.testing.assert_close(d, ebgan_discriminator(t(REAL), t(FAKE), 1.0))
    for bad in ({"margin": -1.0}, {"pt_weight": -0.1}, {"code_dim": 1.5}, {"code_dim": 0}):
        with pytest.raises(BadInput):
            spec.hyperparameters(bad)
