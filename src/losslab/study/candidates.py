"""Which losses race on the user's data: documented rules over the profile.

The rules (every one names the profile fact it reads, see
:mod:`losslab.data.profile` for how each fact is measured):

**generate** -- every registered loss of the generative families in
:data:`GENERATIVE_FAMILIES` whose family the trainers can train (a family is
trainable when :data:`losslab.train.TRAINERS` holds the task type that
:data:`GENERATIVE_TASKS` names for it; adding a family is one line there). The
held-out score is the 1-Wasserstein distance ``w1``; when the profile finds 2 or
more modes the table also reports the modes captured, the high-quality fraction
and the reverse KL over the mixture's modes.

**classify** --

* ``softmax-ce`` always: the maximum-likelihood baseline;
* ``sigmoid-bce`` when there are exactly 2 classes;
* ``class-weighted-ce``, ``focal``, ``logit-adjusted-ce`` (Menon et al. 2021),
  ``balanced-softmax`` (Ren et al. 2020) and ``ldam`` (Cao et al. 2019, with deferred
  re-weighting) when the classes are imbalanced (largest / smallest class >= 3);
* ``label-smoothing-ce`` when classes overlap (5-NN cross-validated error >= 10%)
  or the data are small (< 1000 rows), where over-confident fits hurt;
* ``gce`` (Zhang & Sabuncu 2018) and ``sce`` (Wang et al. 2019) when classes overlap:
  overlap is what noisy labels look like to a profile, and these losses stop a network
  from memorising flipped labels;
* ``multiclass-hinge`` when classes are well separated (5-NN error < 5%): only the
  margin matters there;
* never ``mse-probabilities`` (the catalogue's cautionary case).

The score is the balanced accuracy when the classes are imbalanced, else the accuracy.

**regress** --

* ``mse`` always: the maximum-likelihood baseline under Gaussian noise;
* ``huber``, ``log-cosh``, ``mae``, ``cauchy`` (whose influence falls back to zero for
  gross outliers) and ``barron`` (Barron 2019's general robust loss, whose shape alpha
  the race's search tunes) when the linear-fit residuals have outliers (>= 1% with
  robust |z| > 3.5) or heavy tails (excess kurtosis > 1);
* ``mae`` also when the residuals are skewed (|skewness| > 1): the median, not the mean;
* ``gaussian-nll`` when the noise is heteroscedastic (Breusch-Pagan p < 0.01);
* ``poisson-nll`` and ``tweedie-nll`` (log link) when every target is a non-negative
  integer with at least 3 distinct values (counts); the race then keeps the targets raw
  (not standardised), as a log link needs, for every candidate;
* ``huber`` when no rule above added a challenger (it equals MSE near 0, so it is
  the safe alternative);
* not ``quantile``: it estimates a chosen quantile, a different question.

The score is the mean absolute error when outliers or heavy tails were found (a
squared error on contaminated test rows is dominated by the contamination), else
the mean squared error.
"""

from __future__ import annotations

from dataclasses import dataclass

from losslab.data.profile import Profile
from losslab.losses import all_losses, get_loss

GENERATIVE_FAMILIES = ("adversarial", "energy", "diffusion")
"""Families raced for ``--task generate``, when trainable (see :func:`trainable_families`)."""

GENERATIVE_TASKS = {
    "adversarial": "AdversarialTask",
    "energy": "GenerativeTask",
    "diffusion": "GenerativeTask",
}
"""The trainer task type of each generative family (its class name in
:data:`losslab.train.TRAINERS`); :mod:`losslab.study.race` builds both kinds. A new
family is one line here (and in :data:`GENERATIVE_FAMILIES`)."""


@dataclass(frozen=True)
class Candidate:
    loss: str
    family: str
    reason: str  # the rule that brought it in, with the profile fact


@dataclass(frozen=True)
class Plan:
    candidates: tuple[Candidate, ...]
    metric: str  # the held-out score the race ranks on
    metric_reason: str
    secondary: tuple[str, ...]  # further metrics shown in the table
    rules: tuple[str, ...]  # the rules as applied, for the output


def trainable_families() -> list[str]:
    from losslab.train import TRAINERS

    known = {t.__name__ for t in TRAINERS}
    return [f for f in GENERATIVE_FAMILIES if GENERATIVE_TASKS.get(f) in known]


def generative_losses() -> list[str]:
    """The registered losses of every trainable generative family."""
    return [s.name for f in trainable_families() for s in all_losses(f)]


def choose(profile: Profile) -> Plan:
    """The candidates and the score for ``profile.task``, by the rules above."""
    return {"generate": _generate, "classify": _classify, "regress": _regress}[profile.task](
        profile
    )


