"""Classification losses against independent computations: plain Python loops over
fixed logits, closed-form gradients, PyTorch's own implementations, scikit-learn."""

from __future__ import annotations

import dataclasses
import inspect
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from losslab.losses import classification, get_loss
from losslab.losses.registry import Hyperparameter, Reference, all_losses

NAMES = (
    "sigmoid-bce",
    "softmax-ce",
    "focal",
    "label-smoothing-ce",
    "class-weighted-ce",
    "multiclass-hinge",
    "mse-probabilities",
    "gce",
    "sce",
    "bootstrap-ce",
    "logit-adjusted-ce",
    "balanced-softmax",
    "ldam",
    "poly1",
)
TENSOR_ARGS = {"logits", "targets", "class_weights", "class_priors", "progress"}  # trainer inputs

# Two members, three samples, four classes; moderate and large logits.
LOGITS = [
    [[2.0, -1.0, 0.5, 0.0], [-3.0, 4.0, 1.0, 1.0], [0.1, 0.2, 0.3, -0.4]],
    [[30.0, -20.0, 5.0, 0.0], [0.0, 0.0, 0.0, 0.0], [-7.5, 2.5, 2.4, 9.0]],
]
TARGETS = [[0, 2, 3], [1, 0, 3]]
WEIGHTS = [[1.0, 2.0, 0.5, 4.0], [0.25, 1.0, 3.0, 1.5]]
BINARY = [[[3.0], [-2.0], [0.0], [40.0]], [[-40.0], [0.5], [-0.5], [12.0]]]
BINARY_TARGETS = [[1, 0, 1, 0], [1, 1, 0, 1]]


# --- independent references (plain Python) ------------------------------------------------


def log_softmax_row(z: list[float]) -> list[float]:
    top = max(z)
    lse = top + math.log(sum(math.exp(v - top) for v in z))
    return [v - lse for v in z]


def per_sample(fn, logits=LOGITS, targets=TARGETS, *extra) -> list[float]:
    """Member means of ``fn(z_row, y, member)`` over the batch."""
    out = []
    for s, (rows, ys) in enumerate(zip(logits, targets, strict=True)):
        values = [fn(z, y, s, *extra) for z, y in zip(rows, ys, strict=True)]
        out.append(sum(values) / len(values))
    return out


def ce_ref(z, y, s):
    return -log_softmax_row(z)[y]


def focal_ref(z, y, s, gamma):
    log_p = log_softmax_row(z)[y]
    return -((1.0 - math.exp(log_p)) ** gamma) * log_p


def smoothing_ref(z, y, s, eps):
    k = len(z)
    log_p = log_softmax_row(z)
    q = [(1 - eps) * (j == y) + eps / k for j in range(k)]
    return -sum(qj * lp for qj, lp in zip(q, log_p, strict=True))


def weighted_ref(z, y, s):
    return WEIGHTS[s][y] * ce_ref(z, y, s)


def hinge_ref(z, y, s):
    best_wrong = max(v for j, v in enumerate(z) if j != y)
    return max(0.0, 1.0 + best_wrong - z[y])


def brier_ref(z, y, s):
    p = [math.exp(v) for v in log_softmax_row(z)]
    return sum((pj - (j == y)) ** 2 for j, pj in enumerate(p))


def bce_ref(z, y, s):
    (z,) = z
    p = 1.0 / (1.0 + math.exp(-z)) if z > -30 else math.exp(z)
    if y == 1:
        return -math.log(p) if z < 30 else math.exp(-z)
    return -math.log1p(-p) if z < 30 else z


def t(rows, dtype=torch.float64) -> torch.Tensor:
    return torch.tensor(rows, dtype=dtype)


def y(rows) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.int64)


def assert_close(actual: torch.Tensor, expected: list[float], rel: float = 1e-12) -> None:
    assert actual.shape == (len(expected),)
    assert torch.isfinite(actual).all()
    for got, want in zip(actual.tolist(), expected, strict=True):
        assert got == pytest.approx(want, rel=rel, abs=1e-12)


# --- every loss against a hand-written formula ----------------------------------------------


