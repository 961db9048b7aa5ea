"""Adversarial loss terms against independent computations (plain loops, exact decimals)."""

from __future__ import annotations

import dataclasses
import inspect
import math
import re
from decimal import Decimal, localcontext

import pytest
import torch

from losslab.errors import BadInput
from losslab.losses import adversarial, get_loss
from losslab.losses.registry import Hyperparameter, Reference, all_losses

NAMES = ("minimax-bce", "nonsaturating-bce", "wgan-clip", "wgan-gp", "lsgan", "hinge")
TENSOR_ARGS = {"real_scores", "fake_scores"}

# Three members, four samples each; includes logits where float sigmoid rounds to 0 or 1.
REAL = [[-50.0, -3.0, 0.5, 50.0], [200.0, -200.0, 1.2, -0.7], [0.0, 2.0, -10.0, 10.0]]
FAKE = [[50.0, -0.25, 4.0, -50.0], [-200.0, 3.5, 200.0, 0.0], [-1.5, 7.0, 0.3, -17.0]]


# --- independent references -------------------------------------------------------------


def _d_of(logit: float) -> Decimal:
    """D = sigmoid(logit) in 400-digit decimal arithmetic (no float rounding to 0 or 1)."""
    return 1 / (1 + (-Decimal(logit)).exp())


def neg_log_d(logit: float) -> float:
    """-log D(x) for D = sigmoid(logit), computed exactly."""
    with localcontext() as ctx:
        ctx.prec = 400
        return float(-_d_of(logit).ln())


def neg_log_one_minus_d(logit: float) -> float:
    """-log(1 - D(x)) for D = sigmoid(logit), computed exactly."""
    with localcontext() as ctx:
        ctx.prec = 400
        return float(-(1 - _d_of(logit)).ln())


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def per_member(fn, *rows) -> list[float]:
    """Apply a per-member reference to each member's rows of plain floats."""
    return [fn(*member_rows) for member_rows in zip(*rows, strict=True)]


