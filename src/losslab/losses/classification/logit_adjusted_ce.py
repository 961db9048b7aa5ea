"""logit-adjusted-ce: add tau * log prior to the logits in the loss (Menon et al. 2021)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from losslab._lazy import F, torch
from losslab.losses.classification._common import (
    _ADAM,
    FAMILY,
    _check,
    _example,
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


def training_class_priors(y_train: np.ndarray, n_classes: int) -> np.ndarray:
    r"""Class priors :math:`\pi_k = n_k / n` of the training labels (float32 ``[K]``).

    The trainer passes them as ``class_priors`` to losses that declare
    ``training["class_priors"] = True``. A class absent from the training split gets 0.
    """
    counts = np.bincount(np.asarray(y_train, dtype=np.int64), minlength=n_classes)[:n_classes]
    return (counts / max(int(counts.sum()), 1)).astype(np.float32)


def log_priors(logits: Tensor, class_priors: Tensor | None) -> Tensor:
    r""":math:`\log\pi` as ``[S, 1, K]`` for ``logits`` ``[S, B, K]``.

    ``None`` means uniform priors (:math:`\log\frac1K`). A zero prior (a class absent
    from the training split) is floored at the smallest normal float so the loss stays
    finite on a split that has the class.
    """
    S, _, K = logits.shape
    if class_priors is None:
        return torch.full((S, 1, K), -float(np.log(K)), dtype=logits.dtype, device=logits.device)
    if class_priors.shape != (S, K):
        raise ValueError(f"class_priors must be [S, K] = {(S, K)}, got {tuple(class_priors.shape)}")
    p = class_priors.to(logits.dtype).clamp_min(torch.finfo(logits.dtype).tiny)
    return p.log().unsqueeze(1)


def logit_adjusted_ce(
    *, logits: Tensor, targets: Tensor, tau: Knob, class_priors: Tensor | None = None
) -> Tensor:
    r"""Logit-adjusted softmax cross-entropy (Menon et al. 2021).

    .. math::

        \ell = -\log\frac{e^{z_y+\tau\log\pi_y}}{\sum_k e^{z_k+\tau\log\pi_k}}

    with :math:`\pi` the member's training-split class priors ``class_priors`` ``[S, K]``
    (uniform when ``None``, which makes it ``softmax-ce``); ``tau = 0`` is ``softmax-ce``.
    The network's raw logits :math:`z` are the prediction (the adjustment lives only in
    the loss). ``logits``: ``[S, B, K]``; ``targets``: ``[S, B]``; ``tau``: a number or
    per-member ``[S]``; returns ``[S]``.
    """
    _check(logits, targets)
    adjusted = logits + broadcast_knob(tau, logits) * log_priors(logits, class_priors)
    log_p = F.log_softmax(adjusted, dim=-1)
    return -log_p.gather(-1, targets.unsqueeze(-1)).squeeze(-1).mean(dim=1)


MENON_2021 = Reference(
    "Menon, A. K., Jayasumana, S., Rawat, A. S., Jain, H., Veit, A., Kumar, S.",
    "Long-tail learning via logit adjustment",
    2021,
    "https://arxiv.org/abs/2007.07314",
)

_EXTRA = ", class_priors=torch.tensor([[0.7, 0.2, 0.1]] * 2)"

register(
    LossSpec(
        card=Card(
            name="logit-adjusted-ce",
            example=_example("logit-adjusted-ce", extra=_EXTRA),
            family=FAMILY,
            formula=r"\ell(z,y)=-\log\frac{e^{z_y+\tau\log\pi_y}}{\sum_k e^{z_k+\tau\log\pi_k}},"
            r"\quad\pi_k=\frac{n_k}{n}\ \text{(training split)}",
            derivation=(
                r"**The goal.** On long-tailed data we want the *balanced* error "
                r"$\frac1K\sum_k P(\hat y\ne k\mid y=k)$. Its Bayes classifier is "
                r"$\operatorname{argmax}_k P(y=k\mid x)/\pi_k="
                r"\operatorname{argmax}_k\big(\log P(y=k\mid x)-\log\pi_k\big)$.",
                r"**Post-hoc form.** A CE-trained network's logits estimate $\log P(y\mid x)$ up "
                r"to a constant, so subtracting $\tau\log\pi_k$ from them at prediction time "
                r"targets the balanced error ($\tau=1$ exactly).",
                r"**Loss form.** Equivalently, train with the adjustment inside the softmax: "
                r"with $\tilde z_k=z_k+\tau\log\pi_k$, CE on $\tilde z$ is minimised when "
                r"$\tilde z$ gives $P(y\mid x)$, i.e. $z_k=\log P(y=k\mid x)-\tau\log\pi_k$ + "
                r"const. The raw logits $z$ then *are* the balanced scores: predict with "
                r"$\operatorname{argmax} z$.",
                r"**Pairwise margin.** $\ell=\log\big(1+\sum_{k\ne y}(\pi_k/\pi_y)^{\tau}"
                r"e^{z_k-z_y}\big)$: a rare true class ($\pi_y$ small) must win by a larger "
                r"margin $\tau\log(\pi_k/\pi_y)$, which is the rare class's larger margin of "
                r"LDAM, derived here from consistency rather than a generalisation bound.",
                r"**Priors.** $\pi$ comes from the member's **training split** (the trainer "
                r"passes ``class_priors`` ``[S, K]``); $\tau=0$ or uniform priors give CE, and "
                r"$\tau=1$ is `balanced-softmax`.",
            ),
            optimum_or_divergence=(
                r"Fisher-consistent for the balanced error at $\tau=1$: the minimiser has "
                r"$\operatorname{softmax}(z)_k\propto P(y=k\mid x)/\pi_k^{\tau}$, the posterior "
                r"under a uniform label prior when $\tau=1$ (Menon et al. 2021, Theorem 1)."
            ),
            used_by=(
                "Long-tailed recognition (Menon et al. 2021: CIFAR-LT, ImageNet-LT, iNaturalist)",
                "A default long-tail baseline in later work and libraries (e.g. the "
                "long-tail benchmarks of Zhang et al. 2023's survey)",
            ),
            why=(
                "When classes are imbalanced and every class counts (balanced accuracy), "
                "logit adjustment makes cross-entropy consistent for that goal without "
                "re-weighting the gradients."
            ),
            pros=(
                "Consistent for the balanced error at tau = 1; simple, no weights, no resampling.",
                "Keeps CE's gradients bounded (no huge weights on rare classes).",
                "Priors come from the data; tau = 0 is CE.",
            ),
            cons=(
                "Probabilities estimate the balanced posterior, not the true one.",
                "Lowers plain accuracy when the test prior is the training prior.",
                "Assumes the test classes are balanced (or the shift is known).",
            ),
            hyperparameters={
                "tau": Hyperparameter(
                    default=1.0,
                    low=0.0,
                    search=Search.uniform(0, 2),
                    doc=(
                        r"Temperature $\tau$ of the adjustment $\tau\log\pi$. 1 is "
                        "Fisher-consistent for the balanced error (Menon et al.'s default), 0 "
                        "is cross-entropy. Range [0, inf). Searched uniform over [0, 2]: from "
                        "CE to twice the consistent value, the band in which Menon et al. "
                        "vary tau."
                    ),
                )
            },
            references=(MENON_2021,),
        ),
        terms={"loss": logit_adjusted_ce},
        optimizer=_ADAM,
        training={"outputs": "classes", "class_priors": True},
    )
)
