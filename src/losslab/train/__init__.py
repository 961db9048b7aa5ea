"""Trainers, one per paradigm, sharing one loop, one recorder and one optimiser.

:func:`train` dispatches a planned task to its paradigm's trainer; every trainer
returns one :class:`MemberResult` per member, in member order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from losslab.train import adversarial, generative, supervised
from losslab.train.adversarial import AdversarialTask, train_adversarial
from losslab.train.generative import GenerativeTask, train_generative
from losslab.train.result import MemberResult
from losslab.train.supervised import SupervisedTask, train_supervised

TRAINERS: dict[type, Callable[..., list[MemberResult]]] = {
    AdversarialTask: train_adversarial,
    GenerativeTask: train_generative,
    SupervisedTask: train_supervised,
}


PASSES: dict[type, Callable[[Any, Any], int]] = {
    AdversarialTask: adversarial.training_passes,
    GenerativeTask: generative.training_passes,
    SupervisedTask: supervised.training_passes,
}


def training_passes(task: Any, member: Any) -> int:
    """The network passes ``member`` of ``task`` spends training (its cost; see each
    trainer's ``training_passes``)."""
    return PASSES[type(task)](task, member)


def train(task: Any, progress: Callable[[int], Any] | None = None) -> list[MemberResult]:
    """Train one planned ensemble with the trainer of its paradigm."""
    return TRAINERS[type(task)](task, progress)


__all__ = ["MemberResult", "TRAINERS", "train", "training_passes"]
