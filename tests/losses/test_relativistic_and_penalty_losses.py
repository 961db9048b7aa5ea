"""The adversarial losses of issue 18 against independent float64 computations written from
their papers: the relativistic losses (Jolicoeur-Martineau 2019) by plain loops over the
batch, the penalty losses' terms (BCE / Wasserstein) by exact decimals, and each loss's
declared penalty and paper defaults."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
import torch

from losslab.losses import adversarial, get_loss
from losslab.losses.penalties import PENALTIES, declared_penalties

# Three members, four samples each; includes logits where float sigmoid rounds to 0 or 1.
REAL = [[-50.0, -3.0, 0.5, 50.0], [200.0, -200.0, 1.2, -0.7], [0.0, 2.0, -10.0, 10.0]]
FAKE = [[50.0, -0.25, 4.0, -50.0], [-200.0, 3.5, 200.0, 0.0], [-1.5, 7.0, 0.3, -17.0]]
NEW = (
    "wgan-lp", "nonsaturating-r1", "dragan", "rsgan", "ragan", "fgan-kl", "fgan-reverse-kl",
    "fgan-pearson",
)


def neg_log_sigmoid(a: float) -> float:
    """-log sigma(a), computed exactly in 400-digit decimals."""
    with localcontext() as ctx:
        ctx.prec = 400
        return float((1 + (-Decimal(a)).exp()).ln())


def neg_log_one_minus_sigmoid(a: float) -> float:
    """-log(1 - sigma(a)) = -log sigma(-a)."""
    return neg_log_sigmoid(-a)


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def tensors():
    return torch.tensor(REAL, dtype=torch.float64), torch.tensor(FAKE, dtype=torch.float64)


def check(term, expected: list[float], **extra):
    real, fake = tensors()
    value = term(real_scores=real, fake_scores=fake, **extra)
    assert value.shape == (3,)
    assert torch.isfinite(value).all()
    torch.testing.assert_close(value, torch.tensor(expected, dtype=torch.float64), rtol=1e-12,
                               atol=1e-12)


# --- the relativistic losses: plain loops over the batch --------------------------------------


def rsgan_loop(real: list[float], fake: list[float], role: str) -> float:
    """Jolicoeur-Martineau 2019, eq. for RSGAN: sample b of the real batch paired with sample
    b of the fake batch; D: -log sigma(C(x) - C(x~)), G: -log sigma(C(x~) - C(x))."""
    total = 0.0
    for r, f in zip(real, fake, strict=True):
        total += neg_log_sigmoid(r - f) if role == "discriminator" else neg_log_sigmoid(f - r)
    return total / len(real)


def ragan_loop(real: list[float], fake: list[float], role: str) -> float:
    """Jolicoeur-Martineau 2019, RaGAN (BCE form):
    D: -E_r log sigma(C(x_r) - mean C(x_f)) - E_f log(1 - sigma(C(x_f) - mean C(x_r)));
    G: the same with real and fake exchanged."""
    mean_real, mean_fake = mean(real), mean(fake)
    if role == "generator":
        real, fake, mean_real, mean_fake = fake, real, mean_fake, mean_real
    first = sum(neg_log_sigmoid(r - mean_fake) for r in real) / len(real)
    second = sum(neg_log_one_minus_sigmoid(f - mean_real) for f in fake) / len(fake)
    return first + second


@pytest.mark.parametrize("role", ["discriminator", "generator"])
def test_rsgan_matches_a_loop_over_pairs(role):
    term = get_loss("rsgan").terms[role]
    check(term, [rsgan_loop(r, f, role) for r, f in zip(REAL, FAKE, strict=True)])


@pytest.mark.parametrize("role", ["discriminator", "generator"])
def test_ragan_matches_a_loop_over_the_batch(role):
    term = get_loss("ragan").terms[role]
    check(term, [ragan_loop(r, f, role) for r, f in zip(REAL, FAKE, strict=True)])


def test_relativistic_generators_take_the_real_scores_and_push_real_scores_down():
    for name in ("rsgan", "ragan"):
        real, fake = tensors()
        real.requires_grad_(True)
        get_loss(name).terms["generator"](real_scores=real, fake_scores=fake).sum().backward()
        assert (real.grad >= 0).all() and (real.grad > 0).any()  # descent lowers C(x)


def test_rsgan_refuses_unpaired_batches():
    real, fake = tensors()
    with pytest.raises(ValueError, match="pairs"):
        adversarial.rsgan_discriminator(real_scores=real, fake_scores=fake[:, :3])


def test_ragan_equals_rsgan_when_each_batch_has_one_sample():
    """With B = 1 the batch mean is the one paired sample: RaGAN's two halves are then each
    RSGAN's."""
    real, fake = torch.tensor([[0.3], [-2.0]]), torch.tensor([[1.5], [4.0]])
    for role in ("discriminator", "generator"):
        ra = get_loss("ragan").terms[role](real_scores=real, fake_scores=fake)
        rs = get_loss("rsgan").terms[role](real_scores=real, fake_scores=fake)
        torch.testing.assert_close(ra, 2 * rs)


