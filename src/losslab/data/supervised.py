"""Supervised datasets: (x, y) with train / validation / test splits, each one
stressing the choice of loss in one way.

Classification (``task = "classify"``, integer labels ``0 .. K-1``):

====================  ===========================================================
``blobs``             balanced Gaussian classes, well separated: the easy case
``blobs-imbalanced``  the same with class sizes falling geometrically (``ratio``)
``noisy-labels``      a fraction of training/validation labels flipped; test clean
``overlapping``       classes that overlap: the Bayes error is large
``digits``            8x8 handwritten digits, 10 classes (scikit-learn, bundled)
``iris``              the iris flowers, 3 classes, 150 samples (bundled)
``wine``              wine cultivars, 3 classes, 178 samples (bundled)
====================  ===========================================================

Regression (``task = "regress"``, real targets):

====================  ===========================================================
``linear-gaussian``   y = x.w + Gaussian noise: MSE's home ground
``outliers``          the same with gross errors in the train/val targets only
``student-t-noise``   heavy-tailed noise everywhere (Student-t, ``df``)
``heteroscedastic``   noise standard deviation grows with |x_0|
``diabetes``          the diabetes progression data (scikit-learn, bundled)
====================  ===========================================================

:meth:`SupervisedDataset.splits` draws everything from the generator it is
given, in a fixed order: the clean data, a split (stratified by class for
classification), then the corruption of the training and validation splits.
The trainer passes each member's ``split`` stream, so members that share a
seed share their split whatever their loss. Split sizes depend only on the
knobs, never on the draw. The bundled sets are standardised with statistics
of the training split only (no leakage); scikit-learn ships them, nothing is
downloaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from losslab.data.registry import Dataset, register_dataset
from losslab.errors import BadInput


@dataclass(frozen=True)
class Splits:
    """Train / validation / test arrays: x float32 ``[n, F]``; y int64 (classes) or
    float32 (targets) ``[n]``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    def replace(self, **arrays: np.ndarray) -> Splits:
        return Splits(**{**self.__dict__, **arrays})


