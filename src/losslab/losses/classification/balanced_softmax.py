"""balanced-softmax: the softmax re-weighted by the training-split class priors (Ren et al.
2020)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.classification._common import _ADAM, FAMILY, _example
from losslab.losses.classification.logit_adjusted_ce import (
    _EXTRA,
    MENON_2021,
    logit_adjusted_ce,
)
from losslab.losses.registry import Card, LossSpec, Reference, register

if TYPE_CHECKING:
    from torch import Tensor


def balanced_softmax(
    *, logits: Tensor, targets: Tensor, class_priors: Tensor | None = None
) -> Tensor:
    r"""Balanced softmax cross-entropy (Ren et al. 2020).

    .. math::

        \ell = -\log\frac{\pi_y\,e^{z_y}}{\sum_k \pi_k\,e^{z_k}}

    with :math:`\pi` the member's training-split class priors ``class_priors`` ``[S, K]``
    (uniform when ``None``, which makes it ``softmax-ce``). Ren et al. write class counts
    :math:`n_k`; the normalisation cancels. It is ``logit-adjusted-ce`` at ``tau = 1``.
    ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return logit_adjusted_ce(logits=logits, targets=targets, tau=1.0, class_priors=class_priors)


register(
    LossSpec(
        card=Card(
            name="balanced-softmax",
            example=_example("balanced-softmax", extra=_EXTRA),
            family=FAMILY,
            formula=r"\ell(z,y)=-\log\frac{\pi_y e^{z_y}}{\sum_k\pi_k e^{z_k}},\quad"
            r"\pi_k=\frac{n_k}{n}\ \text{(training split)}",
            derivation=(
                r"**Label shift.** Training and test share $p(x\mid y)$ but not the class "
                r"prior: training has $\pi_k$, the (balanced) test has $\frac1K$. By Bayes, "
                r"$P_{\text{train}}(y\mid x)=\frac{\pi_y\,p(x\mid y)}{\sum_k\pi_k\,p(x\mid k)}$.",
                r"**Model the balanced posterior.** Let the softmax of the logits, $\phi_k="
                r"e^{z_k}/\sum_je^{z_j}$, model the *balanced* posterior $\propto p(x\mid k)$. "
                r"Then the training posterior is $\hat\phi_y=\pi_y\phi_y/\sum_k\pi_k\phi_k="
                r"\pi_ye^{z_y}/\sum_k\pi_ke^{z_k}$.",
                r"**Likelihood.** Maximising the training likelihood of $\hat\phi$ is the "
                r"loss above: CE on the logits shifted by $\log\pi_k$. Predict with "
                r"$\operatorname{softmax}(z)$, the balanced posterior.",
                r"**Same as logit adjustment.** $\pi_ke^{z_k}=e^{z_k+\log\pi_k}$: balanced "
                r"softmax is `logit-adjusted-ce` with $\tau=1$ (derived independently by "
                r"Ren et al. 2020 and Menon et al. 2021).",
                r"**Meta sampler not included.** Ren et al. pair the loss with a "
                r"meta-learned sampler (Balanced Meta-Softmax); only the loss is here.",
            ),
            optimum_or_divergence=(
                r"Minimised when $\operatorname{softmax}(z)_k\propto P(y=k\mid x)/\pi_k$: the "
                r"posterior under a uniform class prior; its argmax is the Bayes classifier "
                r"for the balanced error (Ren et al. 2020, Theorem 2; Menon et al. 2021)."
            ),
            used_by=(
                "Long-tailed recognition (Ren et al. 2020: CIFAR-LT, ImageNet-LT, Places-LT, LVIS)",
                "Long-tail baselines in later work (e.g. PaCo, BCL) and in recommendation "
                "(sampled softmax corrections)",
            ),
            why=(
                "On imbalanced data scored by balanced accuracy, balanced softmax trains the "
                "logits to the balanced posterior by maximum likelihood, with no knob."
            ),
            pros=(
                "No knob: the priors come from the training split.",
                "Principled (label-shift likelihood); consistent for the balanced error.",
                "Same cost as cross-entropy.",
            ),
            cons=(
                "Probabilities are for a uniform prior; recalibrate for the true one.",
                "No knob to trade plain accuracy against balanced accuracy (see "
                "logit-adjusted-ce's tau).",
                "Relies on the test prior being uniform.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Ren, J., Yu, C., Sheng, S., Ma, X., Zhao, H., Yi, S., Li, H.",
                    "Balanced Meta-Softmax for Long-Tailed Visual Recognition",
                    2020,
                    "https://arxiv.org/abs/2007.10740",
                ),
                MENON_2021,
            ),
        ),
        terms={"loss": balanced_softmax},
        optimizer=_ADAM,
        training={"outputs": "classes", "class_priors": True},
    )
)
