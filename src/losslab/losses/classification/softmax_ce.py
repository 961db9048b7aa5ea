"""softmax-ce: K logits, the softmax derived from the sigmoid's odds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.classification._common import (
    _ADAM,
    _CE_DERIVATION_TAIL,
    BISHOP_2006,
    BRIDLE_1990,
    FAMILY,
    GUO_2017,
    _example,
    _true_class_log_prob,
)
from losslab.losses.registry import (
    Card,
    LossSpec,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def softmax_ce(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Softmax cross-entropy: the negative log-likelihood of the true class.

    .. math::

        \ell = -\log\frac{e^{z_y}}{\sum_j e^{z_j}} = -z_y + \log\sum_j e^{z_j}

    ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return -_true_class_log_prob(logits, targets).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="softmax-ce",
            example=_example("softmax-ce"),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = -\log\operatorname{softmax}(z)_y = -z_y+\log\sum_{j=1}^K e^{z_j},"
                r"\quad \operatorname{softmax}(z)_i=\frac{e^{z_i}}{\sum_j e^{z_j}}"
            ),
            derivation=(
                r"**The sigmoid reads log-odds.** With two classes, Bayes' rule gives "
                r"$P(C_1\mid x)=\sigma(a)=\frac{1}{1+e^{-a}}$, where "
                r"$a=\log\frac{P(C_1\mid x)}{P(C_2\mid x)}$ is the log-odds of class 1 against "
                r"class 2.",
                r"**K classes: odds against a reference class.** Keep that reading and let "
                r"the network output, for each class $i$, the log-odds against a reference "
                r"class $K$: $\log\frac{P(C_i\mid x)}{P(C_K\mid x)}=z_i$, i.e. "
                r"$P(C_i\mid x)=P(C_K\mid x)\,e^{z_i}$, with $z_K=0$.",
                r"**Normalise.** The probabilities sum to one: "
                r"$1=\sum_i P(C_i\mid x)=P(C_K\mid x)\sum_j e^{z_j}$, so "
                r"$P(C_K\mid x)=1/\sum_j e^{z_j}$ and $P(C_i\mid x)=\frac{e^{z_i}}{\sum_j e^{z_j}}"
                r"=\operatorname{softmax}(z)_i$.",
                r"**Shift invariance.** Adding the same $c$ to every $z_j$ leaves the softmax "
                r"unchanged, so the constraint $z_K=0$ can be dropped: a network with $K$ free "
                r"outputs computes log-odds up to one shared shift (the symmetric, "
                r"over-parameterised form everybody uses).",
                r"**K = 2 is the sigmoid.** $\operatorname{softmax}(z)_1=\frac{e^{z_1}}"
                r"{e^{z_1}+e^{z_2}}=\frac{1}{1+e^{-(z_1-z_2)}}=\sigma(z_1-z_2)$: the sigmoid is "
                r"the two-class softmax of the logit difference.",
                *_CE_DERIVATION_TAIL,
                r"**Stable form.** Compute $\log\sum_j e^{z_j}$ as "
                r"$m+\log\sum_j e^{z_j-m}$ with $m=\max_j z_j$ (``logsumexp``): no overflow, "
                r"and the loss is finite for any logits.",
            ),
            optimum_or_divergence=(
                r"A proper scoring rule: the expected loss $\mathbb{E}_{x,y}[-\log p_y(x)]"
                r"=\mathbb{E}_x\big[H(P(\cdot\mid x))+\mathrm{KL}(P(\cdot\mid x)\,\|\,p(x))\big]$ "
                r"is minimised by $p(x)=P(\cdot\mid x)$, the true class posterior."
            ),
            used_by=(
                "Nearly every neural classifier: ImageNet CNNs (AlexNet, ResNet), Transformers",
                "Language models (next-token cross-entropy over the vocabulary)",
                "Multinomial logistic regression",
            ),
            why=(
                "The default classification loss: maximum likelihood for a categorical output, "
                "with probabilities that are calibrated at the optimum and gradients that "
                "never vanish on wrong, confident predictions."
            ),
            pros=(
                "Maximum likelihood: consistent, and calibrated at the optimum.",
                "Gradient softmax(z) - onehot(y): simple, bounded, non-saturating when wrong.",
                "Convex in the logits; cheap and stable via logsumexp.",
            ),
            cons=(
                "Keeps pushing correct logits apart after the argmax is right: large "
                "networks end over-confident (Guo et al. 2017).",
                "Sensitive to label noise: a mislabelled example costs about its margin, "
                "without bound.",
                "Under class imbalance the majority classes dominate the average.",
            ),
            hyperparameters={},
            references=(BRIDLE_1990, BISHOP_2006, GUO_2017),
        ),
        terms={"loss": softmax_ce},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
