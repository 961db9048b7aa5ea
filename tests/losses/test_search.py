"""Where each knob is worth searching: inside its valid range, described as written, and
named in its doc."""

from __future__ import annotations

import math

import pytest

from losslab.losses import all_losses
from losslab.losses.registry import Hyperparameter, Search

KNOBS = [
    pytest.param(spec.name, name, knob, id=f"{spec.name}-{name}")
    for spec in all_losses()
    for name, knob in spec.card.hyperparameters.items()
]


@pytest.mark.parametrize(("loss", "name", "knob"), KNOBS)
def test_search_lies_inside_the_valid_range(loss, name, knob):
    search = knob.search
    if search is None:
        return
    low = -math.inf if knob.low is None else knob.low
    high = math.inf if knob.high is None else knob.high
    if search.choices is not None:
        for choice in search.choices:
            if knob.choices is not None:
                assert choice in knob.choices
            else:
                assert low <= choice <= high
                assert not knob.integer or float(choice).is_integer()
        return
    assert knob.choices is None
    assert low <= search.low < search.high <= high
    if search.log:
        assert search.low > 0


@pytest.mark.parametrize(("loss", "name", "knob"), KNOBS)
def test_the_doc_says_where_the_range_comes_from_or_why_it_is_not_tuned(loss, name, knob):
    doc = " ".join(knob.doc.split())
    search = knob.search
    if search is None:
        assert "Not tuned:" in doc
    elif search.choices is not None:
        assert "Searched among" in doc
    else:
        kind = "log-uniform" if search.log else "uniform"
        assert f"Searched {kind} over [{search.low:g}, {search.high:g}]" in doc


def test_the_guided_ranges():
    """The ranges the literature supports (see each knob's doc)."""
    by_name = {s.name: s.card.hyperparameters for s in all_losses()}
    expect = {
        ("wgan-gp", "gp_weight"): Search.log_uniform(0.01, 100),
        ("wgan-clip", "clip"): Search.log_uniform(0.001, 0.1),
        ("ebgan", "margin"): Search.log_uniform(0.1, 10),
        ("ebgan", "pt_weight"): Search.log_uniform(0.01, 1),
        ("focal", "gamma"): Search.uniform(0, 5),
        ("label-smoothing-ce", "epsilon"): Search.uniform(0, 0.3),
        ("huber", "delta"): Search.log_uniform(0.1, 10),
        ("gaussian-nll", "beta"): Search.uniform(0, 1),
        ("contrastive-divergence", "reg_weight"): Search.log_uniform(0.01, 10),
        ("dsm", "sigma"): Search.log_uniform(0.01, 1),
        ("ddpm-eps", "timesteps"): Search.among(50, 100, 200, 500),
        ("ddpm-v", "schedule"): Search.among("linear", "cosine"),
    }
    for (loss, knob), search in expect.items():
        assert by_name[loss][knob].search == search, (loss, knob)
    for loss, knob in [
        ("lsgan", "a"),
        ("lsgan", "b"),
        ("lsgan", "c"),
        ("ebgan", "code_dim"),
        ("quantile", "tau"),
        ("ddpm-x0", "embedding_dim"),
        ("contrastive-divergence", "eval_steps"),
        ("contrastive-divergence", "buffer_size"),
        ("dsm-annealed", "steps_per_level"),
    ]:
        assert by_name[loss][knob].search is None, (loss, knob)


@pytest.mark.parametrize(
    ("search", "text"),
    [
        (Search.log_uniform(0.01, 100), "log-uniform [0.01, 100]"),
        (Search.log_uniform(0.0005, 0.5), "log-uniform [0.0005, 0.5]"),
        (Search.uniform(0, 0.3), "uniform [0, 0.3]"),
        (Search.among(50, 100, 200, 500), "one of 50, 100, 200, 500"),
        (Search.among("linear", "cosine"), "one of linear, cosine"),
    ],
)
def test_describe_reads_right_for_each_kind(search, text):
    assert search.describe() == text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(low=0.0, search=Search.uniform(-1, 1)), "outside the knob's valid range"),
        (dict(low=0.0, high=1.0, search=Search.uniform(0, 2)), "outside the knob's valid range"),
        (dict(low=0.0, search=Search.log_uniform(0, 1)), "log-uniform range needs low > 0"),
        (dict(search=Search.uniform(1, 1)), "needs low < high"),
        (dict(low=1, integer=True, search=Search.among(1, 2.5)), "not an integer"),
        (dict(low=2, integer=True, search=Search.among(1, 4)), "outside the knob's valid range"),
        (dict(search=Search.among("x")), "not a number"),
        (dict(search=Search.among()), "at least one choice"),
        (dict(choices=("a", "b"), search=Search.among("a", "c")), "is not one of"),
        (dict(choices=("a", "b"), search=Search.uniform(0, 1)), "searched with Search.among"),
    ],
)
def test_a_search_outside_the_valid_range_is_refused_when_the_card_is_built(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Hyperparameter(default=1, doc="a knob", **kwargs)


def test_a_search_inside_the_valid_range_is_accepted():
    Hyperparameter(default=10.0, doc="w", low=0.0, search=Search.log_uniform(0.01, 100))
    Hyperparameter(default=0.1, doc="e", low=0.0, high=1.0, search=Search.uniform(0, 1))
    Hyperparameter(default=100, doc="T", low=2, integer=True, search=Search.among(50, 500))
    Hyperparameter(default="a", doc="s", choices=("a", "b"), search=Search.among("b", "a"))
