"""What every trainer returns: one result per member."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class MemberResult:
    index: int
    status: str  # "ok" | "diverged" | "failed"
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
