"""Multi-dimensional synthetic datasets: the GAN toy benchmarks and an N-D mixture.

==============  =============================================================
``ring8``       Gaussians on a circle: the standard mode-collapse benchmark
``grid25``      Gaussians on a square grid: many modes close together
``mixture-nd``  K Gaussians at random centres in ``dim`` dimensions
``swissroll``   a curved 1-D manifold in the plane (no modes)
``two-moons``   two interleaved half circles (no modes)
==============  =============================================================

The ring and the grid follow the synthetic experiments of VEEGAN (Srivastava
et al., 2017) and PacGAN (Lin et al., 2018), whose mode metrics
(:func:`losslab.metrics.mode_coverage`) use :meth:`mode_centers` and
:meth:`mode_std`. The swiss roll is the one of ``gan_toy.py`` in
improved_wgan_training (Gulrajani et al., 2017, "Improved Training of
Wasserstein GANs").

Every sampler draws from the ``numpy.random.Generator`` it is given and from
nothing else. The scikit-learn generators take an integer ``random_state``;
it is drawn from that generator, so a seeded generator still reproduces the
samples exactly.
"""

from __future__ import annotations

import itertools
import math
from typing import ClassVar, Literal

import numpy as np
from pydantic import ConfigDict, Field

from losslab.data.oned import _check_n
from losslab.data.registry import Dataset, register_dataset

# scikit-learn's random_state must fit a 32-bit signed integer.
_SKLEARN_SEED_BOUND = 2**31 - 1