class SupervisedDataset(Dataset):
    """Base of the supervised datasets: knobs, and :meth:`splits` instead of ``sample``.

    Subclasses set ``task`` and implement :meth:`draw` (all samples, clean);
    they may override :meth:`corrupt` (train/val only) and :meth:`finish`.
    """

    task: ClassVar[str]  # "classify" | "regress"
    val_fraction: float = Field(0.2, gt=0, lt=1)
    test_fraction: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _training_data_left(self) -> SupervisedDataset:
        if self.val_fraction + self.test_fraction > 0.8:
            raise ValueError(
                f"val_fraction + test_fraction = {self.val_fraction + self.test_fraction:g} "
                "leaves under 20% of the data for training; must be <= 0.8"
            )
        return self

    @property
    def n_features(self) -> int:
        raise NotImplementedError

    @property
    def n_classes(self) -> int:
        raise TypeError(f"dataset {self.name!r} is a regression dataset: no classes")  # type: ignore[attr-defined]

    @property
    def dim(self) -> int:
        return self.n_features

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Every sample ``(x [n, F], y [n])``, clean, before splitting."""
        raise NotImplementedError

    def corrupt(self, splits: Splits, rng: np.random.Generator) -> Splits:
        """Corrupt the training and validation splits (never the test split)."""
        return splits

    def finish(self, splits: Splits) -> Splits:
        """Last touches after corruption (standardisation of the bundled sets)."""
        return splits

    def splits(self, rng: np.random.Generator) -> Splits:
        """Draw the data and split it, from ``rng`` only."""
        x, y = self.draw(rng)
        parts = _split(x, y, self.val_fraction, self.test_fraction, rng, self.task == "classify")
        parts = self.finish(self.corrupt(parts, rng))
        y_type = np.int64 if self.task == "classify" else np.float32

        def cast(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return np.ascontiguousarray(x, np.float32), np.ascontiguousarray(y, y_type)

        return Splits(
            *cast(parts.x_train, parts.y_train),
            *cast(parts.x_val, parts.y_val),
            *cast(parts.x_test, parts.y_test),
        )

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise BadInput(
            f"dataset {self.name!r} is a supervised ({self.task}) dataset: it provides "  # type: ignore[attr-defined]
            "labelled splits, not samples; use it in a classification or regression study"
        )


def _split(
    x: np.ndarray,
    y: np.ndarray,
    val_fraction: float,
    test_fraction: float,
    rng: np.random.Generator,
    stratify: bool,
) -> Splits:
    """Random train/val/test split; per class when ``stratify`` (sizes fixed by the counts)."""
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    train, val, test = [], [], []
    for idx in groups:
        idx = rng.permutation(idx)
        n_test = int(round(test_fraction * len(idx)))
        n_val = int(round(val_fraction * len(idx)))
        test.append(idx[:n_test])
        val.append(idx[n_test : n_test + n_val])
        train.append(idx[n_test + n_val :])
    parts = [rng.permutation(np.concatenate(p)) for p in (train, val, test)]
    return Splits(*(a for i in parts for a in (x[i], y[i])))


def standardise(splits: Splits, targets: bool = False) -> Splits:
    """Centre and scale x (and y if ``targets``) with training-split statistics."""

    def scaler(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean, std = a.mean(axis=0), a.std(axis=0)
        return mean, np.where(std > 0, std, 1.0)

    mx, sx = scaler(splits.x_train)
    out = {k: (getattr(splits, k) - mx) / sx for k in ("x_train", "x_val", "x_test")}
    if targets:
        my, sy = scaler(splits.y_train)
        out |= {k: (getattr(splits, k) - my) / sy for k in ("y_train", "y_val", "y_test")}
    return splits.replace(**out)


# ---------------------------------------------------------------------------
# classification: Gaussian blobs
# ---------------------------------------------------------------------------


class _Blobs(SupervisedDataset):
    """K unit-variance Gaussian classes in ``features`` dimensions.

    Class centres lie on a circle in the first two coordinates (a line if
    ``features = 1``), adjacent centres ``separation`` standard deviations
    apart; further coordinates are pure noise.
    """

    task: ClassVar[str] = "classify"
    n: int = Field(1500, ge=30)
    classes: int = Field(3, ge=2, le=100)
    features: int = Field(2, ge=1, le=1000)
    separation: float = Field(5.0, gt=0)

    @property
    def n_features(self) -> int:
        return self.features

    @property
    def n_classes(self) -> int:
        return self.classes

    def class_counts(self) -> np.ndarray:
        """Samples per class: as equal as possible."""
        counts = np.full(self.classes, self.n // self.classes)
        counts[: self.n % self.classes] += 1
        return counts

    def centers(self) -> np.ndarray:
        k = np.arange(self.classes, dtype=np.float64)
        c = np.zeros((self.classes, self.features))
        if self.features == 1:
            c[:, 0] = self.separation * (k - (self.classes - 1) / 2)
            return c
        radius = self.separation / (2 * np.sin(np.pi / self.classes))
        c[:, 0] = radius * np.cos(2 * np.pi * k / self.classes)
        c[:, 1] = radius * np.sin(2 * np.pi * k / self.classes)
        return c

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        y = np.repeat(np.arange(self.classes), self.class_counts())
        x = self.centers()[y] + rng.standard_normal((len(y), self.features))
        return x, y


@register_dataset
class Blobs(_Blobs):
    """Balanced, well-separated Gaussian classes: every sensible loss should do well."""

    name: Literal["blobs"] = "blobs"


@register_dataset
class BlobsImbalanced(_Blobs):
    """Gaussian classes whose sizes fall geometrically from the majority class 0 to the
    minority class K-1: ``n_k`` proportional to ``ratio^(-k/(K-1))`` (at least 5 each), the
    exponential long-tail profile of Cao et al. (2019). ``ratio = 100`` is their (and
    Menon et al. 2021's) long-tailed setting.

    ``balanced_test = m > 0`` replaces the test split by ``m`` fresh samples per class,
    as those papers evaluate: the test set then measures the balanced error the
    logit-adjusted losses target, with enough minority samples to measure it (a
    stratified test share of a ratio-100 set holds a handful of them). 0 keeps the
    stratified, imbalanced test share."""

    name: Literal["blobs-imbalanced"] = "blobs-imbalanced"
    n: int = Field(2000, ge=30)
    separation: float = Field(3.0, gt=0)
    ratio: float = Field(10.0, ge=1)
    balanced_test: int = Field(0, ge=0, le=100_000)

    def class_counts(self) -> np.ndarray:
        k = np.arange(self.classes)
        p = self.ratio ** (-k / (self.classes - 1))
        return np.maximum(np.round(self.n * p / p.sum()).astype(np.int64), 5)

    def splits(self, rng: np.random.Generator) -> Splits:
        parts = super().splits(rng)
        if not self.balanced_test:
            return parts
        y = np.repeat(np.arange(self.classes), self.balanced_test)
        x = self.centers()[y] + rng.standard_normal((len(y), self.features))
        order = rng.permutation(len(y))
        return parts.replace(
            x_test=np.ascontiguousarray(x[order], np.float32), y_test=y[order].astype(np.int64)
        )


@register_dataset
class NoisyLabels(_Blobs):
    """Balanced Gaussian classes; a fraction ``flip_rate`` of the training and
    validation labels is corrupted. The test labels stay clean, so test metrics measure
    the true task.

    ``noise = "symmetric"``: a flipped label becomes any other class, uniformly (the
    transition matrix has ``1 - flip_rate`` on the diagonal and ``flip_rate / (K-1)``
    elsewhere). ``noise = "asymmetric"``: class-dependent pair flipping, class k becomes
    class ``(k+1) mod K`` (Han et al. 2018's pair flip, the synthetic form of Patrini et
    al. 2017's class-dependent noise that GCE and SCE are evaluated on); the true class
    stays the majority label only while ``flip_rate < 0.5``.

    To let a network memorise the noise (what the noise-robust losses exist to resist),
    give it capacity and steps against few samples: e.g. ``n = 600``, ``features = 20``
    (18 pure-noise coordinates) and a 256-wide network trained for thousands of steps."""

    name: Literal["noisy-labels"] = "noisy-labels"
    separation: float = Field(4.0, gt=0)
    flip_rate: float = Field(0.3, ge=0, lt=1)
    noise: Literal["symmetric", "asymmetric"] = "symmetric"

    @model_validator(mode="after")
    def _learnable(self) -> NoisyLabels:
        if self.noise == "asymmetric" and self.flip_rate >= 0.5:
            raise ValueError(
                f"flip_rate = {self.flip_rate:g} with asymmetric noise makes the wrong class "
                "the majority label of every class; must be < 0.5"
            )
        return self

    def corrupt(self, splits: Splits, rng: np.random.Generator) -> Splits:
        return splits.replace(
            y_train=self._flip(splits.y_train, rng), y_val=self._flip(splits.y_val, rng)
        )

    def _flip(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        flip = rng.random(len(y)) < self.flip_rate
        if self.noise == "asymmetric":
            shift = np.ones(len(y), dtype=np.int64)
        else:
            shift = rng.integers(1, self.classes, size=len(y))  # never back to the same class
        return np.where(flip, (y + shift) % self.classes, y)


@register_dataset
class Overlapping(_Blobs):
    """Gaussian classes that overlap (adjacent centres 1.5 standard deviations apart):
    even the Bayes classifier errs often, and calibration matters."""

    name: Literal["overlapping"] = "overlapping"
    separation: float = Field(1.5, gt=0)


# ---------------------------------------------------------------------------
# bundled scikit-learn sets
# ---------------------------------------------------------------------------


class _Bundled(SupervisedDataset):
    """A dataset that ships with scikit-learn (no download), standardised with
    training-split statistics."""

    loader: ClassVar[str]
    features: ClassVar[int]
    classes: ClassVar[int] = 0
    standardise_targets: ClassVar[bool] = False

    @property
    def n_features(self) -> int:
        return self.features

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        import sklearn.datasets  # only the bundled sets need scikit-learn

        bunch = getattr(sklearn.datasets, self.loader)()
        return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)

    def finish(self, splits: Splits) -> Splits:
        return standardise(splits, targets=self.standardise_targets)


class _BundledClassification(_Bundled):
    task: ClassVar[str] = "classify"

    @property
    def n_classes(self) -> int:
        return self.classes


@register_dataset
class Digits(_BundledClassification):
    """1797 8x8 grey-scale handwritten digits (UCI optdigits test set), 10 classes, 64 features."""

    name: Literal["digits"] = "digits"
    loader: ClassVar[str] = "load_digits"
    features: ClassVar[int] = 64
    classes: ClassVar[int] = 10


@register_dataset
class Iris(_BundledClassification):
    """Fisher's iris: 150 flowers, 3 species, 4 measurements."""

    name: Literal["iris"] = "iris"
    loader: ClassVar[str] = "load_iris"
    features: ClassVar[int] = 4
    classes: ClassVar[int] = 3


@register_dataset
class Wine(_BundledClassification):
    """178 wines from 3 cultivars, 13 chemical measurements (UCI wine)."""

    name: Literal["wine"] = "wine"
    loader: ClassVar[str] = "load_wine"
    features: ClassVar[int] = 13
    classes: ClassVar[int] = 3


@register_dataset
class Diabetes(_Bundled):
    """442 patients, 10 baseline variables, disease progression after one year
    (Efron et al. 2004); x and y standardised with training-split statistics."""

    name: Literal["diabetes"] = "diabetes"
    task: ClassVar[str] = "regress"
    loader: ClassVar[str] = "load_diabetes"
    features: ClassVar[int] = 10
    standardise_targets: ClassVar[bool] = True


# ---------------------------------------------------------------------------
# regression: a linear signal with different noise
# ---------------------------------------------------------------------------


class _Linear(SupervisedDataset):
    """``y = x . w + noise``, ``x ~ N(0, I)``, ``w_j = (-1)^j / sqrt(features)`` (unit norm,
    so the signal has variance 1)."""

    task: ClassVar[str] = "regress"
    n: int = Field(1000, ge=20)
    features: int = Field(5, ge=1, le=1000)
    noise: float = Field(0.5, ge=0)

    @property
    def n_features(self) -> int:
        return self.features

    def weights(self) -> np.ndarray:
        return (-1.0) ** np.arange(self.features) / np.sqrt(self.features)

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((self.n, self.features))
        return x, x @ self.weights() + self.noise_draw(x, rng)

    def noise_draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.noise * rng.standard_normal(len(x))


@register_dataset
class LinearGaussian(_Linear):
    """A linear signal plus Gaussian noise of standard deviation ``noise``."""

    name: Literal["linear-gaussian"] = "linear-gaussian"


@register_dataset
class Outliers(_Linear):
    """Linear-Gaussian data where a fraction ``fraction`` of the training and validation
    targets receives a gross error ``scale * N(0, 1)`` (symmetric contamination, Huber's
    setting). Test targets stay clean."""

    name: Literal["outliers"] = "outliers"
    fraction: float = Field(0.1, ge=0, lt=1)
    scale: float = Field(10.0, ge=0)

    def corrupt(self, splits: Splits, rng: np.random.Generator) -> Splits:
        return splits.replace(
            y_train=self._gross(splits.y_train, rng), y_val=self._gross(splits.y_val, rng)
        )

    def _gross(self, y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        hit = rng.random(len(y)) < self.fraction
        return y + hit * self.scale * rng.standard_normal(len(y))


@register_dataset
class StudentTNoise(_Linear):
    """A linear signal plus ``noise * T``, T Student-t with ``df`` degrees of freedom:
    heavy tails in every split (infinite variance for df <= 2)."""

    name: Literal["student-t-noise"] = "student-t-noise"
    df: float = Field(2.0, gt=0)

    def noise_draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.noise * rng.standard_t(self.df, size=len(x))


@register_dataset
class Heteroscedastic(_Linear):
    """A linear signal plus Gaussian noise whose standard deviation grows with the
    first feature: ``sigma(x) = noise * (0.1 + |x_0|)``. One feature by default."""

    name: Literal["heteroscedastic"] = "heteroscedastic"
    features: int = Field(1, ge=1, le=1000)
    noise: float = Field(1.0, ge=0)

    def noise_draw(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return self.noise * (0.1 + np.abs(x[:, 0])) * rng.standard_normal(len(x))


@register_dataset
class Counts(SupervisedDataset):
    r"""Count targets from a log-linear model: ``x ~ N(0, I)``,
    :math:`\mu(x) = \exp(b + s\,x\cdot w)` with the unit-norm ``w`` of the linear sets,
    ``b`` = ``intercept`` and ``s`` = ``signal``; ``y ~ Poisson(mu)``, or, with
    ``distribution = "negative-binomial"``, an over-dispersed count of the same mean and
    variance :math:`\mu + \mu^2/r`, ``r`` = ``dispersion`` (a gamma-Poisson mixture:
    :math:`\lambda \sim \mathrm{Gamma}(r, \mu/r)`, :math:`y \sim \mathrm{Poisson}
    (\lambda)`). Targets are non-negative integers, kept raw (not standardised), as a
    count loss's log link needs. The defaults give a mean count near 3 with a long right
    tail (counts up to ~30)."""

    name: Literal["counts"] = "counts"
    task: ClassVar[str] = "regress"
    n: int = Field(1500, ge=20)
    features: int = Field(5, ge=1, le=1000)
    intercept: float = Field(0.8, ge=-10, le=10)
    signal: float = Field(0.8, ge=0, le=5)
    distribution: Literal["poisson", "negative-binomial"] = "poisson"
    dispersion: float = Field(2.0, gt=0)

    @property
    def n_features(self) -> int:
        return self.features

    def mean(self, x: np.ndarray) -> np.ndarray:
        w = (-1.0) ** np.arange(self.features) / np.sqrt(self.features)
        return np.exp(self.intercept + self.signal * (x @ w))

    def draw(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        x = rng.standard_normal((self.n, self.features))
        mu = self.mean(x)
        if self.distribution == "negative-binomial":
            mu = rng.gamma(self.dispersion, mu / self.dispersion)
        return x, rng.poisson(mu).astype(np.float64)


CLASSIFICATION_DATASETS = (
    "blobs",
    "blobs-imbalanced",
    "noisy-labels",
    "overlapping",
    "digits",
    "iris",
    "wine",
)
REGRESSION_DATASETS = (
    "linear-gaussian",
    "outliers",
    "student-t-noise",
    "heteroscedastic",
    "counts",
    "diabetes",
)
