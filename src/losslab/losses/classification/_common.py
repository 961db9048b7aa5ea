"""Shared parts of the classification losses: the example, shape checks, references,
the optimiser defaults and the derivation steps several cards share.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import F
from losslab.losses.registry import OptimizerDefaults, Reference

if TYPE_CHECKING:
    from torch import Tensor

FAMILY = "classification"


def _example(name: str, extra: str = "", width: str = "3", classes: int = 3) -> str:
    """The card's runnable example: the loss on made-up logits for two members."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the defaults; pass overrides as a dict
logits = torch.randn(2, 8, {width})  # [members, batch, outputs]
targets = torch.randint(0, {classes}, (2, 8))  # class ids [members, batch]
loss = spec.bind("loss", knobs)(logits=logits, targets=targets{extra})
print(loss)  # one value per member
"""


def _check(logits: Tensor, targets: Tensor) -> None:
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(
            f"expected logits [S, B, K] and targets [S, B], got {tuple(logits.shape)} "
            f"and {tuple(targets.shape)}"
        )


def _true_class_log_prob(logits: Tensor, targets: Tensor) -> Tensor:
    """``log softmax(z)_y`` per sample, ``[S, B]``."""
    _check(logits, targets)
    return F.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


# ---------------------------------------------------------------------------
# References shared by several cards
# ---------------------------------------------------------------------------

BISHOP_2006 = Reference(
    "Bishop, C. M.",
    "Pattern Recognition and Machine Learning, Sections 4.2-4.3 (probabilistic generative "
    "and discriminative models; the softmax from log-odds)",
    2006,
)
BRIDLE_1990 = Reference(
    "Bridle, J. S.",
    "Probabilistic Interpretation of Feedforward Classification Network Outputs, with "
    "Relationships to Statistical Pattern Recognition",
    1990,
)
COX_1958 = Reference(
    "Cox, D. R.",
    "The Regression Analysis of Binary Sequences",
    1958,
)
GUO_2017 = Reference(
    "Guo, C., Pleiss, G., Sun, Y., Weinberger, K. Q.",
    "On Calibration of Modern Neural Networks",
    2017,
    "https://arxiv.org/abs/1706.04599",
)
SZEGEDY_2016 = Reference(
    "Szegedy, C., Vanhoucke, V., Ioffe, S., Shlens, J., Wojna, Z.",
    "Rethinking the Inception Architecture for Computer Vision",
    2016,
    "https://arxiv.org/abs/1512.00567",
)
MULLER_2019 = Reference(
    "Müller, R., Kornblith, S., Hinton, G.",
    "When Does Label Smoothing Help?",
    2019,
    "https://arxiv.org/abs/1906.02629",
)

_ADAM = OptimizerDefaults(
    name="adam",
    lr=1e-3,
    betas=(0.9, 0.999),
    source="Kingma & Ba 2015 defaults (Adam, lr 0.001, betas 0.9/0.999); the loss's paper "
    "does not prescribe an optimiser for a small MLP, so every supervised loss uses the same "
    "one and only the loss changes.",
)

_CE_DERIVATION_TAIL = (
    r"**Maximum likelihood.** Treat the labels as draws from the model's categorical "
    r"distribution. The log-likelihood of a batch is $\sum_b\log p_{y_b}(x_b)$, so its negative "
    r"mean is $\frac1B\sum_b\big(-z_{y_b}+\log\sum_j e^{z_{b,j}}\big)$: the cross-entropy "
    r"$H(\mathbb{1}_y, p)$ between the one-hot label and the prediction.",
    r"**Gradient.** $\partial\ell/\partial z_k = p_k-\mathbb{1}[k=y]$: bounded by 1 in each "
    r"coordinate and largest exactly when the model is confidently wrong ($p_y\to0$ gives "
    r"$-1$ on the true logit). Nothing saturates, unlike a squared error on probabilities.",
)
