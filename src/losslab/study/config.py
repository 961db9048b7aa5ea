"""The study config: a TOML file validated with pydantic.

Every problem is reported as one line naming the file, the field and the value
(``BadInput``, exit code 2). A minimal config::

    [study]
    name = "seed-1d"
    seeds = 8

    [data]
    name = "gaussian"      # any registered dataset; its knobs sit beside the name

    [[losses]]
    name = "nonsaturating-bce"

    [[losses]]
    name = "wgan-gp"
    gp_weight = 10.0       # a loss's hyper-parameters sit beside its name

A knob given as a list is a sweep: ``gp_weight = [0.1, 1, 10]`` expands into one entry
per value, labelled ``"wgan-gp gp_weight=0.1"`` and so on (several lists: every
combination). ``[data] name = "file"`` reads the user's file (see
:mod:`losslab.data.filedata`); its ``path`` is relative to the config file.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from itertools import product
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from losslab.data.filedata import FileData, resolve_paths
from losslab.data.registry import DatasetConfig, dataset_label
from losslab.errors import BadInput
from losslab.losses import get_loss
from losslab.nets import ACTIVATIONS
from losslab.study.bounds import check_finite_knobs, check_study

MAX_SEED = 2**32 - 1
PositiveInt = Annotated[int, Field(gt=0)]
PositiveFloat = Annotated[float, Field(gt=0, strict=False)]
Unit = Annotated[float, Field(ge=0, lt=1, strict=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class StudyMeta(_Strict):
    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    seeds: PositiveInt = 8
    seed: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _seed_in_range(self) -> StudyMeta:
        if self.seed > MAX_SEED:  # numpy's legacy seeds and scikit-learn's random_state
            raise ValueError(f"seed = {self.seed}: must be between 0 and 2**32 - 1")
        return self


class NetConfig(_Strict):
    hidden: Annotated[list[PositiveInt], Field(min_length=1)] = [32, 32]
    activation: Literal[tuple(ACTIVATIONS)] = "leaky_relu"  # type: ignore[valid-type]
    batch_norm: bool = False  # batch normalisation before each hidden activation
    maxout: Annotated[int, Field(ge=1)] = 1  # k > 1: maxout units with k pieces
    init: Literal["pytorch", "normal"] = "pytorch"  # normal: N(0, init_std^2), zero bias
    init_std: PositiveFloat = 0.02

    @model_validator(mode="after")
    def _finite(self) -> NetConfig:
        if not math.isfinite(self.init_std):
            raise ValueError(f"init_std = {self.init_std}: must be a finite number")
        return self


class ModelConfig(_Strict):
    """Adversarial losses use ``latent_dim``, ``generator`` and ``discriminator`` (EBGAN's
    autoencoder has the discriminator's hidden layers, mirrored in its decoder); energy,
    diffusion and supervised losses use ``network``."""

    latent_dim: PositiveInt = 4
    generator: NetConfig = NetConfig()
    discriminator: NetConfig = NetConfig()
    network: NetConfig = NetConfig(hidden=[64, 64], activation="relu")


class TrainConfig(_Strict):
    steps: PositiveInt = 2000
    batch_size: PositiveInt = 128
    eval_every: PositiveInt = 250
    eval_samples: Annotated[int, Field(ge=100)] = 5000
    record_every: PositiveInt | None = None  # default: about 500 points per series
    max_ensemble: PositiveInt = 64
    # None: fresh samples every step; N: a fixed training set of N points per member
    data_points: PositiveInt | None = None
    device: Literal["cpu", "cuda"] = "cpu"

    @property
    def record_interval(self) -> int:
        return self.record_every or max(1, self.steps // 500)


class OptimizerConfig(_Strict):
    name: Literal["adam", "rmsprop"]
    lr: PositiveFloat
    betas: Annotated[list[Unit], Field(min_length=2, max_length=2)] = [0.9, 0.999]
    alpha: Unit = 0.99
    eps: PositiveFloat = 1e-8
    # decoupled (AdamW-style, Loshchilov & Hutter 2019): theta <- (1 - lr * wd) theta
    weight_decay: Annotated[float, Field(ge=0.0)] = 0.0

    @model_validator(mode="after")
    def _finite(self) -> OptimizerConfig:
        for name in ("lr", "eps", "weight_decay"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} = {getattr(self, name)}: must be a finite number")
        return self


class LossEntry(BaseModel):
    """A loss in the study. Keys other than these are the loss's hyper-parameters."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)
    name: str
    label: str | None = None
    n_critic: PositiveInt | None = None
    optimizer: OptimizerConfig | None = None
    # set by a sweep's expansion: the label (or name) of the entry it came from, so that
    # [tune.ranges.<that>] applies to each of its values
    sweep_of: str | None = None

    @property
    def hparam_overrides(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    @property
    def display(self) -> str:
        return self.label or self.name


class RangeOverride(_Strict):
    """A ``[tune.ranges.<loss>]`` entry: a range (``low``, ``high``, ``log``) or ``choices``."""

    low: float | None = Field(default=None, strict=False)
    high: float | None = Field(default=None, strict=False)
    log: bool = False
    choices: Annotated[list[float | str], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> RangeOverride:
        if self.choices is not None:
            if self.low is not None or self.high is not None or self.log:
                raise ValueError("give either choices or low/high, not both")
            return self
        if self.low is None or self.high is None:
            raise ValueError("a range needs both low and high (or give choices)")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ValueError(f"the range [{self.low}, {self.high}] must be finite")
        if self.low >= self.high:
            raise ValueError(f"the range [{self.low}, {self.high}] is empty or inverted")
        if self.log and self.low <= 0:
            raise ValueError(f"a log range needs low > 0, got low = {self.low}")
        return self


class TuneConfig(_Strict):
    """``[tune]``: search every loss's knobs and optimiser with the same number of trials.

    Trial 0 of every loss is its paper defaults. Trials train on ``search_seeds`` seeds
    that the final round never uses; the best setting of every loss (by ``metric``) and its
    defaults are then retrained on the study's ``seeds``, and only those are ranked.
    """

    trials: Annotated[int, Field(ge=0)] = 0
    sampler: Literal["random", "qmc", "tpe"] = "random"
    metric: str | None = None  # default: w1 (generative), balanced_accuracy, mse
    search_seeds: PositiveInt = 1
    batch: PositiveInt = 4  # trials asked at once by tpe (random and qmc ask all at once)
    # the optimiser, searched for every loss: lr as factors of the loss's default lr
    # (log-uniform), Adam's beta1 and adversarial n_critic from sets; [] = not searched
    lr: Annotated[list[PositiveFloat], Field(max_length=2)] = [0.1, 10.0]
    beta1: list[Unit] = [0.0, 0.5, 0.9]
    n_critic: list[PositiveInt] = [1, 2, 5]
    # decoupled weight decay for supervised losses (classification, regression):
    # log-uniform over [low, high]; trial 0 keeps the study's own (0 unless set)
    weight_decay: Annotated[list[PositiveFloat], Field(max_length=2)] = [1e-5, 1e-1]
    # per loss (its label or name): a knob's range, or false to keep it at its value
    ranges: dict[str, dict[str, RangeOverride | Literal[False]]] = {}

    @model_validator(mode="after")
    def _lr_range(self) -> TuneConfig:
        if self.lr and (len(self.lr) != 2 or self.lr[0] >= self.lr[1]):
            raise ValueError(f"lr = {self.lr} must be [low_factor, high_factor] with low < high")
        wd = self.weight_decay
        if wd and (len(wd) != 2 or wd[0] >= wd[1] or not all(map(math.isfinite, wd))):
            raise ValueError(f"weight_decay = {wd} must be [low, high] with low < high")
        return self


class StudyConfig(_Strict):
    study: StudyMeta
    data: DatasetConfig | Annotated[list[DatasetConfig], Field(min_length=1)]
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    optimizer: OptimizerConfig | None = None  # overrides every loss's paper default
    losses: Annotated[list[LossEntry], Field(min_length=1)]
    tune: TuneConfig = TuneConfig()
    # plug-in loss files (relative to the config file) or installed modules, loaded before
    # the losses are validated (losslab.plugins)
    plugins: list[str] = []

    @property
    def datasets(self) -> list[Any]:
        """The study's datasets (``[data]`` or ``[[data]]``), in config order."""
        return list(self.data) if isinstance(self.data, list) else [self.data]

    @model_validator(mode="after")
    def _labels_unique(self) -> StudyConfig:
        named: dict[str, int] = {}
        for k, dataset in enumerate(self.datasets):
            label = dataset_label(dataset)
            if label in named:
                raise ValueError(
                    f"data[{k}]: {label!r} is also data[{named[label]}]; give one a distinct "
                    "`label` (results are kept per dataset label)"
                )
            named[label] = k
        seen: set[str] = set()
        for i, entry in enumerate(self.losses):
            if entry.display in seen:
                raise ValueError(
                    f"losses[{i}]: {entry.display!r} appears twice; give one a distinct `label`"
                )
            seen.add(entry.display)
        return self


def load_config(
    path: str | Path, overrides: dict[str, dict[str, Any]] | None = None
) -> StudyConfig:
    """Read, override (``{"train": {"steps": 10}}``) and validate a study config."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"config file not found: {path}")
    try:
        raw = tomllib.loads(path.read_text())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not valid TOML: {exc}") from None
    for section, values in (overrides or {}).items():
        current = raw.get(section, {})
        if not isinstance(current, dict):
            raise BadInput(f"{path}: [{section}] must be a table")
        raw[section] = {**current, **values}
    return validate_config(raw, source=str(path), base=path.parent)


def load_study_config(
    path: str | Path | Mapping[str, Any],
    seeds: int | None = None,
    steps: int | None = None,
    device: str | None = None,
    tune: int | None = None,
    sampler: str | None = None,
) -> StudyConfig:
    """:func:`load_config` with the command line's overrides: ``seeds`` (study.seeds),
    ``steps`` (train.steps), ``device`` (train.device), ``tune`` and ``sampler``
    (``[tune].trials``, ``[tune].sampler``). ``path`` may also be the config itself, as a
    dict (a file ``path`` in its ``[data]`` is then relative to the current folder)."""
    overrides: dict[str, dict[str, Any]] = {}
    for section, key, value in (
        ("study", "seeds", seeds), ("train", "steps", steps), ("train", "device", device),
        ("tune", "trials", tune), ("tune", "sampler", sampler),
    ):
        if value is not None:
            overrides.setdefault(section, {})[key] = value
    if not isinstance(path, Mapping):
        return load_config(path, overrides)
    raw = dict(path)
    for section, values in overrides.items():
        current = raw.get(section, {})
        if not isinstance(current, Mapping):
            raise BadInput(f"{DICT_SOURCE}: [{section}] must be a table")
        raw[section] = {**current, **values}
    return validate_config(raw, source=DICT_SOURCE)


DICT_SOURCE = "config (dict)"
"""How messages name a config given as a dict rather than a file."""


def validate_config(
    raw: Mapping[str, Any], source: str = "config", base: str | Path | None = None
) -> StudyConfig:
    """``raw`` (a parsed TOML file or a dict) as a :class:`StudyConfig`, or
    :class:`BadInput` with one line. Sweeps expand first; a file ``path`` in ``[data]``
    is relative to ``base`` (the config file's folder; default the current folder) and
    the file is read and validated here, so a bad file fails before any work."""
    raw = resolve_paths(dict(raw), Path.cwd() if base is None else Path(base))
    _load_plugins(raw.get("plugins", []), source, base)
    raw, origin = expand_sweeps(raw, source)
    try:
        config = StudyConfig.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(f"{source}: {_one_line(exc)}") from None
    families = {}
    for i, entry in enumerate(config.losses):
        where = f"{source}: losses[{origin[i]}]"
        if entry.sweep_of is not None:
            where += f" ({entry.display})"
        try:
            spec = get_loss(entry.name)
            hparams = spec.hyperparameters(entry.hparam_overrides)
        except BadInput as exc:
            raise BadInput(f"{where}: {exc}") from None
        check_finite_knobs(entry.name, hparams, where)
        families[entry.name] = spec.family
    _check_files(config, source)
    _check_families(config, families, source)
    from losslab.study.space import check_tune  # space builds on this module's types

    check_tune(config, source)
    check_study(config, source)  # dimensions, batch vs data, memory: before any work
    return config


def _load_plugins(plugins: Any, source: str, base: str | Path | None) -> None:
    """Load the config's ``plugins`` (files relative to ``base``, or module names) so that
    their losses validate like built-in ones; a bad plug-in is one line naming it."""
    if not isinstance(plugins, list) or not all(isinstance(p, str) for p in plugins):
        raise BadInput(f"{source}: plugins must be a list of file paths or module names")
    if plugins:
        from losslab.plugins import load_plugins

        try:
            load_plugins(plugins, base)
        except BadInput as exc:
            raise BadInput(f"{source}: {exc}") from None


_ENTRY_FIELDS = {"name", "label", "optimizer", "sweep_of"}  # never swept


def expand_sweeps(raw: dict[str, Any], source: str) -> tuple[dict[str, Any], list[int]]:
    """``raw`` with every ``[[losses]]`` entry whose knobs (or ``n_critic``) hold lists
    expanded into one entry per value (several lists: the cartesian product, in the order
    written), each labelled ``"<label or name> knob=value ..."``; and, per resulting
    entry, the position of the entry it came from (for messages)."""
    losses = raw.get("losses")
    if not isinstance(losses, list):
        return raw, []
    out: list[Any] = []
    origin: list[int] = []
    for i, entry in enumerate(losses):
        swept = {} if not isinstance(entry, dict) else {
            k: v for k, v in entry.items() if k not in _ENTRY_FIELDS and isinstance(v, list)
        }
        if not swept:
            out.append(entry)
            origin.append(i)
            continue
        for knob, values in swept.items():
            where = f"{source}: losses[{i}].{knob} = {values!r}"
            if not values:
                raise BadInput(f"{where}: a sweep needs at least one value")
            if any(isinstance(v, list | dict) for v in values):
                raise BadInput(f"{where}: a sweep lists single values (numbers or choices)")
            if len({repr(v) for v in values}) != len(values):
                raise BadInput(f"{where}: a value appears twice")
        base = entry.get("label") or entry.get("name")
        if not isinstance(base, str):
            out.append(entry)  # no usable name: the schema's message names the problem
            origin.append(i)
            continue
        for values in product(*swept.values()):
            knobs = dict(zip(swept, values, strict=True))
            label = " ".join([base, *(f"{k}={_shown(v)}" for k, v in knobs.items())])
            out.append({**entry, **knobs, "label": label, "sweep_of": base})
            origin.append(i)
    return {**raw, "losses": out}, origin


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value).lower() if isinstance(value, bool) else str(value)


def _check_files(config: StudyConfig, source: str) -> None:
    """Read and validate every data file now: one line naming the file and the problem."""
    for k, dataset in enumerate(config.datasets):
        if isinstance(dataset, FileData):
            where = "data" if len(config.datasets) == 1 else f"data[{k}]"
            try:
                dataset.table()
            except BadInput as exc:
                raise BadInput(f"{source}: {where}: {exc}") from None


# which losses a dataset's task accepts
_TASK_FAMILIES = {"classify": {"classification"}, "regress": {"regression"}}
_GENERATIVE_FAMILIES = {"adversarial", "energy", "diffusion"}


def _check_families(config: StudyConfig, families: dict[str, str], source: str) -> None:
    """Every loss must fit every dataset: generative losses on samples, classification
    losses on labelled classes, regression losses on numeric targets."""
    for k, dataset in enumerate(config.datasets):
        task = getattr(dataset, "task", None)
        task = task if task in _TASK_FAMILIES else None  # a data file's "generate" too
        allowed = _TASK_FAMILIES.get(task, _GENERATIVE_FAMILIES)
        where = "data" if len(config.datasets) == 1 else f"data[{k}]"
        for i, entry in enumerate(config.losses):
            if families[entry.name] not in allowed:
                kind = f"a {task} dataset" if task else "a generative (sample) dataset"
                raise BadInput(
                    f"{source}: losses[{i}].name = {entry.name!r} ({families[entry.name]}) "
                    f"does not fit {where} = {dataset.name!r}, {kind}; "
                    f"use {' or '.join(sorted(allowed))} losses"
                )
        if task == "regress":
            _check_count_targets(config, dataset, where, source)


def _check_count_targets(config: StudyConfig, dataset: Any, where: str, source: str) -> None:
    """A count loss (``training["targets"] == "non-negative"``) needs targets >= 0 in every
    split, as the model sees them (after any standardisation): checked on one draw of the
    splits before anything trains, so the study is refused in one line instead of every
    member of the ensemble failing."""
    counts = [
        (i, e.name) for i, e in enumerate(config.losses)
        if get_loss(e.name).training.get("targets") == "non-negative"
    ]
    if not counts:
        return
    s = dataset.splits(np.random.default_rng(config.study.seed))
    low = min(float(np.min(y)) for y in (s.y_train, s.y_val, s.y_test))
    if low < 0:
        i, name = counts[0]
        hint = (
            "; set standardise_target = false to keep a file's counts in their units"
            if getattr(dataset, "name", None) == "file"
            else ""
        )
        raise BadInput(
            f"{source}: losses[{i}].name = {name!r} needs non-negative targets (counts), but "
            f"{where} = {dataset_label(dataset)!r} has targets down to {low:g}{hint}"
        )


def _one_line(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False)
    # `data` is a table or a list of tables: report the error of the shape given
    shape = ("model_attributes_type", "dict_type", "list_type")
    err = next((e for e in errors if e["type"] not in shape), errors[0])
    loc = _format_loc(err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        return f"{loc}: required field is missing"
    if err["type"] == "extra_forbidden":
        return f"{loc}: unknown field"
    if err["type"] == "union_tag_invalid":
        return f"{loc}: {msg}"
    if loc and isinstance(err["input"], dict):  # a whole table's problem: not its dump
        return f"{loc}: {msg}"
    if loc:
        return f"{loc} = {err['input']!r}: {msg}"
    return msg


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and loc[0] == "data" and i == 1:
            continue  # the dataset union's tag, e.g. data.gaussian.std -> data.std
        elif "[" in part or part == "RangeOverride":
            continue  # a validator's or a union member's tag, e.g. function-after[...]
        else:
            out += f".{part}" if out else str(part)
    return out