# --- the penalty losses: their terms and their declared penalty -------------------------------


@pytest.mark.parametrize("name", ["nonsaturating-r1", "dragan"])
def test_bce_penalty_losses_terms_are_the_nonsaturating_gan(name):
    """Goodfellow et al. 2014: D: -log D(x) - log(1 - D(x~)); G (non-saturating):
    -log D(x~), D = sigmoid(logit)."""
    spec = get_loss(name)
    d_expected = [
        mean([neg_log_sigmoid(r) for r in rs]) + mean([neg_log_one_minus_sigmoid(f) for f in fs])
        for rs, fs in zip(REAL, FAKE, strict=True)
    ]
    check(spec.terms["discriminator"], d_expected)
    real, fake = tensors()
    g = spec.terms["generator"](fake_scores=fake)
    expected = [mean([neg_log_sigmoid(f) for f in fs]) for fs in FAKE]
    torch.testing.assert_close(g, torch.tensor(expected, dtype=torch.float64), rtol=1e-12,
                               atol=1e-12)


def test_wgan_lp_terms_are_the_wasserstein_critic_and_generator():
    """Arjovsky et al. 2017: critic E f(x~) - E f(x); generator -E f(x~)."""
    spec = get_loss("wgan-lp")
    check(spec.terms["discriminator"], [mean(f) - mean(r) for r, f in zip(REAL, FAKE, strict=True)])
    fake = torch.tensor(FAKE, dtype=torch.float64)
    torch.testing.assert_close(
        spec.terms["generator"](fake_scores=fake),
        torch.tensor([-mean(f) for f in FAKE], dtype=torch.float64),
    )


@pytest.mark.parametrize(
    ("name", "penalty", "knob", "default"),
    [
        ("wgan-lp", "one-sided", "lp_weight", 10.0),
        ("nonsaturating-r1", "r1", "gamma", 10.0),  # StyleGAN's gamma
        ("dragan", "dragan", "dragan_weight", 10.0),  # Kodali et al.'s lambda
    ],
)
def test_penalty_losses_declare_their_penalty_and_the_paper_weight(name, penalty, knob, default):
    spec = get_loss(name)
    assert declared_penalties(spec.training) == {penalty: knob}
    assert spec.hyperparameters()[knob] == default
    assert penalty in PENALTIES


def test_dragan_noise_scale_is_the_papers_and_reaches_the_penalty():
    spec = get_loss("dragan")
    assert spec.hyperparameters()["c"] == 0.5
    assert "c" in PENALTIES["dragan"].knobs()


def test_paper_optimisers_and_critic_steps():
    assert get_loss("wgan-lp").training["n_critic"] == 5
    for name in ("nonsaturating-r1", "dragan", "rsgan", "ragan", "fgan-kl", "fgan-pearson"):
        assert get_loss(name).training["n_critic"] == 1
    r1 = get_loss("nonsaturating-r1").optimizer
    assert (r1.name, r1.lr, r1.betas) == ("adam", 1e-3, (0.0, 0.99))  # StyleGAN
    lp = get_loss("wgan-lp").optimizer
    assert (lp.name, lp.lr, lp.betas) == ("adam", 1e-4, (0.5, 0.9))  # WGAN-GP's
    for name in ("rsgan", "ragan"):
        o = get_loss(name).optimizer
        assert (o.name, o.lr, o.betas) == ("adam", 2e-4, (0.5, 0.999))


