"""The five 1-D synthetic datasets, each stressing a loss in one way.

=============  ==============================================================
``gaussian``   the study group's random numbers: N(mean, std^2)
``mixture``    k separated modes on a line: mode collapse shows up here
``student-t``  heavy tails: outliers that a squared loss over-weights
``lognormal``  skew: a long right tail
``uniform``    bounded support with hard edges
=============  ==============================================================

Every sampler draws from the ``numpy.random.Generator`` it is given and from
nothing else, so a seeded generator reproduces the samples exactly.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, ValidationInfo, field_validator

from losslab.data.registry import Dataset, register_dataset


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    return int(n)


def _column(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).reshape(-1, 1)


@register_dataset
class Gaussian(Dataset):
    """N(mean, std^2): the study group's random numbers (mean 4, std 1.25)."""

    name: Literal["gaussian"] = "gaussian"
    mean: float = 4.0
    std: float = Field(1.25, gt=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return _column(rng.normal(self.mean, self.std, size=_check_n(n)))

    def describe(self) -> str:
        return f"gaussian: N(mean={self.mean:g}, std={self.std:g})"


@register_dataset
class Mixture(Dataset):
    """k Gaussians on a line, equally spaced and symmetric around ``center``.

    Centre i (i = 0..k-1) is ``center + spacing * (i - (k - 1) / 2)``; each mode
    has standard deviation ``std`` and probability ``weights[i] / sum(weights)``
    (uniform when ``weights`` is omitted).
    """

    name: Literal["mixture"] = "mixture"
    k: int = Field(3, ge=1)
    spacing: float = Field(4.0, gt=0)
    center: float = 0.0
    std: float = Field(0.5, gt=0)
    weights: tuple[float, ...] | None = None

    @field_validator("weights", mode="before")
    @classmethod
    def _weights_as_tuple(cls, value: object) -> object:
        # Configs arrive as JSON/TOML lists; a tuple keeps the frozen model hashable.
        if isinstance(value, list):
            return tuple(value)
        if value is not None and not isinstance(value, tuple):
            raise ValueError("must be a list of k positive numbers")
        return value

    @field_validator("weights")
    @classmethod
    def _weights_match_k(
        cls, value: tuple[float, ...] | None, info: ValidationInfo
    ) -> tuple[float, ...] | None:
        if value is None:
            return value
        k = info.data.get("k")
        if k is not None and len(value) != k:
            raise ValueError(f"needs k = {k} entries, got {len(value)}")
        if any(w <= 0 for w in value):
            raise ValueError("every weight must be > 0")
        return value

    def probabilities(self) -> np.ndarray:
        """The normalised mode probabilities, shape ``[k]``."""
        if self.weights is None:
            return np.full(self.k, 1.0 / self.k)
        w = np.asarray(self.weights, dtype=np.float64)
        return w / w.sum()

    def mode_centers(self) -> np.ndarray:
        offsets = np.arange(self.k, dtype=np.float64) - (self.k - 1) / 2
        return (self.center + self.spacing * offsets).reshape(-1, 1)

    def mode_std(self) -> float:
        return float(self.std)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n = _check_n(n)
        modes = rng.choice(self.k, size=n, p=self.probabilities())
        centers = self.mode_centers()[:, 0]
        return _column(centers[modes] + self.std * rng.standard_normal(n))

    def describe(self) -> str:
        mix = "uniform" if self.weights is None else "weights " + str(list(self.weights))
        return (
            f"mixture: {self.k} Gaussians (std {self.std:g}) spaced {self.spacing:g} "
            f"around {self.center:g}, {mix}"
        )


@register_dataset
class StudentT(Dataset):
    """loc + scale * T with T ~ Student's t with ``df`` degrees of freedom.

    Heavy tails: the variance is infinite for df <= 2 and the mean undefined
    for df <= 1.
    """

    name: Literal["student-t"] = "student-t"
    df: float = Field(3.0, gt=0)
    loc: float = 0.0
    scale: float = Field(1.0, gt=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return _column(self.loc + self.scale * rng.standard_t(self.df, size=_check_n(n)))

    def describe(self) -> str:
        return f"student-t: df={self.df:g}, loc={self.loc:g}, scale={self.scale:g} (heavy tails)"


@register_dataset
class LogNormal(Dataset):
    """exp(Z) with Z ~ N(mu, sigma^2).

    ``mu`` and ``sigma`` parameterise the *underlying normal*, as in
    ``numpy.random.Generator.lognormal`` (scipy: ``lognorm(s=sigma, scale=exp(mu))``).
    The median is exp(mu); skew grows with sigma.
    """

    name: Literal["lognormal"] = "lognormal"
    mu: float = 0.0
    sigma: float = Field(0.5, gt=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return _column(rng.lognormal(self.mu, self.sigma, size=_check_n(n)))

    def describe(self) -> str:
        return f"lognormal: exp(N(mu={self.mu:g}, sigma={self.sigma:g})) (right skew)"


@register_dataset
class Uniform(Dataset):
    """U(low, high): bounded support with hard edges."""

    name: Literal["uniform"] = "uniform"
    low: float = -1.0
    high: float = 1.0

    @field_validator("high")
    @classmethod
    def _high_above_low(cls, value: float, info: ValidationInfo) -> float:
        low = info.data.get("low")
        if low is not None and not value > low:
            raise ValueError(f"must be greater than low = {low!r}")
        return value

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return _column(rng.uniform(self.low, self.high, size=_check_n(n)))

    def describe(self) -> str:
        return f"uniform: U({self.low:g}, {self.high:g}) (bounded)"
