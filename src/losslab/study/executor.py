"""Executors: run the planned ensembles and hand each one's rows to the driver.

The in-process executor is the default. A task never touches the store: it
returns its rows and the driver alone writes them (the same contract the
process-pool and Ray executors follow).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from typing import Any

from losslab.train import MemberResult, train


def run_task(task: Any, progress: Callable[[int], Any] | None = None) -> list[dict]:
    """Train one ensemble; a crash marks its members ``failed`` instead of ending the study."""
    try:
        results = train(task, progress)
    except Exception as exc:  # noqa: BLE001 - recorded per member, the study goes on
        reason = f"{type(exc).__name__}: {exc}"
        last = traceback.format_exc(limit=-1).strip().splitlines()[-1]
        results = [
            MemberResult(index=m.index, status="failed", reason=f"{reason} ({last})")
            for m in task.members
        ]
    return [_row(task, m, r) for m, r in zip(task.members, results, strict=True)]


def _row(task: Any, member: Any, result: MemberResult) -> dict[str, Any]:
    return {
        "idx": member.index,
        "loss": member.label,
        "registry_name": member.loss,
        "dataset": task.dataset.name,
        "seed": member.seed,
        "hparams": member.settings(),
        "status": result.status,
        "diverged_step": result.diverged_step,
        "reason": result.reason,
        "metrics": result.metrics,
        "series_steps": result.series_steps,
        "series": result.series,
        "checkpoint_steps": result.checkpoint_steps,
        "checkpoints": result.checkpoints,
        "samples": {"generated": result.samples, "reference": result.reference, **result.arrays},
    }


def run_in_process(
    tasks: list[Any], progress: Callable[[int], Any] | None = None
) -> Iterator[list[dict]]:
    """Yield each ensemble's rows as soon as it finishes."""
    for task in tasks:
        yield run_task(task, progress)
