"""A dataset read from the user's file, for study configs: ``[data] name = "file"``.

::

    [data]                      # a generative study on the rows of a file
    name = "file"
    path = "ring.csv"           # relative to the config file (to the cwd for a dict)
    columns = ["x", "y"]        # optional: the columns to use (default: all)

    [data]                      # a supervised study
    name = "file"
    path = "cancer.csv"
    task = "classify"           # or "regress"
    target = "label"            # the column to predict; the others are features

``format`` (``csv tsv npy npz parquet``) overrides the format the suffix gives;
``drop_invalid`` / ``drop_constant`` drop rows with missing values / constant columns
instead of refusing them. The file is read and validated by :mod:`losslab.data.files`
(the loader of ``losslab recommend``, with its one-line errors) when the config is
validated, and once per process after that.

* ``task = "generate"`` (the default): every row is a sample. Rows are standardised with
  the file's column means and standard deviations (``standardise = false`` keeps the
  file's units); training batches and the reference samples the metrics compare with
  are drawn from the rows uniformly with replacement, from the member's own stream.
  The mode centres and spread of the mode metrics are the profile's Gaussian mixture
  (:func:`losslab.data.profile.profile`, BIC-chosen), as in ``losslab recommend``.
* ``task = "classify"`` / ``"regress"``: the rows are split into train / validation /
  test parts from the member's ``split`` stream, stratified by class for
  classification, like the built-in supervised sets; features are standardised with
  training-split statistics, and so are regression targets (metrics such as MSE are
  then in units of the target's training standard deviation; the report says so).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from losslab.data.registry import Dataset, dataset_label, register_dataset
from losslab.data.supervised import Splits, SupervisedDataset, standardise
from losslab.errors import BadInput

Fraction = Annotated[float, Field(gt=0, lt=1, strict=False)]

# recommend's messages name its command-line options; a config names its fields
_CONFIG_WORDS = (
    ("--task classify", 'task = "classify"'),
    ("--task regress", 'task = "regress"'),
    ("needs --target COL", 'needs target = "COLUMN"'),
    ("--columns names", "columns names"),
    ("with --columns A,B,...", 'with columns = ["A", "B", ...]'),
    ("pass --drop-invalid", "set drop_invalid = true"),
    ("pass --drop-constant", "set drop_constant = true"),
)


def config_words(message: str) -> str:
    """A loader message with the command line's option names replaced by config fields."""
    for option, field in _CONFIG_WORDS:
        message = message.replace(option, field)
    return message


@lru_cache(maxsize=16)
def _read(key: tuple) -> Any:
    from losslab.data.files import read_frame, validate

    path, fmt, columns, task, target, drop_invalid, drop_constant = key[:7]
    try:
        frame = read_frame(path, fmt)
        return validate(
            frame, path, task, target, None if columns is None else list(columns),
            drop_invalid, drop_constant,
        )
    except BadInput as exc:
        raise BadInput(config_words(str(exc))) from None


@lru_cache(maxsize=16)
def _profile(key: tuple) -> Any:
    from losslab.data.profile import profile

    return profile(_read(key), "generate", seed=0)


