"""sigmoid-bce: one logit, P(y=1|x) = sigmoid(z)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.classification._common import (
    _ADAM,
    BISHOP_2006,
    COX_1958,
    FAMILY,
    _check,
    _example,
)
from losslab.losses.registry import (
    Card,
    LossSpec,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def sigmoid_bce(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Binary cross-entropy from one logit per sample: :math:`P(y=1\mid x)=\sigma(z)`.

    .. math::

        \ell = -y\log\sigma(z) - (1-y)\log(1-\sigma(z))
             = \operatorname{softplus}(z) - y\,z

    ``logits``: ``[S, B, 1]``; ``targets``: ``[S, B]`` in ``{0, 1}``; returns ``[S]``.
    """
    _check(logits, targets)
    if logits.shape[-1] != 1:
        raise ValueError(f"sigmoid-bce takes one logit per sample, got {logits.shape[-1]}")
    z = logits.squeeze(-1)
    return (F.softplus(z) - targets.to(z.dtype) * z).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="sigmoid-bce",
            example=_example("sigmoid-bce", width="1", classes=2),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = -y\log\sigma(z)-(1-y)\log(1-\sigma(z))"
                r" = \operatorname{softplus}(z)-y\,z,\quad \sigma(z)=\frac{1}{1+e^{-z}}"
            ),
            derivation=(
                r"**Bayes with two classes.** $P(C_1\mid x)=\frac{p(x\mid C_1)P(C_1)}"
                r"{p(x\mid C_1)P(C_1)+p(x\mid C_2)P(C_2)}=\frac{1}{1+e^{-a}}=\sigma(a)$ with "
                r"$a=\log\frac{p(x\mid C_1)P(C_1)}{p(x\mid C_2)P(C_2)}$, the log-odds. The "
                r"sigmoid turns log-odds into a probability.",
                r"**The model.** Let the network output the log-odds directly: one logit $z$, "
                r"$P(y=1\mid x)=\sigma(z)$ and $P(y=0\mid x)=1-\sigma(z)=\sigma(-z)$.",
                r"**Maximum likelihood.** A label $y\in\{0,1\}$ is a Bernoulli draw; its "
                r"negative log-likelihood is $-y\log\sigma(z)-(1-y)\log\sigma(-z)$, the binary "
                r"cross-entropy.",
                r"**Stable form.** $-\log\sigma(z)=\operatorname{softplus}(-z)$ and "
                r"$\operatorname{softplus}(-z)=\operatorname{softplus}(z)-z$, so "
                r"$\ell=\operatorname{softplus}(z)-yz$, finite for every $z$.",
                r"**Gradient.** $\partial\ell/\partial z=\sigma(z)-y$: the residual in "
                r"probability, never saturating when the model is wrong.",
            ),
            optimum_or_divergence=(
                r"Minimised in expectation by $\sigma(z(x))=P(y=1\mid x)$ (a proper scoring "
                r"rule); the excess risk is $\mathbb{E}_x\,\mathrm{KL}(P(y\mid x)\,\|\,"
                r"\mathrm{Bernoulli}(\sigma(z(x))))$."
            ),
            used_by=(
                "Logistic regression (Cox 1958)",
                "Binary and multi-label classifiers (one sigmoid per label)",
                "GAN discriminators (the adversarial family's minimax-bce)",
                "RetinaNet's per-class sigmoid heads (with the focal modulation)",
            ),
            why=(
                "The loss for two classes: one logit read as log-odds, trained by maximum "
                "likelihood. The softmax cross-entropy is its K-class generalisation."
            ),
            pros=(
                "Calibrated at the optimum: a proper scoring rule.",
                "Half the output units of a 2-way softmax, with identical expressiveness.",
                "Convex in the logit; gradient sigma(z) - y never saturates when wrong.",
            ),
            cons=(
                "Binary only: K classes need K one-vs-rest sigmoids, which no longer sum to 1.",
                "Unbounded on mislabelled points: a flipped label costs about |z|.",
                "Over-confident networks reach very large logits (mitigated by label smoothing).",
            ),
            hyperparameters={},
            references=(COX_1958, BISHOP_2006),
        ),
        terms={"loss": sigmoid_bce},
        optimizer=_ADAM,
        training={"outputs": 1, "binary": True},
    )
)
