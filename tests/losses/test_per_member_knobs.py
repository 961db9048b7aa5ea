"""Every numeric knob a loss term takes may be a per-member tensor ``[S]``.

For every registered loss, each term is evaluated once on an ensemble of three members with
the knob given as a tensor of three different values, and member ``s`` of the result (and of
the input gradient) is compared with the term evaluated on member ``s``'s slice alone with
the plain float ``values[s]``: the independent computation is the solo run of each member.
"""

from __future__ import annotations

import inspect
import math

import pytest
import torch

from losslab.losses import all_losses, get_loss
from losslab.losses.penalties import gradient_penalty
from losslab.losses.registry import Hyperparameter, LossSpec

S, B, K, D, CODE = 3, 6, 4, 2, 3

# Knobs with a search that no loss term takes: the trainer applies them (a clip bound, a
# penalty weight, the Langevin sampler, the noise levels). Listed so that a new searched
# knob is either a term argument (and tested below) or consciously added here.
TRAINER_READ = {
    ("wgan-clip", "clip"),
    ("wgan-gp", "gp_weight"),
    ("wgan-lp", "lp_weight"),
    ("nonsaturating-r1", "gamma"),
    ("dragan", "dragan_weight"),
    ("dragan", "c"),
    ("contrastive-divergence", "step_size"),
    ("contrastive-divergence", "noise"),
    ("contrastive-divergence", "reinit_prob"),
    ("dsm", "sigma"),
    ("dsm-annealed", "sigma_min"),
    ("dsm-annealed", "sigma_max"),
    ("ddpm-eps", "timesteps"),
    ("ddpm-eps", "schedule"),
    ("ddpm-x0", "timesteps"),
    ("ddpm-x0", "schedule"),
    ("ddpm-v", "timesteps"),
    ("ddpm-v", "schedule"),
    ("nce", "noise_ratio"),  # the noise batch's size
    ("nce", "noise_scale"),  # the noise distribution, built once per ensemble
}


def numeric(knob: Hyperparameter) -> bool:
    """A real-valued knob: not a choice, not an integer (those change shapes or code paths)."""
    return knob.choices is None and not knob.integer


def term_knobs(spec: LossSpec) -> list[tuple[str, str]]:
    """(role, knob) for every numeric knob a term of ``spec`` takes."""
    knobs = spec.card.hyperparameters
    return [
        (role, name)
        for role, fn in spec.terms.items()
        for name in inspect.signature(fn).parameters
        if name in knobs and numeric(knobs[name])
    ]


CASES = [
    pytest.param(spec.name, role, knob, id=f"{spec.name}-{role}-{knob}")
    for spec in all_losses()
    for role, knob in term_knobs(spec)
]


def three_values(knob: Hyperparameter) -> list[float]:
    """Three different values: the search range's ends and middle (a log range's geometric
    middle), or, for a knob that is not searched, values around its default."""
    search = knob.search
    if search is not None and search.choices is None:
        lo, hi = float(search.low), float(search.high)
        mid = math.sqrt(lo * hi) if search.log else (lo + hi) / 2
        return [lo, mid, hi]
    d = float(knob.default)
    values = [d - 0.25, d, d + 0.25] if d == 0 else [0.5 * d, d, 1.5 * d]
    lo = -math.inf if knob.low is None else knob.low
    hi = math.inf if knob.high is None else knob.high
    values = [min(max(v, lo), hi) for v in values]
    assert len(set(values)) == 3
    return values


