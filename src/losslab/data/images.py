"""Real images for generative modelling: scikit-learn's bundled 8x8 digits.

=================  ===========================================================
``digits-images``  the 1,797 8x8 handwritten digits as 64-D vectors in [-1, 1]
=================  ===========================================================

The images are those of ``sklearn.datasets.load_digits`` (the test set of the
UCI "optdigits" data, Alpaydin & Kaynak, 1998): grey levels 0..16, scaled by
x / 8 - 1 to [-1, 1] (the range of a tanh output layer) and flattened row by
row to 64 coordinates. scikit-learn ships them; nothing is downloaded.

This is the supervised ``digits`` dataset of :mod:`losslab.data.supervised`
seen as an unlabelled distribution to generate from. It has no mode centres,
so the 2-D mode metrics do not apply; instead :meth:`DigitsImages.extra_metrics`
classifies the generated images with a fixed classifier and counts the digit
classes they cover (:func:`losslab.metrics.digits.digit_metrics`).
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar, Literal

import numpy as np
from pydantic import field_validator

from losslab.data.oned import _check_n
from losslab.data.registry import Dataset, register_dataset

N_CLASSES = 10
IMAGE_SHAPE = (8, 8)


@cache
def load_digit_images() -> tuple[np.ndarray, np.ndarray]:
    """All 1,797 digits once per process: images float32 ``[1797, 64]`` in [-1, 1]
    (grey level x in 0..16 becomes x / 8 - 1) and labels int64 ``[1797]``.

    The arrays are read-only: they are shared by every caller.
    """
    from sklearn.datasets import load_digits  # bundled with scikit-learn, no download

    bunch = load_digits()
    images = (np.asarray(bunch.data, dtype=np.float64) / 8.0 - 1.0).astype(np.float32)
    labels = np.asarray(bunch.target, dtype=np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


@cache
def _class_images(digits: tuple[int, ...] | None) -> np.ndarray:
    images, labels = load_digit_images()
    if digits is None:
        return images
    subset = images[np.isin(labels, digits)]
    subset.flags.writeable = False
    return subset


@register_dataset
class DigitsImages(Dataset):
    """The 8x8 digits of scikit-learn as a distribution over ``[-1, 1]^64``: each
    sample is one of the real images (those of the classes in ``digits``, all ten
    when it is omitted), drawn uniformly with replacement.

    ``image_shape`` tells the report to draw samples as 8x8 image grids. The
    classifier metrics of :meth:`extra_metrics` count only the classes in ``digits``.
    """

    name: Literal["digits-images"] = "digits-images"
    dimension: ClassVar[int] = 64
    image_shape: ClassVar[tuple[int, int]] = IMAGE_SHAPE
    digits: tuple[int, ...] | None = None

    @field_validator("digits", mode="before")
    @classmethod
    def _digits_as_tuple(cls, value: object) -> object:
        # Configs arrive as JSON/TOML lists; a tuple keeps the frozen model hashable.
        if isinstance(value, list):
            return tuple(value)
        if value is not None and not isinstance(value, tuple):
            raise ValueError("must be a list of distinct digit classes 0..9")
        return value

    @field_validator("digits")
    @classmethod
    def _digits_distinct_classes(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is None:
            return value
        if not value:
            raise ValueError("needs at least one digit class")
        if any(d < 0 or d >= N_CLASSES for d in value):
            raise ValueError("every digit class must be in 0..9")
        if len(set(value)) != len(value):
            raise ValueError("digit classes must be distinct")
        return tuple(sorted(value))

    def images(self) -> np.ndarray:
        """The real images this dataset draws from, float32 ``[m, 64]`` (read-only)."""
        return _class_images(self.digits)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        images = self.images()
        rows = rng.integers(len(images), size=_check_n(n))
        return images[rows]  # fancy indexing copies: the caller owns the result

    def extra_metrics(self, generated: np.ndarray) -> dict[str, float]:
        """``digit_modes``, ``digit_confident`` and ``digit_reverse_kl`` of
        :func:`losslab.metrics.digits.digit_metrics`, over the classes in ``digits``."""
        # Imported here: metrics.digits imports this module for the real images.
        from losslab.metrics.digits import digit_metrics

        return digit_metrics(generated, classes=self.digits)

    def evaluation_notes(self) -> dict[str, str]:
        """The digit classifier's own test accuracy, for the report."""
        from losslab.metrics.digits import classifier_accuracy

        return {
            "digit classifier": (
                f"test accuracy {classifier_accuracy():.3f} on held-out real digits "
                "(it scores digit_modes, digit_confident, digit_reverse_kl)"
            )
        }

    def describe(self) -> str:
        images = len(self.images())
        if self.digits is None:
            return f"digits-images: the {images} 8x8 scikit-learn digits in [-1, 1]^64"
        classes = ",".join(str(d) for d in self.digits)
        return (
            f"digits-images: the {images} 8x8 scikit-learn digits of classes {classes} "
            "in [-1, 1]^64"
        )
