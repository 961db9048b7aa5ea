"""Simple models raced beside the neural losses of ``losslab recommend``, on the same rows.

A neural loss is worth recommending only if the network trained with it beats what a
simple model gets on the same held-out rows. Per task:

* **regress**: the training mean (``baseline: mean``) and a ridge regression
  (``baseline: ridge``; scikit-learn ``Ridge``, its alpha chosen by ``RidgeCV``'s
  leave-one-out error on the training rows over :data:`RIDGE_ALPHAS`);
* **classify**: the majority class (``baseline: majority``; its probabilities are the
  training class frequencies, so its NLL is finite) and a logistic regression
  (``baseline: logistic``; scikit-learn ``LogisticRegression``, L2, ``C = 1``);
* **generate**: a Gaussian with the training rows' mean and covariance
  (``baseline: gaussian``) and, when the profile found ``K >= 2`` modes, a Gaussian
  mixture with ``K`` components fitted by EM (``baseline: gmm-K``, scikit-learn
  ``GaussianMixture``); each draws as many samples as a network does.

Supervised baselines are fitted on member seed ``s``'s training split and scored on its
test split -- the split member ``s`` of every candidate trains and is scored on
(:mod:`losslab.rng` stream ``split``) -- with the trainer's own metric functions
(:mod:`losslab.metrics.supervised`): the regression NLL's variance is the mean squared
residual on the validation split, as for every neural loss without a variance head.
Generative baselines are fitted on the race's training rows and their samples scored
against the same held-out test rows as the finalists' samples. So each baseline is one
more "member" per seed, paired with the finalists by seed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from losslab.metrics import sample_metrics
from losslab.metrics.baselines import training_mean_baseline
from losslab.metrics.supervised import classification_metrics, regression_metrics
from losslab.rng import numpy_generator

RIDGE_ALPHAS = tuple(np.logspace(-3, 3, 13))
"""The alphas ``RidgeCV`` chooses among (10^-3 .. 10^3, half a decade apart)."""

PREFIX = "baseline: "


def is_baseline(name: str) -> bool:
    """Whether a table row or member is a baseline (its name starts with ``baseline: ``)."""
    return str(name).startswith(PREFIX)


def _member(name: str, seed: int, metrics: dict[str, float]) -> dict[str, Any]:
    ok = all(np.isfinite(v) for v in metrics.values())
    return {
        "loss": PREFIX + name,
        "registry_name": None,
        "seed": int(seed),
        "status": "ok",
        "reason": "" if ok else "a metric was not finite",
        "diverged_step": None,
        "metrics": {k: float(v) for k, v in metrics.items() if np.isfinite(v)},
    }


def supervised_baselines(
    dataset: Any, study_seed: int, seeds: list[int], task: str
) -> list[dict[str, Any]]:
    """The two baselines of ``task`` (``classify`` or ``regress``) on each member seed's
    split of ``dataset`` (a :class:`~losslab.data.supervised.SupervisedDataset`)."""
    from sklearn.linear_model import LogisticRegression, RidgeCV

    out: list[dict[str, Any]] = []
    for seed in seeds:
        sp = dataset.splits(numpy_generator(study_seed, seed, "split"))
        x_tr, x_val, x_te = (
            np.asarray(a, dtype=np.float64) for a in (sp.x_train, sp.x_val, sp.x_test)
        )
        if task == "classify":
            k = int(dataset.n_classes)
            freq = np.bincount(sp.y_train, minlength=k) / len(sp.y_train)
            majority = np.tile(freq, (len(sp.y_test), 1))
            # the metrics take logits (log-probabilities are their own log-softmax)
            with np.errstate(divide="ignore"):  # a class absent from training: log 0
                majority = np.log(majority)
            out.append(_member("majority", seed, classification_metrics(sp.y_test, majority)))
            model = LogisticRegression(C=1.0, max_iter=2000).fit(x_tr, sp.y_train)
            probs = np.zeros((len(sp.y_test), k))
            probs[:, model.classes_] = model.predict_proba(x_te)
            with np.errstate(divide="ignore"):
                logp = np.log(probs)
            out.append(_member("logistic", seed, classification_metrics(sp.y_test, logp)))
            continue
        y_tr, y_val = np.asarray(sp.y_train, np.float64), np.asarray(sp.y_val, np.float64)
        # the study's trivial baseline (what a member must beat to count as converged)
        out.append(_member("mean", seed, training_mean_baseline(sp)["metrics"]))
        ridge = RidgeCV(alphas=RIDGE_ALPHAS).fit(x_tr, y_tr)
        var = float(np.mean((y_val - ridge.predict(x_val)) ** 2))
        out.append(_member("ridge", seed, regression_metrics(sp.y_test, ridge.predict(x_te), var)))
    return out


def generative_baselines(
    train: np.ndarray,
    test: np.ndarray,
    seeds: list[int],
    study_seed: int,
    modes: int,
    n_samples: int,
    centers: np.ndarray | None = None,
    mode_std: float | None = None,
) -> list[dict[str, Any]]:
    """A Gaussian (the training rows' mean and covariance) and, for ``modes >= 2``, a
    ``modes``-component Gaussian mixture, each drawing ``n_samples`` per seed (from the
    seed's ``eval`` stream), scored by :func:`~losslab.metrics.sample_metrics`
    against ``test``."""
    from sklearn.mixture import GaussianMixture

    train = np.asarray(train, dtype=np.float64)
    mu = train.mean(axis=0)
    cov = np.atleast_2d(np.cov(train, rowvar=False))
    gmm = None
    if modes >= 2:
        gmm = GaussianMixture(modes, covariance_type="full", n_init=2, random_state=study_seed)
        gmm.fit(train)
    out = []
    for seed in seeds:
        rng = numpy_generator(study_seed, seed, "eval")
        gen = rng.multivariate_normal(mu, cov, size=n_samples)
        out.append(_member("gaussian", seed, sample_metrics(gen, test, centers, mode_std)))
        if gmm is not None:
            gmm.random_state = int(rng.integers(2**31 - 1))
            # sample() returns the rows grouped by component; shuffled, any first rows
            # (``w1`` reads the first 1,000) are a draw from the whole mixture
            gen = rng.permutation(gmm.sample(n_samples)[0])
            out.append(_member(f"gmm-{modes}", seed, sample_metrics(gen, test, centers, mode_std)))
    return out


def linear_loss(task: str, metric: str) -> str:
    """The loss to fit the strongest simple model with, for the words of a recommendation
    that no neural loss earned."""
    if task == "classify":
        return "softmax-ce (what logistic regression minimises)"
    if task == "generate":
        return "maximum likelihood (the Gaussian mixture's EM), not a neural generative loss"
    if metric == "mae":
        return "mae or huber (a linear model fitted for the median; mse if outliers are rare)"
    return "mse (what ridge regression minimises, with its L2 penalty)"
