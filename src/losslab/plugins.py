r"""Plug-in losses: a user's loss registered beside the built-in ones.

A plug-in is a Python file or an installed module that calls :func:`register_loss` with
the loss's terms (pure functions, the same contract as a built-in loss: every input has a
leading member axis ``[S, B, ...]`` and a term returns one value per member ``[S]``) and a
short card. Once registered, the loss takes part in studies, tuning (when its knobs declare
a :class:`~losslab.losses.Search`), reports, ``losslab list`` and ``losslab explain`` like a
built-in one::

    import losslab
    from losslab.plugins import Hyperparameter, Search
    from losslab.losses.knobs import broadcast_knob

    def margin_ls_discriminator(*, real_scores, fake_scores, margin):
        m = broadcast_knob(margin, real_scores)  # a number, or [S] -> [S, 1]
        return 0.5 * ((real_scores - m) ** 2).mean(1) + 0.5 * ((fake_scores + m) ** 2).mean(1)

    def margin_ls_generator(*, fake_scores, margin):
        return 0.5 * ((fake_scores - broadcast_knob(margin, fake_scores)) ** 2).mean(1)

    losslab.register_loss(
        "margin-lsgan", family="adversarial",
        terms={"discriminator": margin_ls_discriminator, "generator": margin_ls_generator},
        formula=r"\mathcal L_D = \tfrac12 E[(D(x)-m)^2] + \tfrac12 E[(D(G(z))+m)^2]",
        why="least squares with targets +-m",
        hyperparameters={"margin": Hyperparameter(1.0, "target magnitude", low=0.01,
                                                  search=Search.log_uniform(0.1, 10))},
    )

The terms each family's trainer calls, by keyword:

* ``adversarial``: ``discriminator(real_scores, fake_scores)`` and
  ``generator(fake_scores)`` (it may also take ``real_scores``, as a relativistic loss
  does), scores ``[S, B]``;
* ``classification``: ``loss(logits [S, B, K], targets [S, B] int64)`` (with
  ``training={"outputs": 1, "binary": True}``: one logit ``[S, B, 1]``, two classes);
  it may also take ``class_weights`` / ``class_priors`` ``[S, K]`` when its ``training``
  asks for them as a built-in loss's does;
* ``regression``: ``loss(prediction [S, B, k], targets [S, B])`` with
  ``k = training["outputs"]`` (default 1).

Any other argument of a term is a knob and must be named in ``hyperparameters``. A knob
reaches a term as a number, or as a per-member tensor ``[S]`` when members of one
ensemble differ in it (tuning, sweeps): combine it with a ``[S, B]`` tensor through
:func:`losslab.losses.knobs.broadcast_knob`. Energy and diffusion losses need trainer
hooks (samplers, noise schedules) and are not open to plug-ins.

At registration each term runs once on tiny inputs, with its knobs as numbers and as
per-member tensors; a term that fails or does not return ``[S]`` is refused. Every
refusal is a :class:`~losslab.errors.BadInput` with one line naming the file (or module)
and the problem, so the command line exits 2.

Where plug-ins come from: :func:`load_plugin` (a ``.py`` path or a module name), the
``plugins = [...]`` key of a study config (paths relative to the config file),
``losslab list/explain/docs/run --plugin FILE``, and packages that declare an entry point
in the group ``losslab.losses`` (each entry point names a module, loaded when the
registry first loads, in every process). ``--executor pool`` workers load the parent's
plug-in files and modules again; Ray workers load only entry points, so a study on a Ray
cluster takes its plug-ins from an installed package.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from losslab.errors import BadInput
from losslab.losses.registry import (
    _REGISTRY,
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    Search,
    all_losses,
    register,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "Hyperparameter",
    "OptimizerDefaults",
    "Reference",
    "Search",
    "load_entry_points",
    "load_plugin",
    "load_plugins",
    "loaded_plugins",
    "plugin_source",
    "register_loss",
]

ENTRY_POINT_GROUP = "losslab.losses"
FAMILIES = ("adversarial", "classification", "regression")
_ROLES = {
    "adversarial": ("discriminator", "generator"),
    "classification": ("loss",),
    "regression": ("loss",),
}
# the arguments a family's trainer passes to each term (required, optional)
_INPUTS = {
    ("adversarial", "discriminator"): (("real_scores", "fake_scores"), ()),
    ("adversarial", "generator"): (("fake_scores",), ("real_scores",)),
    ("classification", "loss"): (("logits", "targets"), ("class_weights", "class_priors")),
    ("regression", "loss"): (("prediction", "targets"), ()),
}
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

_ADAM_GAN = OptimizerDefaults(
    name="adam", lr=2e-4, betas=(0.5, 0.999), source="plug-in default (DCGAN's Adam)"
)
_ADAM = OptimizerDefaults(name="adam", lr=1e-3, source="plug-in default (Adam's defaults)")

_SOURCES: dict[str, str] = {}  # plug-in loss name -> the file or module that registered it
_LOADED: dict[str, list[str]] = {}  # resolved file / module name -> the losses it registered
_current: list[str] = []  # the file or module being loaded (innermost last)
_entry_points_loaded = False


def register_loss(
    name: str,
    *,
    family: str,
    terms: Mapping[str, Callable[..., Any]],
    formula: str,
    why: str,
    hyperparameters: Mapping[str, Hyperparameter | float | int | str] | None = None,
    derivation: Iterable[str] = (),
    optimum_or_divergence: str = "",
    used_by: Iterable[str] = (),
    pros: Iterable[str] = (),
    cons: Iterable[str] = (),
    references: Iterable[Reference] = (),
    example: str = "",
    optimizer: OptimizerDefaults | None = None,
    training: Mapping[str, Any] | None = None,
) -> LossSpec:
    """Register a plug-in loss and return its :class:`LossSpec`.

    ``name``: kebab-case, not taken; ``family``: ``adversarial``, ``classification`` or
    ``regression``; ``terms``: role -> pure function (see the module); ``formula``: LaTeX;
    ``why``: when to use it. ``hyperparameters``: knob -> :class:`Hyperparameter` (or a
    bare default). The other card fields are optional. ``optimizer`` defaults to Adam
    (lr 2e-4, betas 0.5/0.999 for adversarial losses; lr 1e-3 otherwise); ``training``
    holds the trainer-facing keys of :class:`LossSpec` (``n_critic``, ``outputs``,
    ``penalties``, ...). Raises :class:`BadInput` (one line) for a taken or malformed
    name, an unknown family, terms that do not fit the family, or a probe call that fails
    or returns the wrong shape.
    """
    where = f"loss {name!r}" if _current else f"plug-in loss {name!r}"
    if not isinstance(name, str) or not _NAME.match(name):
        raise BadInput(f"plug-in loss name {name!r} must be kebab-case (e.g. 'my-loss')")
    all_losses()  # the built-in families first, so a taken name is seen
    if name in _REGISTRY:
        owner = _SOURCES.get(name)
        by = f"the plug-in {owner}" if owner else "a built-in loss"
        raise BadInput(f"{where}: the name is taken by {by}")
    if family not in FAMILIES:
        raise BadInput(
            f"{where}: family {family!r} is not open to plug-ins (one of {', '.join(FAMILIES)})"
        )
    for field_name, text in (("formula", formula), ("why", why)):
        if not isinstance(text, str) or not text.strip():
            raise BadInput(f"{where}: the card needs a non-empty {field_name}")
    knobs = _knobs(where, hyperparameters or {})
    terms = dict(terms)
    _check_terms(where, family, terms, knobs)
    training = dict(training or {})
    if family == "adversarial":
        training.setdefault("n_critic", 1)
    else:
        training.setdefault("outputs", "classes" if family == "classification" else 1)
    spec = LossSpec(
        card=Card(
            name=name,
            family=family,
            formula=formula,
            derivation=tuple(derivation),
            optimum_or_divergence=optimum_or_divergence,
            used_by=tuple(used_by),
            why=" ".join(why.split()),
            pros=tuple(pros),
            cons=tuple(cons),
            hyperparameters=knobs,
            references=tuple(references),
            example=example,
        ),
        terms=terms,
        optimizer=optimizer or (_ADAM_GAN if family == "adversarial" else _ADAM),
        training=training,
    )
    _probe(where, spec)
    register(spec)
    source = _current[-1] if _current else _caller_file()
    _SOURCES[name] = source
    if _current:
        _LOADED.setdefault(_current[-1], []).append(name)
    return spec


def _caller_file() -> str:
    """The file that called :func:`register_loss` from outside a loader (a notebook, a
    script): shown by ``explain`` and reloaded by pool workers when it is a file."""
    for frame in inspect.stack()[2:]:
        if frame.filename != __file__ and not frame.filename.endswith("losslab/__init__.py"):
            return frame.filename
    return "<python>"


def _knobs(where: str, given: Mapping[str, Any]) -> dict[str, Hyperparameter]:
    knobs: dict[str, Hyperparameter] = {}
    for key, value in given.items():
        if not isinstance(key, str) or not key.isidentifier():
            raise BadInput(f"{where}: knob name {key!r} is not a Python identifier")
        if isinstance(value, Hyperparameter):
            knobs[key] = value
        elif isinstance(value, int | float | str) and not isinstance(value, bool):
            knobs[key] = Hyperparameter(default=value, doc="")
        else:
            raise BadInput(
                f"{where}: knob {key!r} must be a Hyperparameter or a default number, "
                f"got {type(value).__name__}"
            )
        try:
            knobs[key].check(where, key, knobs[key].default)
        except BadInput as exc:
            raise BadInput(f"{where}: the default of knob {key!r} is invalid: {exc}") from None
    return knobs


def _check_terms(
    where: str, family: str, terms: dict[str, Any], knobs: dict[str, Hyperparameter]
) -> None:
    roles = _ROLES[family]
    if set(terms) != set(roles):
        raise BadInput(
            f"{where}: a {family} loss has the terms {', '.join(roles)}, got "
            f"{', '.join(map(str, terms)) or 'none'}"
        )
    for role, fn in terms.items():
        if not callable(fn):
            raise BadInput(f"{where}: term {role!r} is not callable")
        try:
            params = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            raise BadInput(f"{where}: term {role!r} has no inspectable signature") from None
        required, optional = _INPUTS[(family, role)]
        shown = f"{where}: term {role!r}{inspect.signature(fn)}"
        for p in params.values():
            if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                raise BadInput(f"{shown}: takes *args/**kwargs; name every argument")
            if p.kind is p.POSITIONAL_ONLY:
                raise BadInput(
                    f"{shown}: argument {p.name!r} is positional-only; terms are called by keyword"
                )
        missing = [a for a in required if a not in params]
        if missing:
            raise BadInput(
                f"{shown} does not fit a {family} loss: it must take "
                f"{', '.join(required)} (missing {', '.join(missing)})"
            )
        for p in params.values():
            if p.name in required or p.name in optional or p.name in knobs:
                continue
            if p.default is p.empty:
                raise BadInput(
                    f"{shown}: argument {p.name!r} is neither an input of a {family} loss "
                    f"({', '.join(required + optional)}) nor a declared knob"
                )


def _probe_inputs(spec: LossSpec, role: str, members: int, batch: int) -> dict[str, Any]:
    import torch

    g = torch.Generator().manual_seed(0)
    family = spec.family
    if family == "adversarial":
        return {
            "real_scores": torch.randn(members, batch, generator=g) + 0.5,
            "fake_scores": torch.randn(members, batch, generator=g) - 0.5,
        }
    if family == "classification":
        binary = spec.training.get("outputs") == 1
        k = 2 if binary else 3
        width = 1 if binary else k
        return {
            "logits": torch.randn(members, batch, width, generator=g),
            "targets": torch.randint(0, k, (members, batch), generator=g),
            "class_weights": torch.ones(members, k),
            "class_priors": torch.full((members, k), 1.0 / k),
        }
    width = int(spec.training.get("outputs", 1))
    targets = torch.randn(members, batch, generator=g)
    if spec.training.get("targets") == "non-negative":
        targets = targets.abs()
    return {"prediction": torch.randn(members, batch, width, generator=g), "targets": targets}


def _probe(where: str, spec: LossSpec) -> None:
    """Each term once with shared knobs (numbers) and once with per-member knobs ``[S]``:
    it must return a floating ``[S]`` tensor that carries the inputs' gradient."""
    import torch

    members, batch = 2, 5
    shared = spec.hyperparameters()
    knobs = spec.card.hyperparameters
    per_member = {  # as the trainer passes a real-valued knob members differ in
        k: (
            torch.full((members,), float(v))
            if knobs[k].choices is None and not knobs[k].integer
            else v
        )
        for k, v in shared.items()
    }
    for role, fn in spec.terms.items():
        params = inspect.signature(fn).parameters
        inputs = {k: v for k, v in _probe_inputs(spec, role, members, batch).items() if k in params}
        for k, v in inputs.items():
            if v.is_floating_point():
                inputs[k] = v.requires_grad_()
        for label, values in (("", shared), (" with per-member knobs [S]", per_member)):
            shown = ", ".join(f"{k}{list(v.shape)}" for k, v in inputs.items())
            try:
                out = fn(**inputs, **{k: v for k, v in values.items() if k in params})
            except Exception as exc:  # noqa: BLE001 - any failure of user code is reported
                raise BadInput(
                    f"{where}: term {role!r} fails on a probe call ({shown}){label}: "
                    f"{type(exc).__name__}: {_first_line(exc)}"
                ) from None
            if not isinstance(out, torch.Tensor) or tuple(out.shape) != (members,):
                got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
                raise BadInput(
                    f"{where}: term {role!r} must return one value per member [S] = "
                    f"[{members}] for inputs {shown}{label}, got {got}"
                )
            if not out.is_floating_point() or not out.requires_grad:
                raise BadInput(
                    f"{where}: term {role!r} returns no gradient to its inputs (detached, "
                    "or not a float tensor)"
                )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "(no message)"


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------


