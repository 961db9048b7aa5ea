"""Shared parts of the regression losses: the example, the residual, the optimiser defaults
and references several cards use.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from losslab.losses.registry import OptimizerDefaults, Reference

if TYPE_CHECKING:
    from torch import Tensor

FAMILY = "regression"
LOG_2PI = math.log(2.0 * math.pi)


def _example(name: str, width: int = 1) -> str:
    """The card's runnable example: the loss on made-up predictions for two members."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the defaults; pass overrides as a dict
prediction = torch.randn(2, 8, {width})  # [members, batch, outputs]
targets = torch.randn(2, 8)  # [members, batch]
loss = spec.bind("loss", knobs)(prediction=prediction, targets=targets)
print(loss)  # one value per member
"""


def _residual(prediction: Tensor, targets: Tensor, width: int = 1) -> Tensor:
    """``y - prediction[..., 0]``, ``[S, B]``, after checking the shapes."""
    if (
        prediction.dim() != 3
        or prediction.shape[-1] != width
        or targets.shape != prediction.shape[:2]
    ):
        raise ValueError(
            f"expected prediction [S, B, {width}] and targets [S, B], got "
            f"{tuple(prediction.shape)} and {tuple(targets.shape)}"
        )
    return targets - prediction[..., 0]


_ADAM = OptimizerDefaults(
    name="adam",
    lr=1e-3,
    betas=(0.9, 0.999),
    source="Kingma & Ba 2015 defaults (Adam, lr 0.001, betas 0.9/0.999); the loss's sources "
    "do not prescribe an optimiser for a small MLP, so every supervised loss uses the same "
    "one and only the loss changes.",
)

KOENKER_BASSETT_1978 = Reference(
    "Koenker, R., Bassett, G.",
    "Regression Quantiles",
    1978,
)
HUBER_1964 = Reference(
    "Huber, P. J.",
    "Robust Estimation of a Location Parameter",
    1964,
)
HASTIE_2009 = Reference(
    "Hastie, T., Tibshirani, R., Friedman, J.",
    "The Elements of Statistical Learning, 2nd ed., Sections 2.4 and 10.6 (loss functions "
    "and robustness)",
    2009,
)
