"""Digit metrics: mode counting on generated 8x8 digits with a fixed classifier.

The protocol is that of the stacked-MNIST experiments of Metz et al. (2017,
"Unrolled Generative Adversarial Networks", ICLR) and Lin et al. (2018,
"PacGAN: The power of two samples in generative adversarial networks",
NeurIPS): a classifier trained on the real data labels every generated image,
and the classes it finds are the modes the generator covers. Here the modes are
the ten digit classes of scikit-learn's 8x8 digits, and the mode protocol of
:mod:`losslab.metrics.modes` carries over with *confidently classified* in the
place of *within 3 standard deviations of a centre*:

- a sample is *confident* (plays the role of a high-quality sample) if the
  classifier's largest class probability is at least ``confidence`` (0.9) and
  that class is one of the target classes;
- a class is *captured* if it is the predicted class of at least one confident
  sample;
- the reverse KL is KL(p || uniform over the target classes), p the histogram
  of the confident samples over their predicted classes.

The classifier (:func:`digit_classifier`) is a one-hidden-layer
``sklearn.neural_network.MLPClassifier`` (64 ReLU units, L2 penalty
``alpha = 1``, ``random_state = 0``) fitted once per process on a fixed
stratified 75 % of the digits (``train_test_split(..., random_state=0)``). The
strong L2 penalty keeps it unsure off the data: on the held-out quarter about
80 % of the images are confident (all of them correctly classified), on
uniform noise in [-1, 1]^64 under 1 %. :func:`classifier_accuracy` gives its
accuracy on the held-out quarter (about 0.98).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from functools import cache

import numpy as np

DIGIT_METRIC_NAMES = ("digit_modes", "digit_confident", "digit_reverse_kl")
CONFIDENCE = 0.9
_TEST_FRACTION = 0.25
_SPLIT_SEED = 0


@cache
def _fitted() -> tuple[object, np.ndarray, np.ndarray]:
    # Imported here so that importing losslab.metrics stays cheap (no scikit-learn,
    # no dataset registry) until a digit metric is asked for.
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier

    from losslab.data.images import load_digit_images

    images, labels = load_digit_images()
    x_train, x_test, y_train, y_test = train_test_split(
        images.astype(np.float64),
        labels,
        test_size=_TEST_FRACTION,
        stratify=labels,
        random_state=_SPLIT_SEED,
    )
    model = MLPClassifier(hidden_layer_sizes=(64,), alpha=1.0, max_iter=1000, random_state=0)
    with warnings.catch_warnings():
        # It converges in about 300 iterations; a future scikit-learn that needs
        # more should not turn every study's evaluation into a warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, y_train)
    return model, x_test, y_test


def digit_classifier() -> object:
    """The fitted classifier (an ``MLPClassifier``), trained once per process on
    75 % of the [-1, 1]-scaled digits; see the module docstring."""
    return _fitted()[0]


@cache
def classifier_accuracy() -> float:
    """Accuracy of :func:`digit_classifier` on the held-out, stratified 25 % of
    the digits (450 images): the fraction whose most probable class is the label."""
    model, x_test, y_test = _fitted()
    return float(np.mean(model.predict(x_test) == y_test))


def digit_probabilities(samples: np.ndarray) -> np.ndarray:
    """Class probabilities ``[n, 10]`` of :func:`digit_classifier` for ``samples``
    (``[n, 64]`` or ``[n, 8, 8]``, on the [-1, 1] scale; classified as given,
    not clipped)."""
    x = np.asarray(samples, dtype=np.float64)
    x = x.reshape(len(x), -1) if x.ndim >= 2 else x.reshape(1, -1)
    if x.shape[1] != 64:
        raise ValueError(f"digit samples need 64 pixels each, got shape {np.shape(samples)}")
    return digit_classifier().predict_proba(x)  # type: ignore[attr-defined]


def _target_classes(classes: Sequence[int] | None, n_classes: int) -> np.ndarray:
    if classes is None:
        return np.arange(n_classes)
    target = np.unique(np.asarray(classes, dtype=np.int64))
    if target.size == 0 or target.min() < 0 or target.max() >= n_classes:
        raise ValueError(f"classes must be a non-empty subset of 0..{n_classes - 1}")
    return target


def class_histogram_metrics(
    probabilities: np.ndarray,
    confidence: float = CONFIDENCE,
    classes: Sequence[int] | None = None,
) -> dict[str, float]:
    """Mode metrics from class probabilities ``[n, C]`` (rows sum to 1).

    Sample i is *confident* if max_c P[i, c] >= ``confidence`` and its predicted
    class argmax_c P[i, c] is a target class (``classes``, all C by default;
    K = the number of target classes). With N_k the number of confident samples
    predicted as class k and N = sum_k N_k:

    - ``digit_modes`` = #{k : N_k > 0} (0..K), as a float;
    - ``digit_confident`` = N / n;
    - ``digit_reverse_kl`` = KL(p || u) = sum_{k: p_k > 0} p_k log(K p_k) with
      p_k = N_k / N and u uniform over the K targets (natural log): 0 when the
      confident samples spread evenly over the targets, log K when they all have
      one class. With no confident sample p is undefined, and the value is log K,
      that of total collapse (as in :func:`losslab.metrics.modes.mode_coverage`).

    Sources: Metz et al. (2017), Unrolled GANs, and Lin et al. (2018), PacGAN,
    stacked-MNIST experiments (modes counted with a pretrained classifier;
    reverse KL of the class histogram against uniform).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] == 0:
        raise ValueError(f"probabilities must be a non-empty [n, C] array, got shape {p.shape}")
    if not 0.0 < confidence <= 1.0:
        raise ValueError(f"confidence must be in (0, 1], got {confidence!r}")
    target = _target_classes(classes, p.shape[1])
    predicted = np.argmax(p, axis=1)
    confident = (np.max(p, axis=1) >= confidence) & np.isin(predicted, target)
    counts = np.bincount(predicted[confident], minlength=p.shape[1])[target]
    n_confident = int(counts.sum())
    k = target.size
    if n_confident == 0:
        reverse_kl = math.log(k)
    else:
        share = counts[counts > 0] / n_confident
        reverse_kl = max(float(np.sum(share * np.log(k * share))), 0.0)  # rounding: -1e-17
    return {
        "digit_modes": float(np.count_nonzero(counts)),
        "digit_confident": n_confident / p.shape[0],
        "digit_reverse_kl": reverse_kl,
    }


def digit_metrics(
    samples: np.ndarray,
    confidence: float = CONFIDENCE,
    classes: Sequence[int] | None = None,
) -> dict[str, float]:
    """``digit_modes``, ``digit_confident`` and ``digit_reverse_kl`` of generated
    digits ``samples`` (``[n, 64]`` or ``[n, 8, 8]``, [-1, 1] scale): the
    probabilities of :func:`digit_classifier` passed to
    :func:`class_histogram_metrics` (see there for the definitions; ``classes``
    restricts the target classes, all ten by default).

    If any value is NaN or inf (a diverged model), every metric is NaN.
    """
    x = np.asarray(samples, dtype=np.float64)
    if x.size == 0:
        raise ValueError("digit_metrics needs at least one sample")
    if not np.all(np.isfinite(x)):
        return {name: float("nan") for name in DIGIT_METRIC_NAMES}
    return class_histogram_metrics(digit_probabilities(x), confidence, classes)


__all__ = [
    "CONFIDENCE",
    "DIGIT_METRIC_NAMES",
    "class_histogram_metrics",
    "classifier_accuracy",
    "digit_classifier",
    "digit_metrics",
    "digit_probabilities",
]
