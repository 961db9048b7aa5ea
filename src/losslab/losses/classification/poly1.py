"""poly1: cross-entropy plus epsilon times its first Taylor term (Leng et al. 2022)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _example,
    _true_class_log_prob,
)
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Reference,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def poly1(*, logits: Tensor, targets: Tensor, epsilon: Knob) -> Tensor:
    r"""Poly-1 loss: cross-entropy with its leading polynomial coefficient raised by epsilon.

    .. math::

        \ell = -\log p_y + \epsilon\,(1 - p_y)

    :math:`1-p_y` is computed as ``-expm1(log p_y)`` (no cancellation). ``epsilon = 0``
    is exactly ``softmax-ce``. ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``;
    ``epsilon``: a number or per-member ``[S]``; returns ``[S]``.
    """
    log_p = _true_class_log_prob(logits, targets)
    epsilon = broadcast_knob(epsilon, log_p)
    return (-log_p + epsilon * -torch.expm1(log_p)).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="poly1",
            example=_example("poly1"),
            family=FAMILY,
            formula=r"\ell(z,y)=-\log p_y+\epsilon\,(1-p_y)",
            derivation=(
                r"**CE as a polynomial.** Expand $-\log p_y$ around $p_y=1$: "
                r"$-\log p_y=\sum_{j\ge1}\frac1j(1-p_y)^j$, every coefficient fixed at $1/j$.",
                r"**PolyLoss.** Leng et al. treat the coefficients as design choices: "
                r"$\sum_j\alpha_j(1-p_y)^j$. Focal loss is the series shifted by $\gamma$ "
                r"powers; changing the *leading* coefficient matters most because near "
                r"convergence ($p_y\to1$) the first term dominates the gradient.",
                r"**Poly-1.** Perturb only the first coefficient: $\alpha_1=1+\epsilon$, i.e. "
                r"$\ell=\mathrm{CE}+\epsilon(1-p_y)$. One knob, one extra term.",
                r"**Gradient.** $\partial\ell/\partial z=(p-e_y)(1+\epsilon p_y)$: CE's direction "
                r"scaled by $1+\epsilon p_y$. $\epsilon>0$ keeps pushing examples that are "
                r"already right (a constant gradient as $p_y\to1$ that CE lacks); "
                r"$\epsilon<0$ lets them go, as focal loss does.",
                r"**Range.** $\epsilon\ge-1$ keeps the loss non-negative and decreasing in "
                r"$p_y$, since $-\log p_y\ge1-p_y$. Leng et al. report $\epsilon=2$ best for "
                r"ImageNet classification and negative values for detection.",
            ),
            optimum_or_divergence=(
                r"$\epsilon=0$ is cross-entropy, minimised by the posterior. For $\epsilon\ne0$ "
                r"the minimiser of the expected loss is sharper ($\epsilon>0$) or flatter "
                r"($\epsilon<0$) than the posterior: not a proper scoring rule, but the argmax "
                r"is kept for $\epsilon>-1$."
            ),
            used_by=(
                "Image classification (Leng et al. 2022: ImageNet, +0.6% top-1 for "
                "ResNet-50 at epsilon = 2), detection and 3-D detection",
            ),
            why=(
                "A one-knob generalisation of CE (and, with negative epsilon, a gentle focal "
                "loss) that lets a tuned study find a better leading gradient than CE's."
            ),
            pros=(
                "One extra term, one knob; epsilon = 0 is exactly CE.",
                "Covers CE-like (epsilon > 0) and focal-like (epsilon < 0) behaviour.",
                "Reported gains on large benchmarks at no cost.",
            ),
            cons=(
                "The best epsilon is task-dependent; untuned it may do worse than CE.",
                "Probabilities are miscalibrated for epsilon != 0.",
                "Small effect on small problems; not aimed at noise or imbalance.",
            ),
            hyperparameters={
                "epsilon": Hyperparameter(
                    default=1.0,
                    low=-1.0,
                    search=Search.uniform(-1, 3),
                    doc=(
                        r"Perturbation $\epsilon$ of the first polynomial coefficient. 0 is "
                        "cross-entropy; 1 is the Poly-1 form's unit default, Leng et al. use "
                        "2 for ImageNet classification and -1 for detection. Range [-1, inf) "
                        "(the loss stays non-negative). Searched uniform over [-1, 3], the "
                        "paper's reported values with one unit of margin above."
                    ),
                )
            },
            references=(
                Reference(
                    "Leng, Z., Tan, M., Liu, C., Cubuk, E. D., Shi, X., Cheng, S., Anguelov, D.",
                    "PolyLoss: A Polynomial Expansion Perspective of Classification Loss Functions",
                    2022,
                    "https://arxiv.org/abs/2204.12511",
                ),
            ),
        ),
        terms={"loss": poly1},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