@pytest.mark.parametrize("name", NEW)
def test_references_carry_arxiv_urls_and_the_source_paper(name):
    card = get_loss(name).card
    first = {
        "wgan-lp": ("Petzka", 2018, "1709.08894"),
        "nonsaturating-r1": ("Mescheder", 2018, "1801.04406"),
        "dragan": ("Kodali", 2017, "1705.07215"),
        "rsgan": ("Jolicoeur-Martineau", 2019, "1807.00734"),
        "ragan": ("Jolicoeur-Martineau", 2019, "1807.00734"),
        "fgan-kl": ("Nowozin", 2016, "1606.00709"),
        "fgan-reverse-kl": ("Nowozin", 2016, "1606.00709"),
        "fgan-pearson": ("Nowozin", 2016, "1606.00709"),
    }[name]
    ref = card.references[0]
    assert ref.authors.startswith(first[0]) and ref.year == first[1] and first[2] in ref.url
    assert all(r.url.startswith("https://arxiv.org/abs/") for r in card.references)
    assert len(card.derivation) >= 4  # numbered steps


# --- f-GAN (Nowozin et al. 2016): Table 2's activations and conjugates, and the bound ---------

# (g_f, f*) from the paper's Table 2, written out independently of the loss code
TABLE_2 = {
    "fgan-kl": (lambda v: v, lambda t: math.exp(t - 1)),
    "fgan-reverse-kl": (lambda v: -math.exp(-v), lambda t: -1 - math.log(-t)),
    "fgan-pearson": (lambda v: v, lambda t: t * t / 4 + t),
}
# moderate scores: exp(V - 1) of the KL member overflows float64 at the test's +-200
SCORES_R = [[-3.0, -0.5, 0.5, 2.0], [1.2, -0.7, 0.0, 3.5], [0.0, 2.0, -1.0, 1.0]]
SCORES_F = [[2.5, -0.25, 4.0, -5.0], [-2.0, 3.5, 0.3, 0.0], [-1.5, 1.7, 0.3, -1.7]]


@pytest.mark.parametrize("name", sorted(TABLE_2))
def test_fgan_terms_are_minus_the_variational_bound_and_the_generator_trick(name):
    g, conj = TABLE_2[name]
    spec = get_loss(name)
    real = torch.tensor(SCORES_R, dtype=torch.float64)
    fake = torch.tensor(SCORES_F, dtype=torch.float64)
    d = spec.terms["discriminator"](real_scores=real, fake_scores=fake)
    expected_d = [
        -mean([g(v) for v in rs]) + mean([conj(g(v)) for v in fs])
        for rs, fs in zip(SCORES_R, SCORES_F, strict=True)
    ]
    torch.testing.assert_close(d, torch.tensor(expected_d, dtype=torch.float64), rtol=1e-12,
                               atol=1e-12)
    gen = spec.terms["generator"](fake_scores=fake)
    expected_g = [-mean([g(v) for v in fs]) for fs in SCORES_F]
    torch.testing.assert_close(gen, torch.tensor(expected_g, dtype=torch.float64), rtol=1e-12,
                               atol=1e-12)


# Two distributions on three points with probabilities in quarters: a batch of four real
# (fake) samples with these frequencies makes the batch mean exactly the expectation.
P, Q = [0.5, 0.25, 0.25], [0.25, 0.25, 0.5]
REAL_POINTS, FAKE_POINTS = [0, 0, 1, 2], [0, 1, 2, 2]
OPTIMAL_V = {  # V* = g_f^{-1}(f'(p/q))
    "fgan-kl": lambda p, q: 1 + math.log(p / q),
    "fgan-reverse-kl": lambda p, q: math.log(p / q),
    "fgan-pearson": lambda p, q: 2 * (p / q - 1),
}
DIVERGENCE = {
    "fgan-kl": sum(p * math.log(p / q) for p, q in zip(P, Q, strict=True)),
    "fgan-reverse-kl": sum(q * math.log(q / p) for p, q in zip(P, Q, strict=True)),
    "fgan-pearson": sum((p - q) ** 2 / q for p, q in zip(P, Q, strict=True)),
}


@pytest.mark.parametrize("name", sorted(OPTIMAL_V))
def test_fgan_critic_loss_at_the_optimal_critic_is_minus_the_divergence(name):
    v = [OPTIMAL_V[name](p, q) for p, q in zip(P, Q, strict=True)]
    real = torch.tensor([[v[i] for i in REAL_POINTS]], dtype=torch.float64)
    fake = torch.tensor([[v[i] for i in FAKE_POINTS]], dtype=torch.float64)
    loss = get_loss(name).terms["discriminator"](real_scores=real, fake_scores=fake)
    assert float(loss[0]) == pytest.approx(-DIVERGENCE[name], abs=1e-12)
    # and any other critic gives a looser bound (a larger loss)
    for shift in (-0.3, 0.2):
        other = get_loss(name).terms["discriminator"](
            real_scores=real + shift, fake_scores=fake + shift
        )
        assert float(other[0]) > float(loss[0])