def test_softmax_ce_is_the_negative_log_softmax_of_the_true_class():
    assert_close(
        classification.softmax_ce(logits=t(LOGITS), targets=y(TARGETS)), per_sample(ce_ref)
    )


@pytest.mark.parametrize("gamma", [0.0, 0.5, 2.0, 5.0])
def test_focal(gamma):
    got = classification.focal(logits=t(LOGITS), targets=y(TARGETS), gamma=gamma)
    assert_close(got, per_sample(focal_ref, LOGITS, TARGETS, gamma), rel=1e-10)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 1.0])
def test_label_smoothing(eps):
    got = classification.label_smoothing_ce(logits=t(LOGITS), targets=y(TARGETS), epsilon=eps)
    assert_close(got, per_sample(smoothing_ref, LOGITS, TARGETS, eps))
    # PyTorch's implementation of the same definition agrees.
    for s in range(2):
        torch_value = F.cross_entropy(t(LOGITS)[s], y(TARGETS)[s], label_smoothing=eps)
        assert got[s].item() == pytest.approx(torch_value.item(), rel=1e-12)


def test_class_weighted_ce_is_the_plain_batch_mean_of_weighted_terms():
    got = classification.class_weighted_ce(
        logits=t(LOGITS), targets=y(TARGETS), class_weights=t(WEIGHTS)
    )
    assert_close(got, per_sample(weighted_ref))


def test_multiclass_hinge():
    assert_close(
        classification.multiclass_hinge(logits=t(LOGITS), targets=y(TARGETS)),
        per_sample(hinge_ref),
    )


def test_mse_probabilities_is_the_brier_score():
    assert_close(
        classification.mse_probabilities(logits=t(LOGITS), targets=y(TARGETS)),
        per_sample(brier_ref),
    )


def test_sigmoid_bce():
    got = classification.sigmoid_bce(logits=t(BINARY), targets=y(BINARY_TARGETS))
    assert_close(got, per_sample(bce_ref, BINARY, BINARY_TARGETS))
    torch_value = F.binary_cross_entropy_with_logits(
        t(BINARY).squeeze(-1), t(BINARY_TARGETS), reduction="none"
    ).mean(1)
    assert_close(got, torch_value.tolist())


# --- identities the issue names --------------------------------------------------------------


