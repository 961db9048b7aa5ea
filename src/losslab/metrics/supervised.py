r"""Supervised metrics: plain functions over NumPy arrays.

Every metric takes its arguments in scikit-learn's order, the truth first:
``(y_true, y_pred)``. Classification metrics take integer labels ``y [n]`` and either
hard predictions ``pred [n]``, class probabilities ``probs [n, K]`` (rows sum to 1) or,
for the NLL and :func:`classification_metrics`, logits ``[n, K]`` (or log-probabilities,
which are their own log-softmax), so that the NLL never goes through a rounded probability.
Regression metrics take targets ``y [n]`` and predictions ``[n]``. Each
docstring gives the definition and its source; the tests compare every metric
that scikit-learn has with scikit-learn, and the ECE with a plain loop.

How the supervised trainer uses them (:mod:`losslab.train.supervised`):

* the model's class distribution is ``softmax(logits)`` for every classification loss
  (``sigmoid-bce``'s one logit z is passed as the two logits ``[0, z]``, whose softmax is
  ``[1 - sigmoid(z), sigmoid(z)]``), also for losses that do not model probabilities
  (hinge), whose NLL and ECE are then expected to be poor;
* the regression "point prediction" is the network's first output: the
  conditional mean for MSE/Gaussian NLL, the median for MAE, the tau-quantile for
  ``quantile``. Its ``coverage`` (fraction of targets at or below it) should
  approach tau for ``quantile`` and about 0.5 for a median-unbiased model;
* the regression ``nll`` uses the predicted variance for ``gaussian-nll`` and the
  validation mean squared residual (a constant variance) for every other loss.
"""

from __future__ import annotations

import numpy as np

CLASSIFICATION_METRIC_NAMES = ("accuracy", "balanced_accuracy", "macro_f1", "nll", "ece")
REGRESSION_METRIC_NAMES = ("mse", "mae", "median_ae", "coverage", "nll")
SUPERVISED_HIGHER_IS_BETTER = ("accuracy", "balanced_accuracy", "macro_f1")
"""Supervised metrics where a higher value is better (``coverage`` is neither: it
should match its target level; every other metric is lower-is-better)."""

SUPERVISED_METRIC_INFO: dict[str, str] = {
    "accuracy": "fraction of test samples classified correctly, higher is better",
    "balanced_accuracy": (
        "mean recall over classes (chance = 1/K whatever the class sizes), higher is better"
    ),
    "macro_f1": "unweighted mean of per-class F1 scores, higher is better",
    "nll": (
        "mean negative log-likelihood of the test targets, lower is better; "
        "classification: -log softmax(logits)[true class], computed from the logits "
        "with log-softmax in float64 (no probability floor, so over-confident mistakes "
        "count in full; sigmoid-bce's logit z as the logits [0, z]); regression: "
        "Gaussian with the predicted or validation variance"
    ),
    "ece": "expected calibration error, 15 equal-width confidence bins, lower is better",
    "mse": "mean squared error of the point prediction on the test split, lower is better",
    "mae": "mean absolute error of the point prediction on the test split, lower is better",
    "median_ae": "median absolute error of the point prediction, lower is better",
    "coverage": (
        "fraction of test targets at or below the prediction: should approach tau for "
        "quantile, about 0.5 for a median-unbiased model (neither higher nor lower is better)"
    ),
}
"""One line per supervised metric for reports (the final metrics on the clean test split;
checkpoint metrics carry the same names prefixed ``val_``)."""

PROB_FLOOR = 1e-12


def _labels(y: np.ndarray) -> np.ndarray:
    return np.asarray(y).astype(np.int64).ravel()


# ---------------------------------------------------------------------------
# classification
# ---------------------------------------------------------------------------


def accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    r"""Fraction of correct predictions, :math:`\frac1n\sum_i\mathbb{1}[\hat y_i=y_i]`
    (scikit-learn ``accuracy_score``)."""
    y, pred = _labels(y), _labels(pred)
    return float(np.mean(y == pred))


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    r"""Mean per-class recall over the classes present in ``y``:
    :math:`\frac{1}{|C|}\sum_{c\in C}\frac{|\{i: y_i=c,\hat y_i=c\}|}{|\{i: y_i=c\}|}`
    (Brodersen et al. 2010, "The balanced accuracy and its posterior distribution";
    scikit-learn ``balanced_accuracy_score``). Chance level is ``1/|C|`` whatever
    the class sizes."""
    y, pred = _labels(y), _labels(pred)
    recalls = [np.mean(pred[y == c] == c) for c in np.unique(y)]
    return float(np.mean(recalls))


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    r"""Unweighted mean of the per-class F1 scores
    :math:`F_1^c = \frac{2\,TP_c}{2\,TP_c+FP_c+FN_c}` over the classes that occur in
    ``y`` or ``pred`` (van Rijsbergen 1979; scikit-learn
    ``f1_score(average="macro")``). Every class counts equally, so minority
    classes weigh as much as majority ones."""
    y, pred = _labels(y), _labels(pred)
    scores = []
    for c in np.union1d(y, pred):
        tp = np.sum((pred == c) & (y == c))
        fp = np.sum((pred == c) & (y != c))
        fn = np.sum((pred != c) & (y == c))
        scores.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(scores))