@register_dataset
class FileData(Dataset):
    """The rows of the user's file (CSV/TSV, NPY/NPZ, Parquet). Validated as this class;
    ``task = "classify"`` / ``"regress"`` become :class:`FileClassification` /
    :class:`FileRegression`, the supervised datasets the trainer splits."""

    name: Literal["file"] = "file"
    path: Annotated[str, Field(min_length=1)]
    format: Literal["csv", "tsv", "npy", "npz", "parquet"] | None = None
    columns: Annotated[list[str], Field(min_length=1)] | None = None
    task: Literal["generate", "classify", "regress"] = "generate"
    target: str | None = None
    standardise: bool = True  # generative rows: by the file's column means and stds
    drop_invalid: bool = False
    drop_constant: bool = False
    val_fraction: Fraction = 0.2  # supervised splits only
    test_fraction: Fraction = 0.2
    # regress only: false keeps the target in its own units (counts for a log-link loss)
    standardise_target: bool = True

    @model_validator(mode="after")
    def _fields_fit_task(self) -> FileData:
        supervised = self.task in ("classify", "regress")
        if supervised and self.target is None:
            raise ValueError(f'task = "{self.task}" needs target = "COLUMN", the column to predict')
        # a stored config holds every field at its value: only a non-default one is refused
        defaults = {k: f.default for k, f in type(self).model_fields.items()}
        if not supervised:
            for knob in ("target", "val_fraction", "test_fraction"):
                if getattr(self, knob) != defaults[knob]:
                    raise ValueError(
                        f'{knob} applies to task = "classify" or "regress" (this study '
                        'generates samples: task = "generate")'
                    )
        elif not self.standardise:
            raise ValueError(
                'standardise applies to task = "generate" (supervised features are always '
                "standardised with training-split statistics; standardise_target = false "
                "keeps a regression target in its units)"
            )
        if self.task != "regress" and not self.standardise_target:
            raise ValueError(
                f'standardise_target applies to task = "regress" (this study has task = '
                f'"{self.task}")'
            )
        if supervised and self.val_fraction + self.test_fraction > 0.8:
            raise ValueError(
                f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} "
                "leaves under 20% of the data for training; must be <= 0.8"
            )
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _by_task(cls, data: Any, handler: Any) -> Any:
        made = handler(data)
        if cls is FileData and isinstance(made, FileData) and made.task != "generate":
            kind = FileClassification if made.task == "classify" else FileRegression
            return kind.model_construct(made.model_fields_set, **made.model_dump())
        return made

    # -- reading --------------------------------------------------------------
    def _key(self) -> tuple:
        path = Path(self.path)
        try:
            stat = path.stat()
            stamp: tuple = (stat.st_mtime_ns, stat.st_size)
        except OSError:
            stamp = ()
        columns = None if self.columns is None else tuple(self.columns)
        return (str(path), self.format, columns, self.task, self.target,
                self.drop_invalid, self.drop_constant, *stamp)

    def table(self) -> Any:
        """The file read and validated (:class:`losslab.data.files.Table`), once per
        process; :class:`BadInput` with one line naming the file and the problem."""
        return _read(self._key())

    def default_label(self) -> str:
        """What the study's members, rankings and report call this dataset unless it has
        a ``label``: the file name."""
        return Path(self.path).name

    # -- generative -------------------------------------------------------------
    def _scale(self) -> tuple[np.ndarray, np.ndarray]:
        x = self.table().x
        if not self.standardise:
            return np.zeros(x.shape[1]), np.ones(x.shape[1])
        std = x.std(0)
        return x.mean(0), np.where(std > 0, std, 1.0)

    def rows(self) -> np.ndarray:
        """The samples as float32 ``[n, d]``: the file's rows, standardised unless
        ``standardise = false``."""
        mean, std = self._scale()
        return np.ascontiguousarray((self.table().x - mean) / std, dtype=np.float32)

    @property
    def dim(self) -> int:
        return self.table().dim

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        rows = self.rows()
        return rows[rng.integers(0, len(rows), size=int(n))]

    def _modes(self) -> tuple[np.ndarray | None, float | None]:
        from losslab.data.arrays import mixture_modes

        mean, std = self._scale()
        return mixture_modes(_profile(self._key()), self.table().x, mean, std)

    def mode_centers(self) -> np.ndarray | None:
        return self._modes()[0]

    def mode_std(self) -> float | None:
        return self._modes()[1]

    def evaluation_notes(self) -> dict[str, str]:
        if not self.standardise:
            return {}
        return {f"data {dataset_label(self)}": "rows standardised with the file's column means and "
                "standard deviations; sample metrics are in those units"}

    def describe(self) -> str:
        t = self.table()
        how = "standardised by the file's means and stds" if self.standardise else "raw units"
        return f"{self.path} ({t.n} rows x {t.dim} columns, {how})"


class _FileSupervised(FileData, SupervisedDataset):
    """The file's rows as a supervised dataset: :meth:`draw` returns them, and
    :meth:`SupervisedDataset.splits` splits them from the member's stream."""

    @property
    def n_features(self) -> int:
        return self.table().dim

    @property
    def dim(self) -> int:
        return self.n_features

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        t = self.table()
        return t.x, t.y

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return SupervisedDataset.sample(self, n, rng)

    def mode_centers(self) -> np.ndarray | None:
        return None

    def mode_std(self) -> float | None:
        return None


class FileClassification(_FileSupervised):
    """A file's rows with class labels in ``target`` (any values; indexed in sorted order)."""

    @property
    def n_classes(self) -> int:
        return len(self.table().classes)

    def finish(self, splits: Splits) -> Splits:
        return standardise(splits)

    def evaluation_notes(self) -> dict[str, str]:
        return {}

    def describe(self) -> str:
        t = self.table()
        return (f"{self.path} ({t.n} rows x {t.dim} features, {len(t.classes)} classes in "
                f"{self.target!r}; features standardised with training-split statistics)")


class FileRegression(_FileSupervised):
    """A file's rows with a numeric ``target``; features standardised with training-split
    statistics, and the target too (as recommend's regression race does) unless
    ``standardise_target = false``, which keeps it in its own units: what a count loss
    (``poisson-nll``, ``tweedie-nll``, log link) needs."""

    def finish(self, splits: Splits) -> Splits:
        return standardise(splits, targets=self.standardise_target)

    def evaluation_notes(self) -> dict[str, str]:
        if not self.standardise_target:
            return {
                f"data {dataset_label(self)}": f"target {self.target!r} kept in its own units "
                "(standardise_target = false); regression metrics are in those units"
            }
        return {
            f"data {dataset_label(self)}": f"target {self.target!r} standardised with the "
            "training split's mean and standard deviation; regression metrics are in those units"
        }

    def describe(self) -> str:
        t = self.table()
        target = "standardised too" if self.standardise_target else "kept in its own units"
        return (f"{self.path} ({t.n} rows x {t.dim} features standardised with training-split "
                f"statistics; target {self.target!r} {target})")


def resolve_paths(raw: Any, base: Path) -> Any:
    """A raw config's ``[data]`` / ``[[data]]`` with each relative file ``path`` made
    absolute against ``base`` (the config file's folder, or the cwd for a dict)."""
    if not isinstance(raw, dict) or "data" not in raw:
        return raw
    data = raw["data"]

    def fix(table: Any) -> Any:
        if isinstance(table, dict) and table.get("name") == "file" and isinstance(
            table.get("path"), str
        ) and table["path"]:
            path = Path(table["path"]).expanduser()
            return {**table, "path": str(path if path.is_absolute() else base / path)}
        return table

    fixed = [fix(t) for t in data] if isinstance(data, list) else fix(data)
    return {**raw, "data": fixed}


