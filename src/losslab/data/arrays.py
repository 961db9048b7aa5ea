"""In-memory datasets over the user's rows, for the trainers of the ensemble engine.

They are not registered for study configs (a TOML file cannot hold the user's
array); :mod:`losslab.study.race` builds trainer tasks around them directly.

* :class:`RowsDataset` (generative): :meth:`~RowsDataset.sample` draws rows of the
  training split uniformly with replacement, from the given generator only; its
  mode centres and spread come from the profile's BIC-chosen Gaussian mixture, so
  the trainer's mode metrics work on the user's data.
* :class:`TableClassification` / :class:`TableRegression`: supervised datasets whose
  :meth:`draw` returns the user's rows; :meth:`SupervisedDataset.splits` splits them
  (stratified for classes) from each member's ``split`` stream, and the features
  (and regression targets) are standardised with training-split statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal

import numpy as np
from pydantic import PrivateAttr

from losslab.data.registry import Dataset
from losslab.data.supervised import Splits, SupervisedDataset, standardise

if TYPE_CHECKING:
    from losslab.data.profile import Profile


class RowsDataset(Dataset):
    """The training rows of the user's data (already standardised), as a sampler."""

    name: Literal["user-data"] = "user-data"
    source: str = "<array>"
    _rows: np.ndarray = PrivateAttr()
    _centers: np.ndarray | None = PrivateAttr(default=None)
    _std: float | None = PrivateAttr(default=None)

    @classmethod
    def of(
        cls,
        rows: np.ndarray,
        source: str,
        centers: np.ndarray | None = None,
        std: float | None = None,
    ) -> RowsDataset:
        ds = cls(source=source)
        ds._rows = np.ascontiguousarray(rows, dtype=np.float32)
        ds._centers = None if centers is None else np.asarray(centers, dtype=np.float64)
        ds._std = std
        return ds

    @property
    def dim(self) -> int:
        return int(self._rows.shape[1])

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self._rows[rng.integers(0, len(self._rows), size=int(n))]

    def mode_centers(self) -> np.ndarray | None:
        return self._centers

    def mode_std(self) -> float | None:
        return self._std

    def describe(self) -> str:
        return f"{self.source} ({len(self._rows)} training rows x {self.dim})"


class _Table(SupervisedDataset):
    source: str = "<array>"
    _x: np.ndarray = PrivateAttr()
    _y: np.ndarray = PrivateAttr()
    standardise_targets: ClassVar[bool] = False

    @classmethod
    def of(cls, x: np.ndarray, y: np.ndarray, source: str) -> _Table:
        ds = cls(source=source)
        ds._x, ds._y = np.asarray(x, dtype=np.float64), np.asarray(y)
        return ds

    @property
    def n_features(self) -> int:
        return int(self._x.shape[1])

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def finish(self, splits: Splits) -> Splits:
        return standardise(splits, targets=self.standardise_targets)

    def describe(self) -> str:
        return f"{self.source} ({len(self._y)} rows x {self.n_features})"


class TableClassification(_Table):
    name: Literal["user-classification"] = "user-classification"
    task: ClassVar[str] = "classify"

    @property
    def n_classes(self) -> int:
        return int(self._y.max()) + 1


class TableRegression(_Table):
    name: Literal["user-regression"] = "user-regression"
    task: ClassVar[str] = "regress"
    standardise_targets: ClassVar[bool] = True


class TableCounts(TableRegression):
    """Count targets (non-negative integers), kept raw: a count loss's log link models
    ``log E[y]`` and needs the counts themselves; the features are standardised."""

    name: Literal["user-counts"] = "user-counts"  # type: ignore[assignment]
    standardise_targets: ClassVar[bool] = False


def mixture_modes(
    profile: Profile, x: np.ndarray, mean: np.ndarray, std: np.ndarray
) -> tuple[np.ndarray | None, float | None]:
    """The profile's Gaussian mixture as mode centres ``[K, d]`` and one spread, in the
    units ``(x - mean) / std`` the generator sees; ``(None, None)`` for one mode.

    The profile fits its mixture in whole-data standardised units; the centres are
    mapped back to ``x``'s units, then into the given ones, and the spread is scaled by
    the mean ratio of the two scales."""
    if not profile.multimodal:
        return None, None
    mean_all, std_all = x.mean(0), np.where(x.std(0) > 0, x.std(0), 1.0)
    raw = np.asarray(profile.mode_centers) * std_all + mean_all
    centers = (raw - mean) / std
    scale = float(np.mean(std_all / std))
    return centers, float(np.median(profile.mode_spreads)) * scale


@dataclass(frozen=True)
class GenerativeSplit:
    """Train / validation / test rows for the generative race, standardised with the
    training rows' mean and standard deviation."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    mean: np.ndarray
    std: np.ndarray


def split_rows(x: np.ndarray, seed: int, val: float = 0.2, test: float = 0.2) -> GenerativeSplit:
    """A random split of the rows (from ``seed`` only), standardised with training statistics."""
    rng = np.random.default_rng([seed, 7])
    order = rng.permutation(len(x))
    n_test = max(1, int(round(test * len(x))))
    n_val = max(1, int(round(val * len(x))))
    te, va, tr = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    mean = x[tr].mean(0)
    std = x[tr].std(0)
    std = np.where(std > 0, std, 1.0)

    def z(rows: np.ndarray) -> np.ndarray:
        return ((rows - mean) / std).astype(np.float32)

    return GenerativeSplit(z(x[tr]), z(x[va]), z(x[te]), mean, std)
