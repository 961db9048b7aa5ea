"""multiclass-hinge: Crammer & Singer's multi-class SVM loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _check,
    _example,
)
from losslab.losses.registry import (
    Card,
    LossSpec,
    Reference,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def multiclass_hinge(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Crammer-Singer multi-class hinge: the true logit must beat every other by 1.

    .. math::

        \ell = \max\big(0,\; 1 + \max_{j\ne y} z_j - z_y\big)

    ``logits``: ``[S, B, K]`` with ``K >= 2``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    _check(logits, targets)
    index = targets.unsqueeze(-1)
    true = logits.gather(-1, index).squeeze(-1)
    others = logits.scatter(-1, index, float("-inf")).amax(dim=-1)
    return torch.relu(1.0 + others - true).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="multiclass-hinge",
            example=_example("multiclass-hinge"),
            family=FAMILY,
            formula=r"\ell(z, y) = \max\big(0,\ 1+\max_{j\neq y} z_j - z_y\big)",
            derivation=(
                r"**Binary SVM.** With $y\in\{\pm1\}$ and score $z$, the soft-margin SVM "
                r"minimises $\max(0,1-yz)$ plus a norm penalty: zero loss once the example "
                r"is on the right side with margin 1.",
                r"**Margin for K classes.** Define the margin "
                r"$m=z_y-\max_{j\ne y}z_j$: positive iff the true class wins. Crammer & "
                r"Singer (2001) ask for $m\ge1$ and pay $\max(0,1-m)$, the hinge of the margin.",
                r"**Convex surrogate.** $\max(0,1-m)$ is convex in $z$ and bounds the 0-1 "
                r"error $\mathbb{1}[m\le0]$ from above.",
                r"**Gradient.** For $m<1$ the (sub)gradient is $+1$ on the strongest wrong "
                r"logit and $-1$ on the true one; for $m\ge1$ it is exactly zero: examples "
                r"beyond the margin stop contributing (the SVM's support vectors are those "
                r"with $m\le1$).",
                r"**No probabilities.** The hinge does not model $P(y\mid x)$; losslab "
                r"reports softmax(z) for the probability metrics, which are then "
                r"uncalibrated by construction.",
            ),
            optimum_or_divergence=(
                r"Classification-calibrated in the margin sense only: the Crammer-Singer "
                r"loss is Fisher-consistent for the Bayes classifier when some class has "
                r"$P(y\mid x)>1/2$, but not in general (Tewari & Bartlett 2007); it estimates "
                r"no probabilities."
            ),
            used_by=(
                "Multi-class SVMs (Crammer & Singer 2001; LIBLINEAR's crammer_singer mode)",
                "Deep nets with an SVM top layer (Tang 2013)",
                "Structured prediction (the structured SVM generalises it)",
            ),
            why=(
                "A margin loss: only examples that are wrong or within the margin matter, "
                "which ignores easy points and gives sparse, robust gradients, at the price "
                "of probability estimates."
            ),
            pros=(
                "Zero gradient for well-classified points: focuses on the boundary.",
                "Grows only linearly with a wrong margin (a mislabelled point costs |m| + 1).",
                "Convex in the logits; no hyper-parameters (the margin scale is absorbed by "
                "the logits).",
            ),
            cons=(
                "No probabilities: NLL and calibration of softmax(z) are poor.",
                "Not differentiable at the margin and only the top wrong class gets gradient: "
                "slower optimisation.",
                "Not Fisher-consistent in general for K > 2.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Crammer, K., Singer, Y.",
                    "On the Algorithmic Implementation of Multiclass Kernel-based Vector Machines",
                    2001,
                    "https://www.jmlr.org/papers/v2/crammer01a.html",
                ),
                Reference(
                    "Tang, Y.",
                    "Deep Learning using Linear Support Vector Machines",
                    2013,
                    "https://arxiv.org/abs/1306.0239",
                ),
                Reference(
                    "Tewari, A., Bartlett, P. L.",
                    "On the Consistency of Multiclass Classification Methods",
                    2007,
                ),
            ),
        ),
        terms={"loss": multiclass_hinge},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
