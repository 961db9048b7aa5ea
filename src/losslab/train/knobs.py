r"""Per-member knobs: members of one loss whose knob values differ train as one group.

A *group* is a run of contiguous members of an ensemble that share a loss and every knob
that changes shapes or code paths (choices such as a noise schedule, integer knobs such
as a code size). Their real-valued knobs may differ: such a knob reaches the loss terms as
a tensor ``[S_g]``, one value per member of the group (loss terms broadcast it, see
:mod:`losslab.losses`), and a knob all members share stays a plain number, so a group of
one member computes exactly what a solo run computes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from losslab.losses import get_loss


def per_member(loss: str, knob: str) -> bool:
    """Whether ``knob`` of ``loss`` may differ between members of one group."""
    hp = get_loss(loss).card.hyperparameters.get(knob)
    return hp is not None and hp.choices is None and not hp.integer


def group_key(loss: str, hparams: dict[str, Any]) -> tuple:
    """Members with equal keys can share a group: the loss and its structural knobs."""
    return (loss, *sorted((k, v) for k, v in hparams.items() if not per_member(loss, k)))


def stacked(
    loss: str, hparams: Sequence[dict[str, Any]], device: torch.device | str = "cpu"
) -> dict[str, Any]:
    """The knobs of a group's members: a shared value as it is, else a float32 ``[S_g]``."""
    out: dict[str, Any] = {}
    for knob in hparams[0]:
        values = [h[knob] for h in hparams]
        if all(v == values[0] for v in values):
            out[knob] = values[0]
        elif per_member(loss, knob):
            out[knob] = torch.tensor(values, dtype=torch.float32, device=device)
        else:
            raise ValueError(f"{loss}: members of one group differ in {knob!r}: {values}")
    return out

