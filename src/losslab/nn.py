"""``torch.nn.Module`` wrappers of :func:`losslab.functional.loss`.

``Loss(name, **knobs)`` holds no parameters; ``forward`` is the loss's direct call (a
supervised loss's ``(input, target)``, a diffusion loss's ``(prediction, target)``), and
the named terms (``.discriminator``/``.generator``, ``.energy``, ``.score``, ``.denoise``)
are those of :class:`losslab.functional.FunctionalLoss`.

>>> criterion = Loss("huber", delta=0.5)
>>> value = criterion(torch.randn(8), torch.randn(8))  # 0-d, the batch mean
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from losslab.functional import FunctionalLoss, loss

__all__ = ["Loss"]


class Loss(torch.nn.Module):
    """The registered loss ``name`` with ``knobs`` over its card's defaults, as a module."""

    def __init__(self, name: str, **knobs: Any):
        super().__init__()
        self.fn: FunctionalLoss = loss(name, **knobs)

    @property
    def name(self) -> str:
        return self.fn.name

    @property
    def knobs(self) -> dict[str, Any]:
        return dict(self.fn.knobs)

    def forward(self, *args: Any, **kwargs: Any) -> Tensor:
        return self.fn(*args, **kwargs)

    def discriminator(self, real_scores: Tensor, fake_scores: Tensor) -> Tensor:
        return self.fn.discriminator(real_scores, fake_scores)

    def generator(self, fake_scores: Tensor, **extra: Tensor) -> Tensor:
        return self.fn.generator(fake_scores, **extra)

    def energy(self, data_energy: Tensor, sample_energy: Tensor) -> Tensor:
        return self.fn.energy(data_energy, sample_energy)

    def score(self, scores: Tensor, noise: Tensor, sigmas: Tensor) -> Tensor:
        return self.fn.score(scores, noise, sigmas)

    def denoise(self, prediction: Tensor, target: Tensor) -> Tensor:
        return self.fn.denoise(prediction, target)

    def extra_repr(self) -> str:
        return repr(self.fn)