def test_softmax_with_two_classes_is_the_sigmoid_of_the_logit_difference():
    z = torch.randn(3, 50, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 5
    p = torch.softmax(z, dim=-1)
    np.testing.assert_allclose(p[..., 0], torch.sigmoid(z[..., 0] - z[..., 1]), rtol=1e-12)
    # ... so two-class softmax-ce is sigmoid-bce on z_1 - z_0 with label "class 1".
    labels = torch.randint(0, 2, (3, 50), generator=torch.Generator().manual_seed(1))
    ce = classification.softmax_ce(logits=z, targets=labels)
    bce = classification.sigmoid_bce(logits=(z[..., 1] - z[..., 0]).unsqueeze(-1), targets=labels)
    assert_close(ce, bce.tolist())


def test_ce_gradient_is_softmax_minus_onehot():
    z = t(LOGITS).requires_grad_(True)
    classification.softmax_ce(logits=z, targets=y(TARGETS)).sum().backward()
    batch = len(TARGETS[0])
    for s, (rows, ys) in enumerate(zip(LOGITS, TARGETS, strict=True)):
        for b, (row, label) in enumerate(zip(rows, ys, strict=True)):
            p = [math.exp(v) for v in log_softmax_row(row)]
            for k, pk in enumerate(p):
                want = (pk - (k == label)) / batch  # the batch mean divides by B
                assert z.grad[s, b, k].item() == pytest.approx(want, rel=1e-10, abs=1e-15)


def test_focal_with_gamma_zero_is_ce_and_label_smoothing_zero_is_ce():
    ce = classification.softmax_ce(logits=t(LOGITS), targets=y(TARGETS))
    focal = classification.focal(logits=t(LOGITS), targets=y(TARGETS), gamma=0.0)
    smooth = classification.label_smoothing_ce(logits=t(LOGITS), targets=y(TARGETS), epsilon=0.0)
    assert torch.equal(focal, ce)
    assert torch.equal(smooth, ce)


def test_uniform_class_weights_give_ce():
    ce = classification.softmax_ce(logits=t(LOGITS), targets=y(TARGETS))
    ones = torch.ones(2, 4, dtype=torch.float64)
    weighted = classification.class_weighted_ce(
        logits=t(LOGITS), targets=y(TARGETS), class_weights=ones
    )
    assert_close(weighted, ce.tolist())


def test_focal_gradient_matches_its_closed_form():
    # d/dz_y of -(1-p)^g log p = -(1-p)^g [(1-p) - g p log p]; one sample per member.
    z = torch.tensor([[[1.3, -0.2, 0.4]], [[-2.0, 1.0, 0.0]]], dtype=torch.float64)
    z.requires_grad_(True)
    labels = torch.tensor([[0], [0]])
    g = 2.0
    classification.focal(logits=z, targets=labels, gamma=g).sum().backward()
    for s in range(2):
        p = math.exp(log_softmax_row(z[s, 0].tolist())[0])
        want = -((1 - p) ** g) * ((1 - p) - g * p * math.log(p))
        assert z.grad[s, 0, 0].item() == pytest.approx(want, rel=1e-10)


def test_mse_probabilities_gradient_vanishes_when_confidently_wrong_but_ce_does_not():
    z = torch.tensor([[[-12.0, 12.0, -12.0]]], dtype=torch.float64, requires_grad=True)
    label = torch.tensor([[0]])
    (g_brier,) = torch.autograd.grad(
        classification.mse_probabilities(logits=z, targets=label).sum(), z
    )
    (g_ce,) = torch.autograd.grad(classification.softmax_ce(logits=z, targets=label).sum(), z)
    assert g_ce.norm().item() == pytest.approx(math.sqrt(2), rel=1e-6)  # p - onehot ~ (-1, 1, 0)
    assert g_brier.norm().item() < 1e-8  # O(p_y + (1 - p_j)) = O(e^-24)
    loss = classification.mse_probabilities(logits=z, targets=label).item()
    assert loss == pytest.approx(2.0, abs=1e-9)  # ... while the loss is at its maximum


def test_losses_stay_finite_for_extreme_logits():
    z = torch.tensor([[[500.0, -500.0, 0.0], [-500.0, 500.0, 0.0]]], dtype=torch.float32)
    z.requires_grad_(True)
    labels = torch.tensor([[1, 1]])
    for spec in all_losses("classification"):
        if spec.training.get("binary"):
            continue
        extra = {"class_weights": torch.ones(1, 3)} if "class_weights" in _params(spec) else {}
        loss = spec.bind("loss", spec.hyperparameters())(logits=z, targets=labels, **extra)
        (grad,) = torch.autograd.grad(loss.sum(), z)
        assert torch.isfinite(loss).all() and torch.isfinite(grad).all(), spec.name
    zb = torch.tensor([[[500.0], [-500.0]]], requires_grad=True)
    loss = classification.sigmoid_bce(logits=zb, targets=torch.tensor([[0, 1]]))
    assert loss.item() == pytest.approx(500.0)
    (grad,) = torch.autograd.grad(loss.sum(), zb)
    assert torch.isfinite(grad).all()


def test_inverse_frequency_weights_match_scikit_learn_balanced():
    from sklearn.utils.class_weight import compute_class_weight

    labels = np.array([0] * 50 + [1] * 30 + [2] * 5 + [3] * 15)
    want = compute_class_weight("balanced", classes=np.arange(4), y=labels)
    got = classification.inverse_frequency_weights(labels, 4)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert np.mean(got[labels]) == pytest.approx(1.0)  # weights average to 1 over samples
    # a class absent from the training split gets weight 0, not inf
    absent = classification.inverse_frequency_weights(np.array([0, 0, 1]), 3)
    assert absent[2] == 0.0 and np.isfinite(absent).all()


# --- shapes, members, registry ---------------------------------------------------------------


def _params(spec) -> set[str]:
    return set(inspect.signature(spec.terms["loss"]).parameters)


def _call(spec, logits, targets, weights=None):
    extra = {"class_weights": weights} if "class_weights" in _params(spec) else {}
    return spec.bind("loss", spec.hyperparameters())(logits=logits, targets=targets, **extra)


@pytest.mark.parametrize("name", NAMES)
def test_one_value_per_member_and_members_are_independent(name):
    spec = get_loss(name)
    k = 1 if spec.training.get("binary") else 4
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, k, generator=gen, dtype=torch.float64)
    targets = torch.randint(0, 2 if k == 1 else k, (3, 5), generator=gen)
    weights = torch.rand(3, 4, generator=gen, dtype=torch.float64) + 0.5
    before = _call(spec, logits, targets, weights)
    assert before.shape == (3,)
    changed = logits.clone()
    changed[1] += torch.linspace(0.5, 2.5, 5, dtype=torch.float64).view(5, 1) * torch.arange(
        1, k + 1, dtype=torch.float64
    )
    after = _call(spec, changed, targets, weights)
    assert after[0].item() == before[0].item() and after[2].item() == before[2].item()
    assert after[1].item() != before[1].item()


