"""The dataset registry: every synthetic (or shipped) dataset is a pydantic model
whose fields are its knobs, registered once under its kebab-case ``name``.

A study config holds a field typed :data:`DatasetConfig` (a discriminated union
over every registered dataset, built from the registry when it is accessed), or
calls :func:`make_dataset` on a plain dict. Either way an unknown name or a bad
knob becomes a one-line :class:`~losslab.errors.BadInput` naming the field.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, ClassVar, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from losslab.errors import BadInput


class Dataset(BaseModel):
    """Base of every dataset: validated, immutable knobs plus a sampler.

    Subclasses declare ``name: Literal["..."] = "..."`` (the registry key and the
    union tag) and their knobs as fields, and implement :meth:`sample`.
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    dimension: ClassVar[int] = 1

    #: What the study's members, rankings and report call this dataset (default: its
    #: name, or a data file's file name): needed when one study uses a dataset twice
    #: with different knobs (``[[data]] name = "noisy-labels" label = "asymmetric-40"``).
    label: str | None = Field(None, min_length=1, max_length=80)

    @property
    def dim(self) -> int:
        """Number of coordinates of one sample."""
        return self.dimension

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` samples as a float32 array of shape ``[n, dim]``, drawn from ``rng`` only."""
        raise NotImplementedError

    def mode_centers(self) -> np.ndarray | None:
        """The ``[K, dim]`` centres of the distribution's modes, or None if it has none."""
        return None

    def mode_std(self) -> float | None:
        """The standard deviation of each mode (for the 3-sigma rule), or None."""
        return None

    def extra_metrics(self, generated: np.ndarray) -> dict[str, float]:
        """Metrics only this dataset can compute on ``generated`` ``[n, dim]`` samples
        (for example a classifier's verdict on images); none by default."""
        return {}

    def evaluation_notes(self) -> dict[str, str]:
        """Facts about how this dataset's extra metrics are measured that a report should
        state (e.g. the accuracy of the classifier that scores images); none by default."""
        return {}

    def describe(self) -> str:
        """One line saying what the dataset is."""
        knobs = ", ".join(
            f"{k}={v!r}" for k, v in self.model_dump().items() if k not in ("name", "label")
        )
        return f"{self.name}({knobs})"  # type: ignore[attr-defined]


def dataset_label(dataset: Any) -> str:
    """A dataset's name in members, rankings and reports: its ``label`` when given, a data
    file's file name, else the registry name."""
    return (
        getattr(dataset, "label", None)
        or getattr(dataset, "default_label", lambda: None)()
        or dataset.name
    )


DATASETS: dict[str, type[Dataset]] = {}


def register_dataset(cls: type[Dataset]) -> type[Dataset]:
    """Class decorator: register ``cls`` under the default of its ``name`` field."""
    field = cls.model_fields.get("name")
    if field is None or not isinstance(field.default, str):
        raise TypeError(f"{cls.__name__} needs a field name: Literal['...'] = '...'")
    if field.default in DATASETS:
        raise ValueError(f"dataset {field.default!r} registered twice")
    DATASETS[field.default] = cls
    return cls


@cache
def _config_type(classes: tuple[type[Dataset], ...]) -> Any:
    if len(classes) == 1:  # a one-member Union collapses, and a discriminator needs a union
        return classes[0]
    return Annotated[Union[classes], Field(discriminator="name")]  # noqa: UP007


@cache
def _adapter(classes: tuple[type[Dataset], ...]) -> TypeAdapter[Any]:
    return TypeAdapter(_config_type(classes))


def dataset_config_type() -> Any:
    """The discriminated union over the datasets registered so far."""
    if not DATASETS:
        raise RuntimeError("no dataset registered")
    return _config_type(tuple(DATASETS.values()))


def __getattr__(name: str) -> Any:
    # DatasetConfig is computed on access so that it covers every dataset module
    # imported by then (losslab.data imports the built-in ones).
    if name == "DatasetConfig":
        return dataset_config_type()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _format_loc(prefix: str, loc: tuple[int | str, ...]) -> str:
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def describe_validation_error(error: ValidationError, prefix: str = "data") -> str:
    """One line for a validation error of a dataset config, e.g.
    ``data.std = -1: Input should be greater than 0``.

    The union tag pydantic puts first in each error location is dropped.
    """
    known = ", ".join(repr(n) for n in DATASETS)
    lines = []
    for err in error.errors(include_url=False):
        kind, loc, msg = err["type"], tuple(err["loc"]), err["msg"]
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            given = err["input"].get("name") if isinstance(err["input"], dict) else None
            what = f"unknown dataset {given!r}" if given is not None else "dataset has no name"
            lines.append(f"{prefix}.name: {what} (known: {known})")
            continue
        if kind == "model_attributes_type" or kind == "dict_type":
            lines.append(
                f"{prefix} = {err['input']!r}: expected a table with a name (known: {known})"
            )
            continue
        if loc and isinstance(loc[0], str) and loc[0] in DATASETS:
            loc = loc[1:]
        msg = msg.removeprefix("Value error, ")
        path = _format_loc(prefix, loc)
        if kind == "missing" or not loc:
            lines.append(f"{path}: {msg}")
        else:
            lines.append(f"{path} = {err['input']!r}: {msg}")
    return "; ".join(line.replace("\n", " ") for line in lines)


def make_dataset(params: dict[str, Any]) -> Dataset:
    """Validate ``params`` (``{"name": ..., knobs...}``) into the registered dataset.

    Raises :class:`BadInput` with one line naming the field and value at fault.
    """
    if isinstance(params, Dataset):
        return params
    adapter = _adapter(tuple(DATASETS.values()))
    try:
        return adapter.validate_python(params)
    except ValidationError as error:
        raise BadInput(describe_validation_error(error)) from None