def log_softmax(logits: np.ndarray) -> np.ndarray:
    r"""Row-wise :math:`\log\operatorname{softmax}(z)_k = z_k - \max_j z_j -
    \log\sum_j e^{z_j - \max_j z_j}` in float64: exact for logits of any size (the
    shift keeps every exponent at most 0 and the largest term 1)."""
    z = np.asarray(logits, dtype=np.float64)
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise ``softmax(logits)`` in float64, as ``exp(log_softmax(logits))``."""
    return np.exp(log_softmax(logits))


def nll(y: np.ndarray, logits: np.ndarray) -> float:
    r"""Mean negative log-likelihood of the true class from the logits ``[n, K]``,

    .. math::

        \mathrm{NLL} = -\frac1n\sum_i \log\operatorname{softmax}(z_i)_{y_i}
        = \frac1n\sum_i \Big(\log\sum_k e^{z_{ik}} - z_{i y_i}\Big),

    the log loss (cross-entropy; ``torch.nn.functional.cross_entropy(logits, y)``,
    scikit-learn ``log_loss(y, softmax(logits))``), computed with :func:`log_softmax` so
    that no probability is rounded or floored: a confident mistake by a margin of
    :math:`10^4` costs :math:`10^4`, not :math:`-\log 10^{-12} = 27.6`. Log-probabilities
    may be passed instead of logits (they are their own log-softmax).
    """
    logp, y = log_softmax(logits), _labels(y)
    return float(-np.mean(logp[np.arange(len(y)), y]))


def expected_calibration_error(y: np.ndarray, probs: np.ndarray, n_bins: int = 15) -> float:
    r"""Expected calibration error (Guo et al. 2017, "On Calibration of Modern Neural
    Networks", Eq. 3).

    The confidence of a prediction is its top probability :math:`\hat p_i=\max_k p_{ik}`.
    Split :math:`(0, 1]` into ``n_bins`` equal-width bins :math:`((m-1)/M, m/M]`; with
    :math:`B_m` the predictions whose confidence falls in bin m,

    .. math::

        \mathrm{ECE} = \sum_{m=1}^M \frac{|B_m|}{n}\,
            \big|\mathrm{acc}(B_m) - \mathrm{conf}(B_m)\big|,

    where acc is the fraction of correct predictions in the bin and conf their
    mean confidence. 0 for a perfectly calibrated model.
    """
    probs, y = np.asarray(probs, dtype=np.float64), _labels(y)
    confidence = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    # bin m (0-based) holds confidences in (m/M, (m+1)/M]
    bins = np.clip(np.ceil(confidence * n_bins).astype(np.int64) - 1, 0, n_bins - 1)
    ece = 0.0
    for m in range(n_bins):
        in_bin = bins == m
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidence[in_bin].mean())
            ece += in_bin.mean() * gap
    return float(ece)


def classification_metrics(y: np.ndarray, logits: np.ndarray) -> dict[str, float]:
    """Every classification metric (:data:`CLASSIFICATION_METRIC_NAMES`) of labels ``y [n]``
    against the logits ``[n, K]`` (or log-probabilities): the NLL from the logits
    (:func:`nll`), the ECE from ``softmax(logits)``; the prediction is the argmax (first
    on ties)."""
    logits = np.asarray(logits, dtype=np.float64)
    probs = softmax(logits)
    pred = logits.argmax(axis=1)
    return {
        "accuracy": accuracy(y, pred),
        "balanced_accuracy": balanced_accuracy(y, pred),
        "macro_f1": macro_f1(y, pred),
        "nll": nll(y, logits),
        "ece": expected_calibration_error(y, probs),
    }


# ---------------------------------------------------------------------------
# regression
# ---------------------------------------------------------------------------


def _pair(y: np.ndarray, pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(y, dtype=np.float64).ravel(), np.asarray(pred, dtype=np.float64).ravel()


def mse(y: np.ndarray, pred: np.ndarray) -> float:
    r"""Mean squared error :math:`\frac1n\sum_i(y_i-\hat y_i)^2` (scikit-learn
    ``mean_squared_error``)."""
    y, pred = _pair(y, pred)
    return float(np.mean((y - pred) ** 2))


def mae(y: np.ndarray, pred: np.ndarray) -> float:
    r"""Mean absolute error :math:`\frac1n\sum_i|y_i-\hat y_i|` (scikit-learn
    ``mean_absolute_error``)."""
    y, pred = _pair(y, pred)
    return float(np.mean(np.abs(y - pred)))


def median_absolute_error(y: np.ndarray, pred: np.ndarray) -> float:
    r"""Median of :math:`|y_i-\hat y_i|` (scikit-learn ``median_absolute_error``):
    insensitive to the worst half of the residuals."""
    y, pred = _pair(y, pred)
    return float(np.median(np.abs(y - pred)))


def quantile_coverage(y: np.ndarray, q_pred: np.ndarray) -> float:
    r"""Empirical coverage :math:`\frac1n\sum_i\mathbb{1}[y_i\le\hat q_i]` of a predicted
    quantile (Koenker & Bassett 1978): about tau for a good tau-quantile model, about
    0.5 for a median-unbiased point prediction."""
    y, q_pred = _pair(y, q_pred)
    return float(np.mean(y <= q_pred))


def gaussian_nll(y: np.ndarray, mean: np.ndarray, var: np.ndarray) -> float:
    r"""Mean Gaussian negative log-likelihood
    :math:`\frac1n\sum_i\tfrac12\big(\log(2\pi\sigma_i^2)+(y_i-\mu_i)^2/\sigma_i^2\big)`,
    variances floored at :math:`10^{-12}` (Nix & Weigend 1994; scores mean and
    uncertainty together). ``var`` may be a scalar (a homoscedastic model)."""
    y, mean = _pair(y, mean)
    var = np.maximum(np.broadcast_to(np.asarray(var, dtype=np.float64), y.shape), PROB_FLOOR)
    return float(np.mean(0.5 * (np.log(2 * np.pi * var) + (y - mean) ** 2 / var)))


def regression_metrics(
    y: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray | float,
    quantile_pred: np.ndarray | None = None,
) -> dict[str, float]:
    """Every regression metric (:data:`REGRESSION_METRIC_NAMES`) of the point prediction
    ``mean`` with predictive variance ``var``; ``coverage`` is that of
    ``quantile_pred`` when given, else of ``mean``."""
    return {
        "mse": mse(y, mean),
        "mae": mae(y, mean),
        "median_ae": median_absolute_error(y, mean),
        "coverage": quantile_coverage(y, mean if quantile_pred is None else quantile_pred),
        "nll": gaussian_nll(y, mean, var),
    }