@pytest.mark.parametrize("name", NAMES)
def test_bad_shapes_are_rejected(name):
    spec = get_loss(name)
    with pytest.raises(ValueError):
        _call(spec, torch.randn(2, 5), torch.zeros(2, 5, dtype=torch.int64), torch.ones(2, 4))


def test_all_classification_losses_are_registered():
    assert {s.name for s in all_losses("classification")} == set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_card_is_complete_and_its_example_runs(name, capsys):
    spec = get_loss(name)
    card = spec.card
    assert card.name == name and card.family == "classification"
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    for field in dataclasses.fields(card):
        value = getattr(card, field.name)
        if field.name == "hyperparameters":
            continue
        assert value, f"{name}: card.{field.name} is empty"
        if isinstance(value, tuple):
            assert all(value), f"{name}: card.{field.name} has an empty entry"
    for ref in card.references:
        assert isinstance(ref, Reference) and ref.authors and ref.title and ref.year > 1900
    for knob in card.hyperparameters.values():
        assert isinstance(knob, Hyperparameter) and knob.doc
        # every knob states its range: numbers a low bound, text knobs their choices
        assert knob.low is not None or knob.choices is not None
    exec(compile(card.example, f"<{name}>", "exec"), {"__name__": "__example__"})
    assert "tensor(" in capsys.readouterr().out
    assert len(card.example.strip().splitlines()) <= 10


@pytest.mark.parametrize("name", NAMES)
def test_term_is_named_after_the_loss_and_uses_every_knob(name):
    spec = get_loss(name)
    assert set(spec.terms) == {"loss"}
    fn = spec.terms["loss"]
    assert getattr(classification, name.replace("-", "_")) is fn
    params = inspect.signature(fn).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    names = {p.name for p in params}
    assert {"logits", "targets"} <= names
    assert names - TENSOR_ARGS == set(spec.card.hyperparameters)
    assert spec.optimizer.name == "adam" and spec.optimizer.lr == 1e-3 and spec.optimizer.source


@pytest.mark.parametrize("name", NAMES)
def test_training_declares_the_output_width(name):
    training = get_loss(name).training
    if name == "sigmoid-bce":
        assert training == {"outputs": 1, "binary": True}
    else:
        assert training["outputs"] == "classes"
    needs_weights = "class_weights" in _params(get_loss(name))
    assert needs_weights == (training.get("class_weights") == "inverse-frequency")


def test_softmax_ce_card_derives_softmax_from_the_sigmoid_odds():
    text = " ".join(get_loss("softmax-ce").card.derivation)
    for needle in ("log-odds", "reference", r"\sigma(z_1-z_2)", "Maximum likelihood"):
        assert needle in text


def test_focal_defaults_and_ranges():
    spec = get_loss("focal")
    assert spec.hyperparameters() == {"gamma": 2.0}
    assert get_loss("label-smoothing-ce").hyperparameters() == {"epsilon": 0.1}
    from losslab.errors import BadInput

    with pytest.raises(BadInput):
        spec.hyperparameters({"gamma": -1})
    with pytest.raises(BadInput):
        spec.hyperparameters({"alpha": 0.25})  # documented: no alpha in the multi-class form
