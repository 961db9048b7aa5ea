"""How many intra-op threads torch gets: one rule, from the work and the cores free.

The rule (:func:`choose_threads`)::

    cores = min(affinity mask, ceil(cgroup cpu quota))        # what this process may use
    free  = cores - round(load of the other processes on them) # 1-min load average, scaled
    per-op work = members x batch x widest layer (in x out)    # multiply-adds of one matmul
    threads = 1                              if per-op work < MIN_WORK_PER_THREAD
              min(free, work // MIN_WORK_PER_THREAD)  otherwise (at least 1)

A study's checkpoint evaluation (generating ``eval_samples`` per member, Langevin or
diffusion sampling included) multiplies ``eval_samples`` rows, not ``batch`` rows, so its
matmuls can be 20x a training step's. While a choice made by this rule is in force
(:func:`set_automatic`: ``losslab run`` in-process, each pool worker), the evaluation
takes its own choice by the same rule from its own work (:func:`for_work`), and the
training threads come back after it. Measured on the idle 2-core machine,
``benchmarks/busy_machine.py --busy 0 --study families-ring8 --steps 100 --seeds 1``
(5 members x 2,500 samples through 128x128 layers: 2.0e8 multiply-adds per matmul):
one thread 29.3 s, two 25.0 s, and the rule with one thread for everything 30.9 s.
The whole study (``losslab run examples/families-ring8.toml --steps 100``, 5 seeds, the
commit before against this one, alternately, idle machine): 184.1 and 173.1 s before,
178.1 and 167.0 s with the evaluation's own choice (1.03-1.04x), every member's metrics
identical to the last digit in both pairs. (That one and two threads give the same
numbers was measured here, not promised by MKL; ``tests/test_threads.py`` holds the
rule itself.)

``--threads N`` (``losslab run``, ``losslab recommend``) and ``losslab.run(threads=N)``
override it, and so does ``OMP_NUM_THREADS`` set in the environment (a positive integer;
a user who sets it asked for that number, as torch itself reads it). The pool executor
gives each worker ``cores // workers`` as its ``cores``;
each Ray task asks for one CPU (Ray runs its torch with one thread).

Why (measured on the project's 2-core machine, shared with other work, load ~1, torch
2.13 CPU; forward + backward of a two-layer ensemble MLP, ``baddbmm``, 1 and 2 threads
interleaved, best of 3):

=============================  ===============  ===============  ==========
members x batch x width        MACs per matmul  1 thread (ms)    2 / 1
=============================  ===============  ===============  ==========
48 x 64 x 32 (seed-1d size)    3.1e6            1.39             6.2x slower
48 x 256 x 64                  5.0e7            19.7             1.6x slower
48 x 256 x 128                 2.0e8            49.0             1.5x slower
96 x 256 x 256                 1.6e9            250              1.9x slower
48 x 512 x 512                 6.4e9            1185             1.4x slower
=============================  ===============  ===============  ==========

With one core busy elsewhere a second torch thread never paid, at any size: every
parallel region waits for the thread the scheduler has parked. Issue 15 measured whole
studies the same way (seed-1d, 300 steps, 2 seeds: 58 s and 38 s with one thread, 254 s
and 108 s with the default two) and, on a quiet machine, the two about equal at seed-1d
size. Whole studies, 1 thread and torch's default (2) interleaved in one run, load 3-5 from other
work: ``benchmarks/profile_study.py`` seed-1d, 300 steps, 2 seeds: training 5.3 s and
314 s (59x); ``benchmarks/busy_machine.py`` (one extra core-spinning process) seed-1d, 60
steps, 1 seed: 7.4 s (policy), 7.6 s (1 thread), 70.9 s (default, 9.4x).

So a second thread is taken only when a core is free *and* each matmul is large
enough to split (``MIN_WORK_PER_THREAD`` multiply-adds per thread, about 10 ms of work:
far above the ~10-100 us a parallel region costs even when a thread must be woken).
That threshold is a judgement, not a measurement: no idle machine was at hand to find
where two threads start to pay; every example config falls well below it (seed-1d
3e6, families-ring8 4e6 multiply-adds per matmul).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from losslab.errors import BadInput

#: Multiply-adds of one matmul below which a second thread is not worth its wake-up.
MIN_WORK_PER_THREAD = 50_000_000

CGROUP = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class ThreadChoice:
    """The number of torch threads and the sentence saying why."""

    torch: int
    reason: str

    def record(self) -> dict[str, Any]:
        """What ``summary.json`` keeps under ``"threads"``."""
        return {"torch": self.torch, "reason": self.reason}

    def line(self) -> str:
        """The one line printed when a study starts."""
        return f"torch threads: {self.torch} ({self.reason})"


def affinity_cores() -> int:
    """Cores in this process's affinity mask (all the machine's off Linux)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cgroup_quota(root: Path = CGROUP) -> float | None:
    """The cgroup's cpu quota in cores (v2 ``cpu.max``, else v1 ``cpu.cfs_quota_us``);
    None when unlimited or unreadable."""
    try:
        text = (root / "cpu.max").read_text().split()
        if text and text[0] != "max":
            return int(text[0]) / int(text[1])
        return None
    except (OSError, ValueError, IndexError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def available_cores(affinity: int | None = None, quota: float | None = None) -> int:
    """Cores this process may use: its affinity mask, capped by the cgroup quota (rounded
    up: a quota of 1.5 cores lets two threads run, each part of the time)."""
    affinity = affinity_cores() if affinity is None else affinity
    if quota is not None and quota > 0:
        return max(1, min(affinity, math.ceil(quota)))
    return max(1, affinity)


def others_load(cores: int) -> float:
    """Runnable processes on this process's cores, averaged over the last minute: the
    machine's 1-min load scaled to the share of its cores we may use (0 where unknown)."""
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0
    total = os.cpu_count() or cores
    return load * min(1.0, cores / total)


def task_work(task: Any) -> int:
    """Multiply-adds of the largest matmul of one step of ``task``: members x batch x the
    widest layer's ``in x out`` (the widths read from whichever of the trainers' task
    shapes it has)."""
    hidden: list[int] = list(getattr(task, "hidden", ()) or ())
    for name in ("network", "generator", "discriminator"):
        shape = getattr(task, name, None)
        hidden += list(getattr(shape, "hidden", ()) or ())
    try:
        dim = int(task.dataset.dim)
    except (AttributeError, TypeError, ValueError):
        dim = 1
    widths = sorted([*hidden, dim], reverse=True)
    widest = widths[0] * (widths[1] if len(widths) > 1 else 1)
    return len(task.members) * int(getattr(task, "batch_size", 1)) * widest


def choose_threads(
    work: int,
    cores: int | None = None,
    load: float | None = None,
    requested: int | None = None,
) -> ThreadChoice:
    """Torch threads for ensembles whose largest matmul has ``work`` multiply-adds.

    ``cores``: the cores this process may use (default :func:`available_cores`);
    ``load``: runnable processes of others on them (default :func:`others_load`);
    ``requested``: ``--threads N``, which wins (a positive integer, else :class:`BadInput`).
    """
    if requested is not None:
        if isinstance(requested, bool) or not isinstance(requested, int) or requested < 1:
            raise BadInput(f"--threads {requested}: expected a positive integer")
        return ThreadChoice(requested, "--threads")
    env = os.environ.get("OMP_NUM_THREADS", "").strip()
    if env.isdigit() and int(env) >= 1:
        return ThreadChoice(int(env), "OMP_NUM_THREADS")
    cores = available_cores() if cores is None else max(1, cores)
    load = others_load(cores) if load is None else max(0.0, load)
    free = max(1, cores - round(load))
    split = max(1, work // MIN_WORK_PER_THREAD)
    if cores == 1:
        return ThreadChoice(1, "1 core available")
    if split == 1:
        return ThreadChoice(
            1, f"small networks ({work:.1e} multiply-adds per matmul): one thread is fastest"
        )
    threads = min(free, split, cores)
    if threads == 1:
        return ThreadChoice(1, f"{cores} cores, but other work keeps {cores - free} busy")
    return ThreadChoice(threads, f"{threads} of {cores} cores free, {work:.1e} multiply-adds "
                        "per matmul")


#: The cores an automatic choice may use, while one is in force (None: none is).
_automatic: dict[str, int | None] = {"cores": None}


def set_automatic(cores: int | None) -> None:
    """Say that this process's threads were chosen by :func:`choose_threads` on ``cores``
    (so :func:`for_work` may choose again for heavier phases); None: they were not
    (``--threads``, or a library caller's own setting)."""
    _automatic["cores"] = cores


@contextmanager
def for_work(work: int) -> Iterator[None]:
    """Within the block, torch threads chosen by the rule for ``work`` multiply-adds per
    matmul on the cores of the automatic choice in force; nothing changes when none is
    (``--threads N``, ``OMP_NUM_THREADS``, a library caller's own setting). The threads
    in use before come back after the block."""
    cores = _automatic["cores"]
    if cores is None:  # (OMP_NUM_THREADS: choose_threads returns it, so nothing changes)
        yield
        return
    import torch

    before = torch.get_num_threads()
    wanted = choose_threads(work, cores=cores).torch
    if wanted == before:
        yield
        return
    torch.set_num_threads(wanted)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def evaluation_work(task: Any) -> int:
    """:func:`task_work` for a checkpoint evaluation: ``eval_samples`` rows per member
    instead of ``batch_size`` (0 for tasks that do not generate samples)."""
    samples = int(getattr(task, "eval_samples", 0) or 0)
    batch = max(1, int(getattr(task, "batch_size", 1)))
    return task_work(task) * samples // batch


def study_threads(tasks: list[Any], requested: int | None = None,
                  cores: int | None = None) -> ThreadChoice:
    """The choice for a study's ensembles: sized by its largest one."""
    work = max((task_work(t) for t in tasks), default=0)
    return choose_threads(work, cores=cores, requested=requested)
