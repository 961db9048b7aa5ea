"""gce: generalized cross-entropy, the noise-robust Box-Cox bridge between CE and MAE."""

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


def gce(*, logits: Tensor, targets: Tensor, q: Knob) -> Tensor:
    r"""Generalized cross-entropy (the :math:`\mathcal L_q` loss) of Zhang & Sabuncu 2018.

    .. math::

        \ell = \frac{1 - p_y^{\,q}}{q}, \qquad p_y = \operatorname{softmax}(z)_y,
        \quad q\in(0, 1]

    computed as ``-expm1(q * log p_y) / q``: no cancellation for small ``q``, whose limit
    :math:`q\to0` is the cross-entropy :math:`-\log p_y`; ``q = 1`` is
    :math:`1-p_y`, half the MAE between the one-hot label and :math:`p`. ``logits``:
    ``[S, B, K]``; ``targets``: ``[S, B]``; ``q``: a number or per-member ``[S]``;
    returns ``[S]``.
    """
    log_p = _true_class_log_prob(logits, targets)
    q = broadcast_knob(q, log_p)
    return (-torch.expm1(q * log_p) / q).mean(dim=1)


ZHANG_SABUNCU_2018 = Reference(
    "Zhang, Z., Sabuncu, M. R.",
    "Generalized Cross Entropy Loss for Training Deep Neural Networks with Noisy Labels",
    2018,
    "https://arxiv.org/abs/1805.07836",
)
GHOSH_2017 = Reference(
    "Ghosh, A., Kumar, H., Sastry, P. S.",
    "Robust Loss Functions under Label Noise for Deep Neural Networks",
    2017,
    "https://arxiv.org/abs/1712.09482",
)

register(
    LossSpec(
        card=Card(
            name="gce",
            example=_example("gce"),
            family=FAMILY,
            formula=r"\ell(z, y) = \frac{1-p_y^{\,q}}{q},\quad p=\operatorname{softmax}(z),"
            r"\ q\in(0,1]",
            derivation=(
                r"**Why CE memorises noise.** The cross-entropy's gradient on the true logit "
                r"is $p_y-1$: a *mislabelled* example, to which the network rightly gives a "
                r"small $p_y$, pulls hardest. Training long enough fits the wrong labels.",
                r"**MAE is robust but slow.** Ghosh et al. (2017) show that a *symmetric* loss, "
                r"$\sum_k\ell(z,k)=$ const, is tolerant to symmetric label noise; the MAE "
                r"$\|e_y-p\|_1=2(1-p_y)$ is one. Its gradient $\partial/\partial\theta\,(1-p_y)"
                r"=-p_y\,\partial\log p_y/\partial\theta$ weighs every example by $p_y$: hard "
                r"(and noisy) examples barely count, so clean hard ones are learned slowly.",
                r"**Box-Cox bridge.** Zhang & Sabuncu take the negative Box-Cox transform of "
                r"$p_y$: $\mathcal L_q=(1-p_y^q)/q$. By L'Hôpital, $q\to0$ gives $-\log p_y$ "
                r"(CE), and $q=1$ gives $1-p_y$ (MAE/2).",
                r"**Gradient.** $\partial\mathcal L_q/\partial\theta=-p_y^{\,q}\,\partial\log "
                r"p_y/\partial\theta$: CE's gradient weighted by $p_y^{\,q}$. $q$ interpolates "
                r"between CE's equal weighting and MAE's $p_y$ weighting.",
                r"**Bounded.** $0\le\mathcal L_q\le1/q$, so one mislabelled example adds at most "
                r"$1/q$; Zhang & Sabuncu bound the excess risk under noise by a term that "
                r"shrinks as $q\to1$. Their truncated variant (a threshold $k$ and pruning) is "
                r"not included here.",
            ),
            optimum_or_divergence=(
                r"For $q<1$ the expected loss is minimised by a distribution sharper than the "
                r"posterior (not a proper scoring rule), but the argmax is the Bayes class: "
                r"classification-calibrated. At $q=1$ (MAE) it is noise-tolerant under "
                r"symmetric noise below $(K-1)/K$ (Ghosh et al. 2017); $q\to0$ is the "
                r"cross-entropy, minimised by the posterior."
            ),
            used_by=(
                "Training on noisy labels (Zhang & Sabuncu 2018; CIFAR-10/100 with 20-40% "
                "flipped labels)",
                "A standard baseline of noisy-label benchmarks (e.g. Wang et al. 2019's SCE, "
                "Ma et al. 2020's active-passive losses)",
            ),
            why=(
                "When a share of the labels is wrong: GCE keeps most of CE's learning speed "
                "while bounding how much any single (mislabelled) example can pull."
            ),
            pros=(
                "One knob q moves between CE (fast, fragile) and MAE (robust, slow).",
                "Bounded per-example loss: memorising noisy labels pays less.",
                "A drop-in replacement: same logits, same targets.",
            ),
            cons=(
                "Slower to fit hard clean examples than CE; may underfit with many classes.",
                "Probabilities are over-confident relative to the posterior for q > 0.",
                "q needs tuning to the noise level; no help on clean data.",
            ),
            hyperparameters={
                "q": Hyperparameter(
                    default=0.7,
                    low=1e-3,
                    high=1.0,
                    search=Search.uniform(0.1, 1),
                    doc=(
                        r"Box-Cox exponent $q$: $q\to0$ is cross-entropy, 1 is MAE/2. Zhang & "
                        "Sabuncu use 0.7 in all their experiments. Range [0.001, 1]. Searched "
                        "uniform over [0.1, 1]: the paper's interval (0, 1] without the "
                        "near-CE end, which the softmax-ce baseline already covers."
                    ),
                )
            },
            references=(ZHANG_SABUNCU_2018, GHOSH_2017),
        ),
        terms={"loss": gce},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