def _gaussian_mixture(
    centers: np.ndarray, std: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` draws of c_k + N(0, std^2 I), k uniform over the rows of ``centers``."""
    n = _check_n(n)
    modes = rng.integers(len(centers), size=n)
    noise = rng.standard_normal((n, centers.shape[1]))
    return (centers[modes] + std * noise).astype(np.float32)


class _IsotropicMixture(Dataset):
    """Base of the mixtures with known centres: equal weights, one ``std`` for every mode.

    Subclasses define the ``std`` field and :meth:`mode_centers`.
    """

    def mode_std(self) -> float:
        return float(self.std)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return _gaussian_mixture(self.mode_centers(), self.std, n, rng)


MAX_MODES = 10_000
"""At most this many modes: each evaluation measures every sample's distance to every
centre, and far fewer already sit closer than the 3-sigma rule can tell apart."""
MAX_DIM = 10_000


@register_dataset
class Ring8(_IsotropicMixture):
    """``modes`` Gaussians of standard deviation ``std``, equally likely, with
    centres on the circle of radius ``radius`` at angles 2 pi k / modes,
    k = 0..modes-1 (so centre 0 is (radius, 0) and no two centres coincide).
    """

    name: Literal["ring8"] = "ring8"
    dimension: ClassVar[int] = 2
    modes: int = Field(8, ge=1, le=MAX_MODES)
    radius: float = Field(1.0, gt=0)
    std: float = Field(0.01, gt=0)

    def mode_centers(self) -> np.ndarray:
        angles = 2.0 * math.pi * np.arange(self.modes) / self.modes
        return self.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def describe(self) -> str:
        return (
            f"ring8: {self.modes} Gaussians (std {self.std:g}) on a circle of radius "
            f"{self.radius:g}"
        )


@register_dataset
class Grid25(_IsotropicMixture):
    """``side`` x ``side`` Gaussians of standard deviation ``std``, equally likely,
    centred at (spacing (i - (side-1)/2), spacing (j - (side-1)/2)) for
    i, j = 0..side-1: {-4, -2, 0, 2, 4}^2 with the defaults.

    :meth:`mode_centers` lists them with i (the x coordinate) varying slowest.
    """

    name: Literal["grid25"] = "grid25"
    dimension: ClassVar[int] = 2
    side: int = Field(5, ge=1, le=math.isqrt(MAX_MODES))
    spacing: float = Field(2.0, gt=0)
    std: float = Field(0.05, gt=0)

    def mode_centers(self) -> np.ndarray:
        coords = self.spacing * (np.arange(self.side) - (self.side - 1) / 2)
        return np.array(list(itertools.product(coords, coords)), dtype=np.float64)

    def describe(self) -> str:
        return (
            f"grid25: {self.side}x{self.side} grid of Gaussians (std {self.std:g}) "
            f"spaced {self.spacing:g}"
        )


@register_dataset
class MixtureND(_IsotropicMixture):
    """``modes`` Gaussians of standard deviation ``std`` in ``dim`` dimensions,
    equally likely, centred at ``modes`` points drawn once from N(0, scale^2 I)
    by ``numpy.random.default_rng(center_seed)``.

    The centres depend only on (``dim``, ``modes``, ``scale``, ``center_seed``),
    never on the generator passed to :meth:`sample`, so every member of a study
    sees the same mixture.

    The knob is spelled ``dim`` in configs; :attr:`dim` returns it.
    """

    # The knob is named like Dataset.dim, a read-only property; the field lives
    # under another Python name and keeps "dim" as its config (and dump) name.
    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    name: Literal["mixture-nd"] = "mixture-nd"
    # Class-level default only; an instance's dimension is its ``dim`` knob.
    dimension: ClassVar[int] = 10
    n_dims: int = Field(10, ge=1, le=MAX_DIM, alias="dim")
    modes: int = Field(10, ge=1, le=MAX_MODES)
    std: float = Field(0.1, gt=0)
    scale: float = Field(1.0, gt=0)
    center_seed: int = Field(0, ge=0)

    @property
    def dim(self) -> int:
        """Number of coordinates of one sample: the ``dim`` knob."""
        return self.n_dims

    def mode_centers(self) -> np.ndarray:
        center_rng = np.random.default_rng(self.center_seed)
        return center_rng.normal(0.0, self.scale, size=(self.modes, self.n_dims))

    def describe(self) -> str:
        return (
            f"mixture-nd: {self.modes} Gaussians (std {self.std:g}) in {self.n_dims} "
            f"dimensions, centres ~ N(0, {self.scale:g}^2 I) with seed {self.center_seed}"
        )


def _sklearn_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(_SKLEARN_SEED_BOUND))


@register_dataset
class SwissRoll(Dataset):
    """scikit-learn's 3-D swiss roll seen from the side: columns 0 and 2 of
    ``make_swiss_roll(n, noise=noise)``, divided by ``scale``.

    With the defaults (noise 0.25, scale 7.5) this is ``gan_toy.py`` of
    improved_wgan_training (Gulrajani et al., 2017). A curved manifold without
    separate modes.
    """

    name: Literal["swissroll"] = "swissroll"
    dimension: ClassVar[int] = 2
    noise: float = Field(0.25, ge=0)
    scale: float = Field(7.5, gt=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n = _check_n(n)
        seed = _sklearn_seed(rng)
        if n == 0:  # scikit-learn refuses n_samples=0
            return np.empty((0, 2), dtype=np.float32)
        from sklearn.datasets import make_swiss_roll  # here: sklearn is slow to import

        points, _ = make_swiss_roll(n, noise=self.noise, random_state=seed)
        return (points[:, [0, 2]] / self.scale).astype(np.float32)

    def describe(self) -> str:
        return f"swissroll: 2-D swiss roll (noise {self.noise:g}, divided by {self.scale:g})"


@register_dataset
class TwoMoons(Dataset):
    """scikit-learn's ``make_moons(n, noise=noise)``: two interleaved half circles
    of radius 1, with Gaussian noise of standard deviation ``noise``. No modes.
    """

    name: Literal["two-moons"] = "two-moons"
    dimension: ClassVar[int] = 2
    noise: float = Field(0.05, ge=0)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        n = _check_n(n)
        seed = _sklearn_seed(rng)
        if n == 0:  # scikit-learn refuses n_samples=0
            return np.empty((0, 2), dtype=np.float32)
        from sklearn.datasets import make_moons  # here: sklearn is slow to import

        points, _ = make_moons(n, noise=self.noise, random_state=seed)
        return points.astype(np.float32)

    def describe(self) -> str:
        return f"two-moons: two interleaved half circles (noise {self.noise:g})"
