r"""Trivial baselines per dataset, and the ``not-converged`` status they define.

A member that finished with finite metrics is ``ok`` only if it beats what a model that
learned nothing from the data but its first moments would score. Per kind of data, with
the same metric code, evaluation size and seed scheme (:mod:`losslab.rng`) as a member
of seed ``s``:

* **generative** (``gaussian``; ``data mean`` where the data is itself about Gaussian,
  see :func:`gaussian_baseline`): the Gaussian :math:`\mathcal N(\hat\mu, \hat\Sigma)` with
  the mean and covariance of member ``s``'s training data (its ``data_points`` fixed
  points, stream ``data``; with fresh data every step, :data:`FIT_SAMPLES` points of that
  stream), sampled ``eval_samples`` times (stream ``baseline``) and scored by
  :func:`~losslab.metrics.sample_metrics` plus the dataset's extra metrics against the
  very reference sample member ``s`` is scored against (stream ``eval``);
* **classification** (``majority``): the majority class of member ``s``'s training split
  (stream ``split``), its probabilities the add-one smoothed training class frequencies
  (so its NLL is finite), scored on the test split by
  :func:`~losslab.metrics.classification_metrics`;
* **regression** (``training mean``): the mean of the training targets, its variance the
  mean squared residual on the validation split (as for every loss without a variance
  head), scored on the test split by :func:`~losslab.metrics.regression_metrics`.

A member is **not converged** when its value of the primary metric
(:data:`PRIMARY_METRIC`: ``w1``, ``balanced_accuracy``, ``mse``, the tuner's defaults)
is finite and does not beat the baseline of its seed: not lower for a lower-is-better
metric, not higher for a higher-is-better one (a classifier at the majority class's
balanced accuracy 1/K learned nothing). Such members keep their metrics and count in
every statistic (:data:`SCORED`); the status only says that "finished" is not "trained".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losslab.metrics.direction import direction
from losslab.metrics.samples import sample_metrics
from losslab.metrics.supervised import classification_metrics, regression_metrics

NOT_CONVERGED = "not-converged"
SCORED = ("ok", NOT_CONVERGED)
"""Statuses of members that finished with their final metrics; both count in every
statistic. ``diverged`` (a non-finite loss) and ``failed`` (an exception) have none."""
PRIMARY_METRIC = {"generate": "w1", "classify": "balanced_accuracy", "regress": "mse"}
"""The metric a member must beat its baseline on, per kind of data (the tuner's default
metric, :data:`losslab.study.space.DEFAULT_METRIC`)."""
FIT_SAMPLES = 10_000
"""Points the Gaussian baseline is fitted on when members draw fresh data every step."""
FLOOR_FACTOR = 2.0
"""The Gaussian is a generative baseline only if its primary metric is at least this many
times a fresh data sample's (else it is as good as the data; see gaussian_baseline)."""


def data_kind(dataset: Any) -> str:
    """``"classify"``, ``"regress"`` or ``"generate"``."""
    task = getattr(dataset, "task", None)
    return task if task in ("classify", "regress") else "generate"


def primary_metric(dataset: Any) -> str:
    """The metric :func:`not_converged` judges a member of ``dataset`` on."""
    return PRIMARY_METRIC[data_kind(dataset)]


def gaussian_baseline(
    dataset: Any, study_seed: int, seed: int, eval_samples: int, data_points: int | None = None
) -> dict[str, Any]:
    """Metrics of the Gaussian with the training data's mean and covariance (module doc);
    where that Gaussian is no trivial model of the data, those of the data's mean.

    The Gaussian is a baseline only if it is told apart from the data: its primary metric
    at least :data:`FLOOR_FACTOR` times that of a fresh sample of the data itself (stream
    ``baseline``, after the Gaussian's draws), scored the same way. On data that is
    (nearly) Gaussian it is not -- a trained generator cannot beat it -- and the baseline
    is the point mass at the data's mean instead (a generator collapsed to one point;
    for a Gaussian of sd sigma its W1 is sigma sqrt(2/pi)). ``data_floor`` keeps the fresh
    sample's value.
    """
    from losslab.rng import numpy_generator  # torch-free callers need not import it

    fit_rng = numpy_generator(study_seed, seed, "data")
    data = np.asarray(dataset.sample(data_points or FIT_SAMPLES, fit_rng), dtype=np.float64)
    data = data.reshape(len(data), -1)
    mean = data.mean(axis=0)
    cov = np.atleast_2d(np.cov(data, rowvar=False))
    draw = numpy_generator(study_seed, seed, "baseline")
    generated = draw.multivariate_normal(mean, cov, size=eval_samples)
    reference = dataset.sample(eval_samples, numpy_generator(study_seed, seed, "eval"))
    reference = np.asarray(reference).reshape(eval_samples, -1)
    fresh = np.asarray(dataset.sample(eval_samples, draw)).reshape(eval_samples, -1)

    def score(samples: np.ndarray) -> dict[str, float]:
        samples = samples.astype(reference.dtype)
        out = sample_metrics(samples, reference, dataset.mode_centers(), dataset.mode_std())
        out |= dataset.extra_metrics(samples)
        return {k: float(v) for k, v in out.items()}

    metric = PRIMARY_METRIC["generate"]
    gaussian, floor = score(generated), score(fresh)
    fitted = f"{data_points} training points" if data_points else f"{FIT_SAMPLES} data points"
    if gaussian[metric] >= FLOOR_FACTOR * floor[metric]:
        return {
            "baseline": "gaussian",
            "what": "samples of a Gaussian with the data's mean and covariance (fitted on "
            f"{fitted})",
            "metrics": gaussian,
            "data_floor": floor[metric],
        }
    return {
        "baseline": "data mean",
        "what": f"every sample at the data's mean (fitted on {fitted}): a Gaussian with the "
        f"data's mean and covariance is as close to the data as a fresh sample of it "
        f"({metric} {gaussian[metric]:.3g} against {floor[metric]:.3g}), so it is no "
        "trivial model here",
        "metrics": score(np.broadcast_to(mean, generated.shape).copy()),
        "data_floor": floor[metric],
        "gaussian": gaussian,
    }


