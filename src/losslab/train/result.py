"""What every trainer returns: one result per member."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch


@dataclass
class MemberResult:
    index: int
    status: str  # "ok" | "diverged" | "failed" ("not-converged": metrics.baselines)
    diverged_step: int | None = None
    reason: str = ""
    series_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    series: dict[str, np.ndarray] = field(default_factory=dict)
    checkpoint_steps: list[int] = field(default_factory=list)
    checkpoints: dict[str, list[float]] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    samples: np.ndarray | None = None
    reference: np.ndarray | None = None
    # further arrays for the report, by name (e.g. "generated@250", "critic")
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


class Divergence:
    """Which members have gone non-finite, and at which step (one rule for every trainer).

    A member whose loss is NaN/inf at a step is *diverged* from that step on: it is
    masked out of every later update and reported with the step; the others go on.
    """

    def __init__(self, n_members: int, device: torch.device | str = "cpu", unit: str = "step"):
        self.alive = torch.ones(n_members, dtype=torch.bool, device=device)
        self.step: list[int | None] = [None] * n_members
        self.unit = unit

    def check(self, step: int, *losses: torch.Tensor) -> None:
        """Mark alive members with any non-finite value among ``losses`` (each ``[S]``)."""
        finite = torch.stack([torch.isfinite(v) for v in losses]).all(0)
        bad = self.alive & ~finite
        if bad.any():
            for s in torch.nonzero(bad).flatten().tolist():
                self.step[s] = step
            self.alive = self.alive & ~bad

    def ok(self, s: int) -> bool:
        return self.step[s] is None

    def status(self, s: int) -> dict:
        """``status``, ``diverged_step`` and ``reason`` of member ``s`` for its MemberResult."""
        if self.ok(s):
            return {"status": "ok", "diverged_step": None, "reason": ""}
        return {
            "status": "diverged",
            "diverged_step": self.step[s],
            "reason": f"non-finite loss at {self.unit} {self.step[s]}",
        }


def member_results(
    members: Sequence[Any],
    divergence: Divergence,
    recorder: Any,
    checkpoint_steps: Sequence[int],
    checkpoints: Callable[[int], dict[str, list[float]]],
    final: Callable[[int], dict[str, float]],
    outputs: Callable[[int, bool], dict[str, Any]] | None = None,
) -> list[MemberResult]:
    """Every trainer's results, one per member in order: its status (from
    ``divergence``), its recorded series, its checkpoint metrics, its final metrics
    (``final(s)``, only if it did not diverge) and any further fields ``outputs(s, ok)``."""
    results = []
    for s, m in enumerate(members):
        ok = divergence.ok(s)
        results.append(
            MemberResult(
                index=m.index,
                **divergence.status(s),
                series_steps=recorder.steps.copy(),
                series=recorder.member_series(s),
                checkpoint_steps=list(checkpoint_steps),
                checkpoints=checkpoints(s),
                metrics=final(s) if ok else {},
                **(outputs(s, ok) if outputs is not None else {}),
            )
        )
    return results
