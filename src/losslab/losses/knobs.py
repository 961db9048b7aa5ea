r"""Knobs given per ensemble member.

A study may train several settings of one loss as one ensemble (tuning trials are members
like any other, DESIGN.md "Fair comparison"), so every numeric knob a loss term takes is
either a Python number, shared by all members, or a tensor ``[S]`` with one value per member
(``S`` = the leading member axis of the term's scores or predictions). A term multiplies or
compares such a knob with a ``[S, B, ...]`` tensor through :func:`broadcast_knob`; a knob
that only scales a per-member result ``[S]`` (a weight on a per-member mean) broadcasts as
it is. Integer and choice knobs that change shapes or code paths stay plain values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from losslab._lazy import torch

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["Knob", "broadcast_knob"]

#: A numeric knob of a loss term: one number for every member, or one value per member ``[S]``.
Knob: TypeAlias = "float | Tensor"


def broadcast_knob(knob: Knob, like: Tensor) -> Knob:
    r"""``knob`` ready to combine with ``like`` ``[S, B, ...]``, member by member.

    A number (or a 0-d tensor) is returned as it is. A tensor ``[S]`` becomes
    ``[S, 1, ..., 1]`` with ``like.dim()`` axes, in ``like``'s floating dtype and on its
    device, so that member ``s`` of the result uses ``knob[s]``:

    .. math::

        \mathrm{out}_{s,b,\dots} = f(\mathrm{like}_{s,b,\dots}, k_s)

    Raises ``ValueError`` when the tensor is not ``[S]`` for ``S = like.shape[0]``.
    """
    if not isinstance(knob, torch.Tensor) or knob.dim() == 0:
        return knob
    if knob.dim() != 1 or like.dim() == 0 or knob.shape[0] != like.shape[0]:
        members = like.shape[0] if like.dim() else "?"
        raise ValueError(
            f"a per-member knob must have shape [S] = [{members}] (one value per member), "
            f"got {tuple(knob.shape)}"
        )
    dtype = like.dtype if like.is_floating_point() else torch.get_default_dtype()
    return knob.to(dtype=dtype, device=like.device).reshape(-1, *([1] * (like.dim() - 1)))