def inputs(spec: LossSpec, fn, seed: int = 0) -> dict[str, torch.Tensor]:
    """Random float64 tensors for every tensor argument of a term, member axis first."""
    g = torch.Generator().manual_seed(seed)
    params = set(inspect.signature(fn).parameters)

    def randn(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    out: dict[str, torch.Tensor] = {}
    if spec.card.hyperparameters.get("margin") is not None:  # energies are >= 0
        out["real_scores"] = randn(S, B).abs()
        out["fake_scores"] = randn(S, B).abs() * 2
    else:
        out["real_scores"], out["fake_scores"] = randn(S, B) * 3, randn(S, B) * 3
    out["fake_codes"] = randn(S, B, CODE)
    out["logits"] = randn(S, B, K) * 2
    if "logits" in params:
        out["targets"] = torch.randint(0, K, (S, B), generator=g)
    else:
        out["targets"] = randn(S, B)
    width = spec.training.get("outputs", 1)
    out["prediction"] = randn(S, B, width if isinstance(width, int) else 1)
    out["class_weights"] = randn(S, K).abs()
    out["data_energy"], out["sample_energy"] = randn(S, B), randn(S, B)
    return {k: v for k, v in out.items() if k in params}


def solo(tensors: dict[str, torch.Tensor], s: int) -> dict[str, torch.Tensor]:
    return {
        k: v[s : s + 1].detach().clone().requires_grad_(v.requires_grad) for k, v in tensors.items()
    }


def with_grad(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k: v.requires_grad_(v.is_floating_point()) for k, v in tensors.items()}


def test_every_loss_with_a_knob_has_a_case():
    covered = {name for name, *_ in (c.values for c in CASES)}
    for spec in all_losses():
        if term_knobs(spec):
            assert spec.name in covered


def test_every_searched_knob_is_a_term_argument_or_read_by_the_trainer():
    for spec in all_losses():
        taken = {knob for _, knob in term_knobs(spec)}
        for name, knob in spec.card.hyperparameters.items():
            if knob.search is not None and name not in taken:
                assert (spec.name, name) in TRAINER_READ, f"{spec.name}: {name}"


@pytest.mark.parametrize(("loss", "role", "knob"), CASES)
def test_member_s_with_a_knob_tensor_is_its_solo_run_with_the_float(loss, role, knob):
    spec = get_loss(loss)
    fn = spec.terms[role]
    values = three_values(spec.card.hyperparameters[knob])
    knobs = spec.hyperparameters()
    accepted = inspect.signature(fn).parameters
    fixed = {k: v for k, v in knobs.items() if k in accepted and k != knob}
    tensors = with_grad(inputs(spec, fn))

    together = fn(**tensors, **fixed, **{knob: torch.tensor(values)})
    assert together.shape == (S,)
    together.sum().backward()

    for s in range(S):
        alone_inputs = solo(tensors, s)
        alone = fn(**alone_inputs, **fixed, **{knob: values[s]})
        assert alone.shape == (1,)
        torch.testing.assert_close(together[s : s + 1], alone, atol=1e-6, rtol=1e-6)
        alone.sum().backward()
        for name, t in tensors.items():
            if t.grad is not None:
                torch.testing.assert_close(
                    t.grad[s : s + 1], alone_inputs[name].grad, atol=1e-6, rtol=1e-6
                )


@pytest.mark.parametrize(("loss", "role", "knob"), CASES)
def test_a_knob_tensor_of_one_value_everywhere_equals_the_float(loss, role, knob):
    spec = get_loss(loss)
    fn = spec.terms[role]
    knobs = spec.hyperparameters()
    accepted = inspect.signature(fn).parameters
    fixed = {k: v for k, v in knobs.items() if k in accepted}
    tensors = inputs(spec, fn, seed=1)
    value = fixed.pop(knob)
    plain = fn(**tensors, **fixed, **{knob: value})
    as_tensor = fn(
        **tensors, **fixed, **{knob: torch.full((S,), float(value), dtype=torch.float64)}
    )
    torch.testing.assert_close(as_tensor, plain, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize(("loss", "role", "knob"), CASES)
def test_a_knob_tensor_of_the_wrong_length_is_refused(loss, role, knob):
    spec = get_loss(loss)
    fn = spec.terms[role]
    if knob in {"pt_weight", "reg_weight"}:
        pytest.skip("scales a per-member value [S]: a wrong length fails in torch's broadcast")
    accepted = inspect.signature(fn).parameters
    fixed = {k: v for k, v in spec.hyperparameters().items() if k in accepted and k != knob}
    with pytest.raises(ValueError, match="per-member knob"):
        fn(**inputs(spec, fn), **fixed, **{knob: torch.ones(S + 1)})


def test_a_per_member_penalty_weight_scales_each_members_own_penalty():
    """penalties.py takes no knob: the trainer's [S] weight scales its [S] result."""
    g = torch.Generator().manual_seed(2)
    w = torch.randn(S, D, 1, generator=g, dtype=torch.float64)

    def critic(x):
        return torch.tanh(torch.bmm(x, w)).pow(3)

    real = torch.randn(S, B, D, generator=g, dtype=torch.float64)
    fake = torch.randn(S, B, D, generator=g, dtype=torch.float64)
    eps = torch.rand(S, B, 1, generator=g, dtype=torch.float64)
    weights = torch.tensor([0.1, 1.0, 10.0], dtype=torch.float64)
    together = weights * gradient_penalty(critic, real, fake, eps)
    for s in range(S):

        def critic_s(x, s=s):
            return torch.tanh(torch.bmm(x, w[s : s + 1])).pow(3)

        sl = slice(s, s + 1)
        alone = float(weights[s]) * gradient_penalty(critic_s, real[sl], fake[sl], eps[sl])
        torch.testing.assert_close(together[sl], alone, atol=1e-12, rtol=1e-12)
