"""Trainers, one per paradigm, sharing one loop, one recorder and one optimiser.

:func:`train` dispatches a planned task to its paradigm's trainer; every trainer
returns one :class:`MemberResult` per member, in member order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from losslab.train.adversarial import AdversarialTask, train_adversarial
from losslab.train.generative import GenerativeTask, train_generative
from losslab.train.result import MemberResult
from losslab.train.supervised import SupervisedTask, train_supervised

TRAINERS: dict[type, Callable[..., list[MemberResult]]] = {
    AdversarialTask: train_adversarial,
    GenerativeTask: train_generative,
    SupervisedTask: train_supervised,
}


def train(task: Any, progress: Callable[[int], Any] | None = None) -> list[MemberResult]:
    """Train one planned ensemble with the trainer of its paradigm."""
    return TRAINERS[type(task)](task, progress)


__all__ = ["MemberResult", "TRAINERS", "train"]
