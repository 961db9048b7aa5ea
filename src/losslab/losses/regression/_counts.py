"""What the count losses (``poisson-nll``, ``tweedie-nll``) share: a log-mean output, the
non-negative-targets contract, and their card example on count targets."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.regression._common import _residual

if TYPE_CHECKING:
    from torch import Tensor

#: ``training`` entries of a count loss: one log-mean output, and the trainer refuses data
#: with a negative target (``targets`` must be counts or other non-negative values).
COUNT_TRAINING = {"outputs": 1, "targets": "non-negative", "link": "log"}


def _log_mean(prediction: Tensor, targets: Tensor) -> Tensor:
    """``prediction[..., 0]``, the log-mean :math:`\\eta=\\log\\mu`, after the shape checks."""
    _residual(prediction, targets)
    return prediction[..., 0]


def _count_example(name: str) -> str:
    """The card's runnable example: the loss on made-up log-means and counts, two members."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the defaults; pass overrides as a dict
prediction = torch.randn(2, 8, 1)  # log-mean [members, batch, 1]
targets = torch.poisson(torch.full((2, 8), 3.0))  # counts [members, batch]
loss = spec.bind("loss", knobs)(prediction=prediction, targets=targets)
print(loss)  # one value per member
"""