@contextmanager
def _loading(source: str):
    """Record ``source`` as the loader of what registers now; on any failure, undo its
    registrations and raise one line naming it."""
    _current.append(source)
    before = set(_REGISTRY)

    def undo() -> None:
        for name in set(_REGISTRY) - before:
            _REGISTRY.pop(name, None)
            _SOURCES.pop(name, None)
        _LOADED.pop(source, None)

    try:
        yield
    except BadInput as exc:
        undo()
        message = str(exc)
        if not message.startswith(f"plug-in {source}"):
            message = f"plug-in {source}: {message}"
        raise BadInput(message) from None
    except Exception as exc:  # noqa: BLE001 - any failure of user code is reported
        undo()
        raise BadInput(
            f"plug-in {source}: failed to import: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    except BaseException:  # Ctrl-C, SystemExit: undo and let it through
        undo()
        raise
    finally:
        _current.pop()


def load_plugin(source: str | Path, base: str | Path | None = None) -> list[str]:
    """Load one plug-in and return the names of the losses it registered.

    ``source``: a ``.py`` file (relative to ``base``, default the working directory) or an
    installed module's dotted name. Loading the same file or module again does nothing.
    Raises :class:`BadInput` naming ``source`` when it is missing, fails to import, or
    registers a loss that is refused (see :func:`register_loss`).
    """
    text = str(source)
    all_losses()  # built-ins (and entry points) before the plug-in, so clashes are seen
    if text.endswith(".py") or "/" in text or "\\" in text:
        path = Path(text)
        if not path.is_absolute():
            path = Path(base or Path.cwd()) / path
        path = path.resolve()
        key = str(path)
        if key in _LOADED:
            return list(_LOADED[key])
        if not path.is_file():
            raise BadInput(f"plug-in {text}: file not found ({path})")
        if path.suffix != ".py":
            raise BadInput(f"plug-in {text}: not a Python file (expected a .py file)")
        digest = hashlib.sha1(key.encode()).hexdigest()[:10]
        stem = re.sub(r"\W", "_", path.stem)
        module_name = f"losslab_plugin_{stem}_{digest}"
        _LOADED[key] = []
        with _loading(key):
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise BadInput("cannot be loaded as a Python module")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(module_name, None)
                raise
        return list(_LOADED[key])
    if not all(part.isidentifier() for part in text.split(".")):
        raise BadInput(f"plug-in {text!r}: neither a .py file nor a module name")
    if text in _LOADED:
        return list(_LOADED[text])
    _LOADED[text] = []
    with _loading(text):
        try:
            importlib.import_module(text)
        except ModuleNotFoundError as exc:
            if exc.name and text.startswith(exc.name):
                raise BadInput(f"no module named {exc.name!r} (not installed?)") from None
            raise
    return list(_LOADED[text])


def load_plugins(sources: Iterable[str | Path], base: str | Path | None = None) -> list[str]:
    """:func:`load_plugin` for each source, in order; the names of every loss registered."""
    names: list[str] = []
    for source in sources:
        names += load_plugin(source, base)
    return names


def load_entry_points() -> list[str]:
    """Load every module named by an entry point of the group ``losslab.losses``, once
    per process (the registry calls this when it first loads); returns the names of the
    losses they registered. A broken one raises :class:`BadInput` naming it."""
    global _entry_points_loaded
    if _entry_points_loaded:
        return []
    _entry_points_loaded = True
    from importlib.metadata import entry_points

    names: list[str] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        source = f"{ep.value} (entry point {ep.name!r})"
        if source in _LOADED:
            continue
        _LOADED[source] = []
        with _loading(source):
            ep.load()
        names += _LOADED[source]
    return names


def loaded_plugins() -> list[str]:
    """Every file and module loaded as a plug-in in this process, in load order (a process
    pool's workers load the same ones)."""
    return [s for s in _LOADED if "(entry point" not in s]


def plugin_source(name: str) -> str | None:
    """The file or module that registered the loss ``name``; None for a built-in loss."""
    return _SOURCES.get(name)