def _generate(p: Profile) -> Plan:
    families = trainable_families()
    cands = [
        Candidate(s.name, s.family, f"every trainable generative loss ({s.family} family)")
        for f in families
        for s in all_losses(f)
    ]
    secondary = ["w1", "energy", "mmd"] if p.dim > 1 else ["w1", "ks", "energy"]
    if p.multimodal:
        secondary += ["modes", "high_quality", "reverse_kl"]
    skipped = [f for f in GENERATIVE_FAMILIES if f not in families]
    rules = [
        f"generate: every loss of the families {', '.join(families)}"
        + (f" ({', '.join(skipped)}: no trainer yet)" if skipped else "")
    ]
    if p.multimodal:
        rules.append(
            f"{p.modes} modes found: modes captured, high-quality fraction and "
            "reverse KL are measured per candidate"
        )
    return Plan(
        tuple(cands),
        "w1",
        "1-Wasserstein distance of generated samples to held-out rows (standardised units)",
        tuple(secondary),
        tuple(rules),
    )


def _add(cands: list[Candidate], loss: str, reason: str) -> None:
    if any(c.loss == loss for c in cands):
        return
    cands.append(Candidate(loss, get_loss(loss).family, reason))


def _classify(p: Profile) -> Plan:
    k = len(p.classes)
    cands: list[Candidate] = []
    _add(cands, "softmax-ce", "always: the maximum-likelihood baseline")
    if k == 2:
        _add(cands, "sigmoid-bce", "2 classes: one logit with binary cross-entropy")
    if p.imbalanced:
        why = f"imbalanced classes (largest/smallest = {p.imbalance_ratio:.1f} >= 3)"
        for loss in (
            "class-weighted-ce", "focal", "logit-adjusted-ce", "balanced-softmax", "ldam"
        ):
            _add(cands, loss, why)
    if p.overlapping:
        why = f"overlapping classes (5-NN error {p.overlap:.1%} >= 10%)"
        _add(cands, "label-smoothing-ce", why)
        for loss in ("gce", "sce"):
            _add(cands, loss, why + ": noisy labels look like this; a noise-robust loss")
    elif p.n < 1000:
        _add(
            cands,
            "label-smoothing-ce",
            f"small data ({p.n} rows < 1000): guards against over-confident fits",
        )
    if p.separated:
        _add(
            cands,
            "multiclass-hinge",
            f"well-separated classes (5-NN error {p.overlap:.1%} < 5%): a margin loss",
        )
    if p.imbalanced:
        metric, why = "balanced_accuracy", "balanced accuracy (classes are imbalanced)"
    else:
        metric, why = "accuracy", "accuracy on the held-out test split"
    secondary = ("accuracy", "balanced_accuracy", "macro_f1", "nll", "ece")
    return Plan(tuple(cands), metric, why, secondary, _rule_lines(cands))


def _regress(p: Profile) -> Plan:
    cands: list[Candidate] = []
    _add(cands, "mse", "always: the maximum-likelihood baseline under Gaussian noise")
    robust = p.has_outliers or p.heavy_tailed
    if robust:
        facts = []
        if p.has_outliers:
            facts.append(f"{p.outlier_fraction:.1%} outlying residuals (robust |z| > 3.5)")
        if p.heavy_tailed:
            facts.append(
                f"heavy-tailed residuals (excess kurtosis {p.residual_excess_kurtosis:.1f} > 1)"
            )
        why = "; ".join(facts)
        for loss in ("huber", "log-cosh", "mae", "cauchy", "barron"):
            _add(cands, loss, why)
    if p.skewed_residuals:
        _add(cands, "mae", f"skewed residuals (skewness {p.residual_skewness:.2f}): the median")
    if p.heteroscedastic:
        _add(
            cands,
            "gaussian-nll",
            f"heteroscedastic noise (Breusch-Pagan p = "
            f"{p.heteroscedasticity_p:.2g} < 0.01): predicts a variance per input",
        )
    if p.counts:
        why = (
            "non-negative integer target (counts; variance / mean = "
            f"{p.target_dispersion:.2f}): a log-link count likelihood"
        )
        _add(cands, "poisson-nll", why)
        _add(cands, "tweedie-nll", why + " that allows over-dispersion")
    if len(cands) == 1:
        _add(
            cands,
            "huber",
            "no outliers, skew or heteroscedasticity found: the safe "
            "alternative (equals MSE near 0)",
        )
    if robust:
        metric, why = "mae", "mean absolute error (outliers or heavy tails found)"
    else:
        metric, why = "mse", "mean squared error on the held-out test split"
    secondary = ("mse", "mae", "median_ae", "nll", "coverage")
    return Plan(tuple(cands), metric, why, secondary, _rule_lines(cands))


def _rule_lines(cands: list[Candidate]) -> tuple[str, ...]:
    return tuple(f"{c.loss}: {c.reason}" for c in cands)
