"""Search spaces of a tuned study: where each loss's knobs and optimiser are searched.

A loss's space is the union of

* its card's knobs that declare a :class:`~losslab.losses.Search` range,
* the optimiser: ``lr`` log-uniform over ``[tune].lr`` factors of the loss's default
  learning rate, Adam's ``beta1`` from ``[tune].beta1``, and ``n_critic`` from
  ``[tune].n_critic`` for adversarial losses, and decoupled ``weight_decay``
  log-uniform over ``[tune].weight_decay`` for supervised losses (classification and
  regression: a few hundred rows overfit a network, and how much to shrink it is a
  model-selection choice like the learning rate; trial 0 keeps the study's own value,
  0 unless ``[optimizer].weight_decay`` sets one),

with ``[tune.ranges.<label or name>]`` replacing a range or (``false``) removing a knob.
A knob's value in ``[[losses]]`` is its trial-0 value, and a range that does not contain
it is widened to contain it, so trial 0 is always "the defaults this study was given".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losslab.data.registry import Dataset
from losslab.data.supervised import SupervisedDataset
from losslab.errors import BadInput
from losslab.losses import Search, get_loss
from losslab.metrics import (
    CLASSIFICATION_METRIC_NAMES,
    DIGIT_METRIC_NAMES,
    MODE_METRIC_NAMES,
    REGRESSION_METRIC_NAMES,
    SAMPLE_METRIC_NAMES,
    SAMPLE_METRIC_NAMES_ND,
)

if TYPE_CHECKING:
    from losslab.study.config import LossEntry, StudyConfig

OPTIMIZER_KNOBS = ("lr", "beta1", "n_critic", "weight_decay")
SEARCH_SEED_BASE = 1_000_000
"""Trial members train on seeds ``SEARCH_SEED_BASE + s``: no final member ever uses them."""

DEFAULT_METRIC = {"classify": "balanced_accuracy", "regress": "mse", None: "w1"}


def available_metrics(dataset: Dataset) -> tuple[str, ...]:
    """The final metrics a member trained on ``dataset`` reports."""
    task = getattr(dataset, "task", None)
    if task == "classify":
        return CLASSIFICATION_METRIC_NAMES
    if task == "regress":
        return REGRESSION_METRIC_NAMES
    names = SAMPLE_METRIC_NAMES if dataset.dim == 1 else SAMPLE_METRIC_NAMES_ND
    if dataset.mode_centers() is not None:
        names += MODE_METRIC_NAMES
    if type(dataset).extra_metrics is not Dataset.extra_metrics:
        names += DIGIT_METRIC_NAMES
    return names


def tune_metric(config: StudyConfig) -> str:
    """``[tune].metric``, or the default for the study's kind of data."""
    if config.tune.metric is not None:
        return config.tune.metric
    dataset = config.datasets[0]
    return DEFAULT_METRIC[dataset.task if isinstance(dataset, SupervisedDataset) else None]


def defaults(config: StudyConfig, entry: LossEntry) -> dict[str, Any]:
    """The trial-0 value of every knob a loss may search: its card's knob values (with the
    config's overrides), its optimiser's lr and beta1, and its n_critic."""
    from losslab.study.planner import optimizer_settings

    spec = get_loss(entry.name)
    values: dict[str, Any] = dict(spec.hyperparameters(entry.hparam_overrides))
    opt = optimizer_settings(entry, config.optimizer, spec.optimizer)
    values["lr"] = opt.lr
    if opt.name == "adam":
        values["beta1"] = opt.betas[0]
    if spec.family == "adversarial":
        values["n_critic"] = entry.n_critic or int(spec.training.get("n_critic", 1))
    if spec.family in ("classification", "regression"):
        values["weight_decay"] = opt.weight_decay
    return values


def loss_space(config: StudyConfig, entry: LossEntry) -> dict[str, Search]:
    """The search space of one ``[[losses]]`` entry (see the module docstring)."""
    spec = get_loss(entry.name)
    tune = config.tune
    start = defaults(config, entry)
    space: dict[str, Search] = {
        k: h.search for k, h in spec.card.hyperparameters.items() if h.search is not None
    }
    if tune.lr:
        space["lr"] = Search.log_uniform(start["lr"] * tune.lr[0], start["lr"] * tune.lr[1])
    if tune.beta1 and "beta1" in start:
        space["beta1"] = Search.among(*tune.beta1)
    if tune.n_critic and "n_critic" in start:
        space["n_critic"] = Search.among(*tune.n_critic)
    if tune.weight_decay and "weight_decay" in start:
        space["weight_decay"] = Search.log_uniform(*tune.weight_decay)
    overrides = next(
        (tune.ranges[k] for k in (entry.display, entry.sweep_of, entry.name) if k in tune.ranges),
        {},
    )
    for knob, rng in overrides.items():
        if knob not in start:
            known = ", ".join(sorted(start))
            raise BadInput(
                f"tune.ranges.{entry.display}.{knob}: {entry.name!r} has no knob {knob!r} "
                f"(searchable: {known})"
            )
        if rng is False:
            space.pop(knob, None)
            continue
        search = Search(rng.low, rng.high, rng.log, None if rng.choices is None else
                        tuple(rng.choices))
        _check_inside(entry, knob, search)
        space[knob] = search
    return {k: _containing(s, start[k]) for k, s in space.items()}


def _check_inside(entry: LossEntry, knob: str, search: Search) -> None:
    """A range override must lie inside the knob's valid values."""
    spec = get_loss(entry.name)
    hp = spec.card.hyperparameters.get(knob)
    if hp is None:
        return
    values = search.choices if search.choices is not None else (search.low, search.high)
    for v in values:
        try:
            hp.check(entry.name, knob, v)
        except BadInput as exc:
            raise BadInput(f"tune.ranges.{entry.display}.{knob}: {exc}") from None


def _containing(search: Search, value: Any) -> Search:
    """``search`` widened, if need be, to contain ``value`` (trial 0's)."""
    if search.choices is not None:
        if value in search.choices:
            return search
        return Search.among(value, *search.choices)
    low, high = min(search.low, value), max(search.high, value)
    if search.log and low <= 0:
        return search  # a default of 0 on a log axis: trial 0 is enqueued as given
    return Search(low, high, search.log)


def check_tune(config: StudyConfig, source: str) -> None:
    """Everything ``[tune]`` names must exist: the losses in ``ranges``, their knobs, and a
    metric every dataset reports."""
    tune = config.tune
    names = {n for e in config.losses for n in (e.display, e.name, e.sweep_of) if n}
    for label in tune.ranges:
        if label not in names:
            raise BadInput(
                f"{source}: tune.ranges.{label}: no loss of the study is labelled or named "
                f"{label!r} (losses: {', '.join(e.display for e in config.losses)})"
            )
    try:
        for entry in config.losses:
            loss_space(config, entry)
    except BadInput as exc:
        raise BadInput(f"{source}: {exc}") from None
    metric = tune_metric(config)
    for k, dataset in enumerate(config.datasets):
        names_here = available_metrics(dataset)
        if metric not in names_here:
            where = "data" if len(config.datasets) == 1 else f"data[{k}]"
            raise BadInput(
                f"{source}: tune.metric = {metric!r}: {where} = {dataset.name!r} does not "
                f"report it (it reports: {', '.join(names_here)})"
            )