def t(rows, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(rows, dtype=dtype)


def assert_close(actual: torch.Tensor, expected: list[float], rel: float = 1e-12) -> None:
    assert actual.shape == (len(expected),)
    assert torch.isfinite(actual).all()
    for got, want in zip(actual.tolist(), expected, strict=True):
        assert got == pytest.approx(want, rel=rel, abs=1e-12)


def call_term(fn, hparams: dict[str, float], **tensors: torch.Tensor) -> torch.Tensor:
    """Call a term the way a trainer does: hyper-parameters filtered by its signature."""
    accepted = inspect.signature(fn).parameters
    return fn(**tensors, **{k: v for k, v in hparams.items() if k in accepted})


def all_terms():
    for name in NAMES:
        spec = get_loss(name)
        for role, fn in spec.terms.items():
            yield pytest.param(spec, role, fn, id=f"{name}:{role}")


# --- BCE losses ---------------------------------------------------------------------------


def test_bce_discriminator_is_cross_entropy_with_real_1_fake_0():
    expected = per_member(
        lambda r, f: mean([neg_log_d(x) for x in r]) + mean([neg_log_one_minus_d(x) for x in f]),
        REAL,
        FAKE,
    )
    for fn in (adversarial.minimax_bce_discriminator, adversarial.nonsaturating_bce_discriminator):
        assert_close(fn(real_scores=t(REAL), fake_scores=t(FAKE)), expected)


def test_minimax_generator_is_log_one_minus_d():
    expected = per_member(lambda f: mean([-neg_log_one_minus_d(x) for x in f]), FAKE)
    assert_close(adversarial.minimax_bce_generator(fake_scores=t(FAKE)), expected)


def test_nonsaturating_generator_is_minus_log_d():
    expected = per_member(lambda f: mean([neg_log_d(x) for x in f]), FAKE)
    assert_close(adversarial.nonsaturating_bce_generator(fake_scores=t(FAKE)), expected)


def test_bce_terms_stay_finite_where_naive_log_sigmoid_is_infinite():
    real = [[50.0, -50.0], [200.0, -200.0]]
    fake = [[-50.0, 50.0], [-200.0, 200.0]]
    # The naive formula really breaks on these inputs in float32 ...
    naive = torch.log(1 - torch.sigmoid(t(fake, torch.float32)))
    assert torch.isinf(naive).any()
    assert torch.isinf(torch.log(torch.sigmoid(t(real, torch.float32)))).any()
    # ... while the softplus terms stay finite and match the exact value (~|logit|).
    expected_d = per_member(
        lambda r, f: mean([neg_log_d(x) for x in r]) + mean([neg_log_one_minus_d(x) for x in f]),
        real,
        fake,
    )
    d_loss = adversarial.minimax_bce_discriminator(
        real_scores=t(real, torch.float32), fake_scores=t(fake, torch.float32)
    )
    assert_close(d_loss, expected_d, rel=1e-6)
    assert expected_d[1] == pytest.approx(200.0)  # the asymptote: mean(0, 200) + mean(0, 200)
    g_mm = adversarial.minimax_bce_generator(fake_scores=t(fake, torch.float32))
    assert_close(g_mm, per_member(lambda f: mean([-neg_log_one_minus_d(x) for x in f]), fake), 1e-6)
    g_ns = adversarial.nonsaturating_bce_generator(fake_scores=t(fake, torch.float32))
    assert_close(g_ns, per_member(lambda f: mean([neg_log_d(x) for x in f]), fake), 1e-6)


def test_minimax_generator_saturates_where_nonsaturating_does_not():
    # D rejects the fakes confidently: logits around -10, D(G(z)) ~ 4.5e-5.
    logits = [[-10.0, -9.5, -10.5], [-11.0, -10.0, -9.0]]
    batch = len(logits[0])
    grads = {}
    for name, fn in (
        ("minimax", adversarial.minimax_bce_generator),
        ("nonsaturating", adversarial.nonsaturating_bce_generator),
    ):
        x = t(logits).requires_grad_(True)
        fn(fake_scores=x).sum().backward()
        grads[name] = x.grad
    for s, row in enumerate(logits):
        for b, logit in enumerate(row):
            mm = grads["minimax"][s, b].item()
            ns = grads["nonsaturating"][s, b].item()
            # Closed forms: d/dl log(1 - sigmoid(l)) = -sigmoid(l),
            # d/dl -log sigmoid(l) = -(1 - sigmoid(l)); the batch mean divides by B.
            assert mm == pytest.approx(-sigmoid(logit) / batch, rel=1e-9)
            assert ns == pytest.approx(-(1 - sigmoid(logit)) / batch, rel=1e-9)
            assert abs(ns) >= 1e3 * abs(mm)


# --- Wasserstein, least squares, hinge ----------------------------------------------------


def test_wasserstein_terms():
    critic = per_member(lambda r, f: mean(f) - mean(r), REAL, FAKE)
    generator = per_member(lambda f: -mean(f), FAKE)
    for name in ("wgan-clip", "wgan-gp"):
        terms = get_loss(name).terms
        assert_close(terms["discriminator"](real_scores=t(REAL), fake_scores=t(FAKE)), critic)
        assert_close(terms["generator"](fake_scores=t(FAKE)), generator)


@pytest.mark.parametrize(("a", "b", "c"), [(0.0, 1.0, 1.0), (-1.0, 1.0, 0.0), (0.3, -2.0, 5.0)])
def test_lsgan_terms(a, b, c):
    def d_ref(r, f):
        return 0.5 * mean([(x - b) ** 2 for x in r]) + 0.5 * mean([(x - a) ** 2 for x in f])

    got_d = adversarial.lsgan_discriminator(real_scores=t(REAL), fake_scores=t(FAKE), a=a, b=b)
    assert_close(got_d, per_member(d_ref, REAL, FAKE))
    got_g = adversarial.lsgan_generator(fake_scores=t(FAKE), c=c)
    assert_close(got_g, per_member(lambda f: 0.5 * mean([(x - c) ** 2 for x in f]), FAKE))


def test_lsgan_defaults_are_the_0_1_coding():
    assert get_loss("lsgan").hyperparameters() == {"a": 0.0, "b": 1.0, "c": 1.0}


def test_hinge_terms():
    def d_ref(r, f):
        return mean([max(0.0, 1.0 - x) for x in r]) + mean([max(0.0, 1.0 + x) for x in f])

    assert_close(
        adversarial.hinge_discriminator(real_scores=t(REAL), fake_scores=t(FAKE)),
        per_member(d_ref, REAL, FAKE),
    )
    assert_close(
        adversarial.hinge_generator(fake_scores=t(FAKE)), per_member(lambda f: -mean(f), FAKE)
    )


# --- member axis ----------------------------------------------------------------------------


@pytest.mark.parametrize(("spec", "role", "fn"), list(all_terms()))
def test_terms_return_one_value_per_member_and_members_are_independent(spec, role, fn):
    hparams = spec.hyperparameters()
    generator = torch.Generator().manual_seed(0)
    real = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    fake = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    tensors = {"real_scores": real, "fake_scores": fake}
    used = {k: v for k, v in tensors.items() if k in inspect.signature(fn).parameters}
    before = call_term(fn, hparams, **used)
    assert before.shape == (3,)

    changed = {k: v.clone() for k, v in used.items()}
    for v in changed.values():
        v[1] += torch.linspace(0.5, 2.5, 5, dtype=torch.float64)
    after = call_term(fn, hparams, **changed)
    assert after[0].item() == before[0].item()
    assert after[2].item() == before[2].item()
    assert after[1].item() != before[1].item()


# --- registry -------------------------------------------------------------------------------


def test_all_six_adversarial_losses_are_registered():
    registered = {spec.name for spec in all_losses("adversarial")}
    assert set(NAMES) <= registered


@pytest.mark.parametrize("name", NAMES)
def test_card_is_complete(name):
    spec = get_loss(name)
    card = spec.card
    assert card.name == name == spec.name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert card.family == "adversarial"
    for field in dataclasses.fields(card):
        value = getattr(card, field.name)
        if field.name == "hyperparameters":
            assert isinstance(value, dict)
            continue
        assert value, f"{name}: card.{field.name} is empty"
        if isinstance(value, tuple):
            assert all(value), f"{name}: card.{field.name} has an empty entry"
    assert all(isinstance(step, str) for step in card.derivation)
    for ref in card.references:
        assert isinstance(ref, Reference) and ref.authors and ref.title and ref.year > 1900
    for knob in card.hyperparameters.values():
        assert isinstance(knob, Hyperparameter) and knob.doc
        knob.check(name, "default", knob.default)  # the default lies in its own range


@pytest.mark.parametrize("name", NAMES)
def test_term_functions_are_named_after_the_loss(name):
    spec = get_loss(name)
    snake = name.replace("-", "_")
    assert set(spec.terms) == {"discriminator", "generator"}
    for role, fn in spec.terms.items():
        assert getattr(adversarial, f"{snake}_{role}") is fn


@pytest.mark.parametrize("name", NAMES)
def test_terms_take_only_keywords_they_use_and_knobs_are_all_used(name):
    spec = get_loss(name)
    knobs = set(spec.card.hyperparameters)
    used = set()
    for fn in spec.terms.values():
        params = inspect.signature(fn).parameters.values()
        assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
        names = {p.name for p in params}
        assert "fake_scores" in names
        assert names - TENSOR_ARGS <= knobs
        used |= names - TENSOR_ARGS
    # A knob is read by a term or named by a training default (weight clip, penalty weight).
    used |= {v for k, v in spec.training.items() if k in ("weight_clip", "gradient_penalty")}
    assert used == knobs
    assert isinstance(spec.training["n_critic"], int) and spec.training["n_critic"] >= 1
    assert spec.optimizer.name in ("adam", "rmsprop") and spec.optimizer.lr > 0


def test_aliases_share_one_definition():
    assert adversarial.nonsaturating_bce_discriminator is adversarial.minimax_bce_discriminator
    assert adversarial.wgan_gp_discriminator is adversarial.wgan_clip_discriminator
    assert adversarial.wgan_gp_generator is adversarial.wgan_clip_generator
    assert adversarial.hinge_generator is adversarial.wgan_clip_generator


# --- hyper-parameter validation ---------------------------------------------------------------


def test_negative_gp_weight_is_bad_input():
    with pytest.raises(BadInput, match="gp_weight"):
        get_loss("wgan-gp").hyperparameters({"gp_weight": -1})


def test_unknown_hyperparameter_is_bad_input():
    with pytest.raises(BadInput, match="gp_wieght"):
        get_loss("wgan-gp").hyperparameters({"gp_wieght": 5})
    with pytest.raises(BadInput):
        get_loss("hinge").hyperparameters({"margin": 2.0})


def test_valid_overrides_are_merged_with_defaults():
    assert get_loss("wgan-gp").hyperparameters({"gp_weight": 0.1}) == {"gp_weight": 0.1}
    assert get_loss("wgan-clip").hyperparameters() == {"clip": 0.01}
    with pytest.raises(BadInput):
        get_loss("wgan-clip").hyperparameters({"clip": -0.01})
