"""The loss registry: every loss is registered once, under its kebab-case name,
together with its card (what it is, where it comes from, when to use it).

A family package (``adversarial/`` ...) holds one module per loss, which defines the
loss's small pure functions and registers its :class:`LossSpec`. Everything else in
losslab (the config validator, the trainers, ``losslab list``/``explain``) looks losses
up here.
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from losslab.errors import BadInput


@dataclass(frozen=True)
class Search:
    """Where a knob is worth searching when a study tunes it (``[tune]``, ``--tune N``).

    Either a range ``[low, high]``, sampled uniformly on a log axis (``log=True``, both
    bounds > 0) or a linear one, or a finite set of ``choices``. The range is narrower
    than what is *valid* (:class:`Hyperparameter`'s ``low``/``high``): it is where the
    literature and the loss's own derivation say good values lie.
    """

    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[float | str, ...] | None = None

    @classmethod
    def log_uniform(cls, low: float, high: float) -> Search:
        return cls(low=low, high=high, log=True)

    @classmethod
    def uniform(cls, low: float, high: float) -> Search:
        return cls(low=low, high=high)

    @classmethod
    def among(cls, *choices: float | str) -> Search:
        return cls(choices=tuple(choices))

    def describe(self) -> str:
        """``log-uniform [0.01, 100]``, ``uniform [0, 0.3]`` or ``one of 1, 2, 5``."""
        if self.choices is not None:
            return "one of " + ", ".join(str(c) for c in self.choices)
        kind = "log-uniform" if self.log else "uniform"
        return f"{kind} [{self.low:g}, {self.high:g}]"

    def as_dict(self) -> dict[str, Any]:
        if self.choices is not None:
            return {"choices": list(self.choices)}
        return {"low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Hyperparameter:
    """A knob of a loss: its default, what it does, and its valid range.

    A knob with ``choices`` takes one of those strings (a noise schedule, a
    parameterisation); every other knob is a number. ``search`` says where the knob is
    worth searching when a study is tuned (None: the knob is not tuned, e.g. a network
    size or a sampler budget that changes the cost rather than the loss).
    """

    default: float | str
    doc: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    choices: tuple[str, ...] | None = None
    search: Search | None = None

    def __post_init__(self) -> None:
        """A card's search must lie where the knob is valid: a wrong card fails at import."""
        search = self.search
        if search is None:
            return
        where = f"search {search.describe()} of the knob '{' '.join(self.doc.split())[:40]}...'"
        if search.choices is not None:
            if not search.choices:
                raise ValueError(f"{where}: Search.among needs at least one choice")
            for choice in search.choices:
                if self.choices is not None:
                    if choice not in self.choices:
                        raise ValueError(f"{where}: {choice!r} is not one of {self.choices}")
                    continue
                if isinstance(choice, bool) or not isinstance(choice, int | float):
                    raise ValueError(f"{where}: {choice!r} is not a number")
                if self.integer and not float(choice).is_integer():
                    raise ValueError(f"{where}: {choice!r} is not an integer")
                self._check_inside(where, choice, choice)
            return
        if self.choices is not None:
            raise ValueError(f"{where}: a knob with choices is searched with Search.among")
        if search.low is None or search.high is None or not search.low < search.high:
            raise ValueError(f"{where}: a range needs low < high")
        if search.log and not search.low > 0:
            raise ValueError(f"{where}: a log-uniform range needs low > 0")
        self._check_inside(where, search.low, search.high)

    def _check_inside(self, where: str, low: float, high: float) -> None:
        if (self.low is not None and low < self.low) or (
            self.high is not None and high > self.high
        ):
            lo = "-inf" if self.low is None else f"{self.low:g}"
            hi = "inf" if self.high is None else f"{self.high:g}"
            raise ValueError(f"{where}: outside the knob's valid range [{lo}, {hi}]")

    def check(self, loss: str, name: str, value: Any) -> float | str:
        """Return ``value`` as a number (or one of the choices), or raise :class:`BadInput`."""
        if self.choices is not None:
            if value not in self.choices:
                allowed = ", ".join(repr(c) for c in self.choices)
                raise BadInput(f"loss '{loss}': {name} = {value!r} must be one of {allowed}")
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadInput(f"loss '{loss}': {name} = {value!r} must be a number")
        if self.integer and not float(value).is_integer():
            raise BadInput(f"loss '{loss}': {name} = {value!r} must be an integer")
        if self.low is not None and value < self.low:
            raise BadInput(f"loss '{loss}': {name} = {value!r} must be >= {self.low}")
        if self.high is not None and value > self.high:
            raise BadInput(f"loss '{loss}': {name} = {value!r} must be <= {self.high}")
        return int(value) if self.integer else float(value)


@dataclass(frozen=True)
class Reference:
    authors: str
    title: str
    year: int
    url: str = ""

    def __str__(self) -> str:
        return f"{self.authors} ({self.year}). {self.title}."


@dataclass(frozen=True)
class Card:
    """What a person needs to know about a loss (DESIGN.md, "A loss")."""

    name: str
    family: str
    formula: str  # LaTeX
    derivation: tuple[str, ...]  # numbered steps, Markdown with $...$ math
    optimum_or_divergence: str
    used_by: tuple[str, ...]
    why: str
    pros: tuple[str, ...]
    cons: tuple[str, ...]
    hyperparameters: dict[str, Hyperparameter]
    references: tuple[Reference, ...]
    # A runnable ten-line example using the public API (``losslab explain`` prints it
    # and a test executes it).
    example: str = ""


@dataclass(frozen=True)
class OptimizerDefaults:
    """The optimiser a loss's original paper trained with."""

    name: str  # "adam" or "rmsprop"
    lr: float
    betas: tuple[float, float] = (0.9, 0.999)  # adam
    alpha: float = 0.99  # rmsprop smoothing constant
    eps: float = 1e-8
    source: str = ""


@dataclass(frozen=True)
class LossSpec:
    """A registered loss.

    ``terms`` maps a role to a pure function returning one value per member
    (``Tensor[S]``). Adversarial losses have the roles ``discriminator`` and
    ``generator``. ``training`` holds the trainer-facing defaults that come with
    the loss in its paper: ``n_critic``; ``weight_clip`` and ``hinge_margin`` name the
    hyper-parameter that holds the clip bound / the margin of an energy hinge;
    ``penalties`` maps each penalty the critic loss adds (:data:`losses.penalties.PENALTIES`:
    ``gradient-penalty``, ``one-sided``, ``r1``, ``r2``, ``dragan``) to the knob holding its
    weight (the older single key ``gradient_penalty`` is still read);
    ``class_weights``/``class_priors`` ask the supervised trainer for the training split's
    class weights or frequencies; ``discriminator`` is ``"autoencoder"`` for
    a loss whose critic is an autoencoder (EBGAN); ``method`` names the trainer method of
    an energy or diffusion loss.
    """

    card: Card
    terms: dict[str, Callable[..., Any]]
    optimizer: OptimizerDefaults
    training: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.card.name

    @property
    def family(self) -> str:
        return self.card.family

    def bind(self, role: str, hparams: dict[str, Any]) -> Callable[..., Any]:
        """The ``role`` term with the knobs it takes from ``hparams`` filled in (a knob is
        a number, or a per-member ``[S]`` tensor, see :mod:`losslab.losses.knobs`)."""
        fn = self.terms[role]
        accepted = inspect.signature(fn).parameters
        return functools.partial(fn, **{k: v for k, v in hparams.items() if k in accepted})

    def hyperparameters(self, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        """Defaults merged with ``overrides``; unknown or invalid knobs raise BadInput."""
        knobs = self.card.hyperparameters
        values = {k: h.default for k, h in knobs.items()}
        for key, value in (overrides or {}).items():
            if key not in knobs:
                known = ", ".join(sorted(knobs)) or "none"
                raise BadInput(
                    f"loss '{self.name}' has no hyper-parameter '{key}' (known: {known})"
                )
            values[key] = knobs[key].check(self.name, key, value)
        return values


_REGISTRY: dict[str, LossSpec] = {}


def register(spec: LossSpec) -> LossSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"loss {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def get_loss(name: str) -> LossSpec:
    """Look a loss up by name; a misspelt name raises BadInput with the closest matches."""
    _load_families()
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, _REGISTRY, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise BadInput(f"unknown loss {name!r}{hint} (see `losslab list`)") from None


def all_losses(family: str | None = None) -> list[LossSpec]:
    _load_families()
    return [s for s in _REGISTRY.values() if family is None or s.family == family]


def _load_families() -> None:
    # Importing a family package registers its losses, in the order its __init__ imports them.
    from losslab.losses import (  # noqa: F401
        adversarial,
        classification,
        diffusion,
        energy,
        regression,
    )

    # then the packages that register losses through the ``losslab.losses`` entry-point
    # group (once per process; see losslab.plugins)
    from losslab.plugins import load_entry_points

    load_entry_points()
