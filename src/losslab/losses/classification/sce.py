"""sce: symmetric cross-entropy, CE plus the reverse cross-entropy of the label."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _example,
    _true_class_log_prob,
)
from losslab.losses.classification.gce import GHOSH_2017
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

#: Wang et al.'s value of :math:`\log 0` in the reverse cross-entropy.
LOG_ZERO = -4.0


def sce(*, logits: Tensor, targets: Tensor, alpha: Knob, beta: Knob) -> Tensor:
    r"""Symmetric cross-entropy (Wang et al. 2019): :math:`\alpha\,` CE :math:`+\ \beta\,` RCE.

    .. math::

        \ell = -\alpha\log p_y \;-\; \beta\sum_k p_k \log q_k
             = -\alpha\log p_y \;-\; \beta A\,(1-p_y),
        \qquad q = e_y,\ \log 0 := A = -4

    The reverse cross-entropy swaps prediction and one-hot label; the label's
    :math:`\log 0` is clamped to :math:`A=-4` as in the paper, so RCE is
    :math:`-A(1-p_y) = 4(1-p_y)`, computed as ``-expm1(log p_y)`` (no cancellation).
    ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; ``alpha``, ``beta``: numbers or
    per-member ``[S]``; returns ``[S]``.
    """
    log_p = _true_class_log_prob(logits, targets)
    rce = -LOG_ZERO * -torch.expm1(log_p)
    alpha, beta = broadcast_knob(alpha, log_p), broadcast_knob(beta, log_p)
    return (-alpha * log_p + beta * rce).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="sce",
            example=_example("sce"),
            family=FAMILY,
            formula=r"\ell(z,y)=-\alpha\log p_y-\beta\sum_k p_k\log q_k"
            r"=-\alpha\log p_y+4\beta\,(1-p_y),\quad q=e_y,\ \log0:=-4",
            derivation=(
                r"**KL is not symmetric.** CE is $H(q,p)$ with $q$ the label distribution: "
                r"it trusts the label. Under label noise the label $q$ is the unreliable side, "
                r"so Wang et al. also use the reverse direction $H(p,q)=-\sum_k p_k\log q_k$ "
                r"(the reverse cross-entropy, RCE), as KL's symmetric form $KL(q\|p)+KL(p\|q)$ "
                r"suggests.",
                r"**Clamping log 0.** For a one-hot $q=e_y$, $\log q_k=\log0$ for $k\ne y$. "
                r"Wang et al. set $\log0:=A$ with $A=-4$, so "
                r"$\mathrm{RCE}=-\sum_{k\ne y}p_kA=-A(1-p_y)=4(1-p_y)$: a multiple of the "
                r"MAE $\|e_y-p\|_1=2(1-p_y)$.",
                r"**Robustness.** $\sum_{y}\mathrm{RCE}(z,y)=-A(K-1)$ is the same for every "
                r"$z$: a symmetric loss, hence tolerant to symmetric label noise (Ghosh et al. "
                r"2017). CE is not; it supplies the fast fitting that RCE alone lacks.",
                r"**Combination.** $\ell=\alpha\,\mathrm{CE}+\beta\,\mathrm{RCE}$. Gradient on "
                r"the logits: $\alpha(p-e_y)+\beta A\,p_y(e_y-p)$, i.e. CE's direction "
                r"weighted by $\alpha-\beta A p_y=\alpha+4\beta p_y$: confident examples get "
                r"extra push, confidently contradicted (likely noisy) ones only $\alpha$.",
                r"**Knobs.** Only the ratio $\beta/\alpha$ shapes the direction (Adam largely "
                r"ignores the overall scale). Wang et al. use $\alpha=0.1,\beta=1$ on CIFAR-10 "
                r"and $\alpha=6,\beta=0.1$ on CIFAR-100 (more classes need more CE to fit).",
            ),
            optimum_or_divergence=(
                r"For $\beta=0$ the cross-entropy, minimised by the posterior. RCE alone "
                r"($\alpha=0$) is $4(1-p_y)$, minimised by putting all mass on the most probable "
                r"class (argmax-consistent, not calibrated). The mix is classification-"
                r"calibrated; its probabilities are sharper than the posterior."
            ),
            used_by=(
                "Noisy-label training (Wang et al. 2019: CIFAR-10/100, Clothing1M)",
                "A standard baseline of robust-loss benchmarks (Ma et al. 2020; Zhou et al. 2021)",
            ),
            why=(
                "When labels are noisy, SCE adds a symmetric, noise-tolerant term to CE: CE "
                "fits the hard classes, the reverse term stops the fit of flipped labels."
            ),
            pros=(
                "Noise-tolerant term plus CE's learning speed.",
                "Cheap: one extra term on the true-class probability.",
                "Reduces to CE at beta = 0.",
            ),
            cons=(
                "Two knobs whose good ratio depends on the number of classes.",
                "The clamp A = -4 is arbitrary; it sets RCE's scale against CE.",
                "Probabilities are sharper than the posterior; no benefit on clean labels.",
            ),
            hyperparameters={
                "alpha": Hyperparameter(
                    default=0.1,
                    low=0.0,
                    search=Search.log_uniform(0.01, 10),
                    doc=(
                        r"Weight $\alpha$ of the cross-entropy. Wang et al. use 0.1 (CIFAR-10), "
                        "0.01 (MNIST) and 6 (CIFAR-100). Range [0, inf). Searched log-uniform "
                        "over [0.01, 10], the span of the paper's settings."
                    ),
                ),
                "beta": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    search=Search.log_uniform(0.1, 10),
                    doc=(
                        r"Weight $\beta$ of the reverse cross-entropy $4(1-p_y)$. Wang et al. "
                        "use 1 (MNIST, CIFAR-10) and 0.1 (CIFAR-100). Range [0, inf). Searched "
                        "log-uniform over [0.1, 10]: from the paper's smallest setting to ten "
                        "times its usual one."
                    ),
                ),
            },
            references=(
                Reference(
                    "Wang, Y., Ma, X., Chen, Z., Luo, Y., Yi, J., Bailey, J.",
                    "Symmetric Cross Entropy for Robust Learning with Noisy Labels",
                    2019,
                    "https://arxiv.org/abs/1908.06112",
                ),
                GHOSH_2017,
            ),
        ),
        terms={"loss": sce},
        optimizer=_ADAM,
        training={"outputs": "classes"},
    )
)
