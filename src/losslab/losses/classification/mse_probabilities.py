"""mse-probabilities: the cautionary case."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
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


def mse_probabilities(*, logits: Tensor, targets: Tensor) -> Tensor:
    r"""Squared error between the softmax probabilities and the one-hot label (Brier score).

    .. math::

        \ell = \sum_{k=1}^K \big(p_k - \mathbb{1}[k=y]\big)^2, \qquad p=\operatorname{softmax}(z)

    Summed over classes (the Brier score); the mean over the K entries is this
    divided by K. ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    _check(logits, targets)
    p = F.softmax(logits, dim=-1)
    onehot = F.one_hot(targets, logits.shape[-1]).to(p.dtype)
    return (p - onehot).pow(2).sum(dim=-1).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="mse-probabilities",
            example=_example("mse-probabilities"),
            family=FAMILY,
            formula=(
                r"\ell(z, y) = \sum_{k=1}^K\big(\operatorname{softmax}(z)_k-\mathbb{1}[k=y]\big)^2"
            ),
            derivation=(
                r"**The idea.** Regress the predicted probabilities onto the one-hot label "
                r"with a squared error: the Brier score (Brier 1950), a proper scoring rule, "
                r"so its optimum is still the true posterior.",
                r"**Gradient through the softmax.** With $\partial p_k/\partial z_i="
                r"p_k(\mathbb{1}[k=i]-p_i)$: $\frac{\partial\ell}{\partial z_i}="
                r"2\sum_k(p_k-\mathbb{1}[k=y])\,p_k(\mathbb{1}[k=i]-p_i)$.",
                r"**Confidently wrong means no gradient.** Suppose the net puts $p_j\approx1$ "
                r"on a wrong class $j$ and $p_y\approx0$. Every term carries a factor $p_k$ "
                r"(small unless $k=j$) or $(1-p_j)$ (small): the gradient is "
                r"$O(p_y+(1-p_j))$, of order $e^{-m}$ when the true class trails by a margin "
                r"$m$. The loss "
                r"is near its maximum (about 2) yet flat: exactly the sigmoid saturation the "
                r"cross-entropy's $\log$ cancels (its gradient $p-\mathbb{1}_y$ stays of size "
                r"$\approx\sqrt2$).",
                r"**Bounded loss.** $\ell\le2$ for every example: a mislabelled point can never "
                r"cost more than 2, which makes it more robust to label noise than CE, and "
                r"equally unable to fix its own confident mistakes.",
                r"**In practice.** A bad initialisation or a high learning rate that sends "
                r"logits far apart can leave examples stuck on the wrong side; training is "
                r"slower than with CE (Golik et al. 2013). Squared error on the *logits* "
                r"(no softmax) does not saturate and competes well (Hui & Belkin 2021): "
                r"the trouble is the softmax inside the square.",
            ),
            optimum_or_divergence=(
                r"A proper scoring rule: $\mathbb{E}_y\sum_k(p_k-\mathbb{1}[k=y])^2="
                r"\sum_k(p_k-P(k\mid x))^2+\text{const}$, minimised by $p=P(\cdot\mid x)$. "
                r"The trouble is the optimisation, not the optimum."
            ),
            used_by=(
                "Early neural networks trained by backpropagation on squared error",
                "The Brier score as a probability-forecast metric (weather, medicine)",
                "A cautionary baseline in loss comparisons (Golik et al. 2013)",
            ),
            why=(
                "The cautionary case: the same optimum as cross-entropy, but gradients that "
                "vanish on confidently wrong predictions. Watch it learn slower, or get stuck, "
                "where softmax-ce does not."
            ),
            pros=(
                "Proper scoring rule: calibrated optimum.",
                "Bounded loss (at most 2 per example): robust to a few mislabelled points.",
                "Directly optimises the Brier score.",
            ),
            cons=(
                "Vanishing gradients for confidently wrong predictions (softmax saturation).",
                "Slower convergence than cross-entropy; sensitive to initialisation.",
                "Non-convex in the logits.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Brier, G. W.",
                    "Verification of Forecasts Expressed in Terms of Probability",
                    1950,
                ),
                Reference(
                    "Golik, P., Doetsch, P., Ney, H.",
                    "Cross-Entropy vs. Squared Error Training: a Theoretical and Experimental "
                    "Comparison",
                    2013,
                ),
                Reference(
                    "Hui, L., Belkin, M.",
                    "Evaluation of Neural Architectures Trained with Square Loss vs "
                    "Cross-Entropy in Classification Tasks",
                    2021,
                    "https://arxiv.org/abs/2006.07322",
                ),
            ),
        ),
        terms={"loss": mse_probabilities},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