def supervised_baseline(dataset: Any, study_seed: int, seed: int) -> dict[str, Any]:
    """Majority class (classification) or training mean (regression) of seed ``seed``'s
    split, scored on its test split (module doc)."""
    from losslab.rng import numpy_generator

    sp = dataset.splits(numpy_generator(study_seed, seed, "split"))
    if dataset.task == "classify":
        return majority_baseline(sp, int(dataset.n_classes))
    return training_mean_baseline(sp)


def majority_baseline(sp: Any, n_classes: int) -> dict[str, Any]:
    """The majority class of the training split of ``sp`` (a ``Splits``), scored on its
    test split; its probabilities the add-one smoothed training class frequencies."""
    n = len(sp.y_test)
    k = max(n_classes, int(sp.y_train.max()) + 1, int(sp.y_test.max()) + 1)
    counts = np.bincount(sp.y_train.astype(np.int64), minlength=k) + 1.0
    logits = np.broadcast_to(np.log(counts / counts.sum()), (n, k))
    return {
        "baseline": "majority",
        "what": "the majority class of the training split (add-one smoothed class "
        "frequencies as probabilities)",
        "metrics": classification_metrics(sp.y_test, logits),
    }


def training_mean_baseline(sp: Any) -> dict[str, Any]:
    """The mean of the training targets of ``sp`` (a ``Splits``), scored on its test split;
    its variance the mean squared residual on the validation split."""
    centre = float(np.mean(sp.y_train, dtype=np.float64))
    var = float(np.mean((sp.y_val.astype(np.float64) - centre) ** 2))
    return {
        "baseline": "training mean",
        "what": "the mean of the training targets (variance: the validation mean squared "
        "residual)",
        "metrics": regression_metrics(sp.y_test, np.full(len(sp.y_test), centre), var),
    }


def baseline(
    dataset: Any,
    study_seed: int,
    seed: int,
    eval_samples: int | None = None,
    data_points: int | None = None,
) -> dict[str, Any]:
    """The trivial baseline of ``dataset`` for member seed ``seed``: ``{"baseline": name,
    "what": a sentence, "metrics": {name: value}, "metric": the primary metric}``."""
    if data_kind(dataset) == "generate":
        if eval_samples is None:
            raise ValueError("a generative baseline needs the study's eval_samples")
        out = gaussian_baseline(dataset, study_seed, seed, eval_samples, data_points)
    else:
        out = supervised_baseline(dataset, study_seed, seed)
    out["metric"] = primary_metric(dataset)
    return out


def not_converged(metrics: dict[str, float], base: dict[str, Any]) -> bool:
    """Whether finite ``metrics`` fail to beat ``base`` (a :func:`baseline`) on its
    primary metric; ``False`` where either value is missing or not finite."""
    metric = base.get("metric")
    mine, theirs = metrics.get(metric), base.get("metrics", {}).get(metric)
    if mine is None or theirs is None:
        return False
    mine, theirs = float(mine), float(theirs)
    if not (math.isfinite(mine) and math.isfinite(theirs)):
        return False
    return mine <= theirs if direction(metric) == "max" else mine >= theirs


def verdict_reason(metrics: dict[str, float], base: dict[str, Any]) -> str:
    """The one line a not-converged member's ``reason`` carries."""
    metric = base["metric"]
    return (
        f"{metric} {metrics[metric]:.4g} did not beat the {base['baseline']} baseline's "
        f"{base['metrics'][metric]:.4g} (same seed)"
    )
