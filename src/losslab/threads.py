"""How many intra-op threads torch gets: one rule, from the work and the cores free.

The rule (:func:`choose_threads`)::

    cores  = min(affinity mask, ceil(cgroup cpu quota))       # what this process may use
    others = cores other processes keep busy                  # /proc/stat, less our own
    free   = cores - round(others)
    per-op work = members x batch x widest layer (in x out)   # multiply-adds of one matmul
    threads = 1                                   if work < 2 x MIN_WORK_PER_THREAD
              min(free, work // MIN_WORK_PER_THREAD)  otherwise (at least 1)

``others`` is measured, not guessed (:class:`OthersMeter`): the machine's busy CPU
seconds from ``/proc/stat`` less this process's own, per second of wall time, over the
window since the previous choice (the first choice reads a 0.25 s window). The 1-min load
average, used before, counted this process's own threads as other work and remembered
for a minute a job that had ended; it is now only the fallback off Linux, with this
process's own part taken out (:class:`OwnLoad`).

The rule chooses again where the work changes and the load may have: each ensemble
trains with the rule's choice for its own work and the load when it starts
(:func:`losslab.study.executor.run_task`), and each checkpoint evaluation (generating
``eval_samples`` per member, Langevin or diffusion sampling included: ``eval_samples``
rows, not ``batch`` rows) takes its own (:func:`for_work`); after each evaluation, and
every 2 s of training (:func:`tick`, called by the trainers each step), the training's
threads are chosen again for the load of that moment, so a study that was alone when an
ensemble started gives its second thread back within seconds of other work starting.
That happens while a choice made by this rule is in force
(:func:`set_automatic`: ``losslab run`` in-process, each pool worker). ``--threads N``
(``losslab run``, ``losslab recommend``) and ``losslab.run(threads=N)`` override it, and
so does ``OMP_NUM_THREADS`` set in the environment (a positive integer; a user who sets
it asked for that number, as torch itself reads it). The pool executor gives each
worker ``cores // workers`` as its ``cores``; each Ray task asks for one CPU (Ray runs
its torch with one thread). Each member's ``cost`` records the threads its ensemble
trained with.

Why: ``benchmarks/thread_crossover.py`` (forward + backward of a two-layer ensemble MLP,
``baddbmm``; 1 and 2 threads interleaved in one run, best of 3; 2-core AMD EPYC, AVX2,
torch 2.13 CPU), 2-thread time / 1-thread time:

=========================  ===============  ============  =====================
members x rows x width     MACs per matmul  idle          one core busy elsewhere
=========================  ===============  ============  =====================
1 x 64 x 32                6.6e4            0.87          2.56
8 x 64 x 32                5.2e5            0.58          2.67
48 x 64 x 32 (seed-1d)     3.1e6            0.65          1.98
5 x 128 x 128              1.0e7            0.67          2.22
1 x 2500 x 128 (eval)      4.1e7            0.59          1.65
10 x 100 x 400 (PacGAN)    1.6e8            0.55          1.64
5 x 2500 x 128 (eval)      2.0e8            0.72          1.34
=========================  ===============  ============  =====================

On an idle core a second thread paid at every size from 5e5 multiply-adds (hence
``MIN_WORK_PER_THREAD`` = 2.5e5 per thread); with a core busy elsewhere it never paid,
at any size: every parallel region waits for the thread the scheduler has parked. (An
earlier machine of this project (load ~1 from other work) gave the same busy
picture: 1.4-6.2x slower with two threads, 3e6 to 6.4e9 multiply-adds.) So which way the
choice goes is decided by whether a core is free, and the measurement must be current.
Above two cores the per-thread minimum is not measured (no such machine was at hand).
Where matmuls are small a whole study feels little of the layer's gain, its time going
to per-op overhead: ``losslab run examples/seed-1d.toml`` (3.1e6 multiply-adds per
matmul), idle, took 3 min 00 s with two threads and 3 min 09 s with one, for twice the
CPU time; the rule takes the second core there because it is free and the study is not
slower for it.

Whole studies (``benchmarks/busy_machine.py``: the policy, 1 thread and torch's default
2, interleaved in one run, best of 2), this machine:

====================================  ======  ==========  ==========  ===========
study (steps, seeds)                  busy    policy (s)  1 thread    2 threads
====================================  ======  ==========  ==========  ===========
seed-1d (300, 2)                      idle    8.28 (2)    8.35        8.40
seed-1d (300, 2), best of 3            1 core  10.28 (1)   10.35       32.73
families-ring8 (100, 1)               idle    54.33 (2)   73.37       55.16
families-ring8 (100, 1)               1 core  81.35 (1)   77.94       153.36
====================================  ======  ==========  ==========  ===========

The policy's thread count in brackets; within 10% of the better fixed count in every
row (0.98-1.04). Before this rule the policy took one thread on the idle machine too
(the load average counted the study's own thread as other work): families-ring8 idle
67.4 s against 46.7 s with two threads (1.44).

One and two threads give the same numbers (measured here, not promised by MKL):
``losslab run examples/seed-1d.toml --steps 200 --seeds 2`` and
``examples/families-ring8.toml --steps 100 --seeds 1`` with ``--threads 1`` and
``--threads 2``: every number in summary.json identical but times and threads.
``tests/test_threads.py`` holds the rule itself.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from losslab.errors import BadInput

#: Multiply-adds of one matmul below which a second thread is not worth its wake-up.
MIN_WORK_PER_THREAD = 250_000

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


def process_age() -> float:
    """Seconds since this process started: on Linux from ``/proc/self/stat`` (start time in
    clock ticks since boot) against ``/proc/uptime``, so the interpreter's start-up and
    every import count; elsewhere 0."""
    try:
        stat = Path("/proc/self/stat").read_text()
        # field 22, counted after the command name (which may hold spaces) in parentheses
        start_ticks = float(stat[stat.rindex(")") + 2 :].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        age = uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0
    return age if 0.0 <= age < 86_400.0 else 0.0


#: The kernel's 1-minute load average is an exponential average with this time constant.
LOAD_TAU = 60.0


class OwnLoad:
    """This process's own part of the 1-minute load average, so that the rule does not
    count its own threads as other work.

    The kernel's load average is an exponentially weighted mean of the runnable tasks,
    time constant ``LOAD_TAU`` = 60 s. A process that keeps ``c`` cores busy adds ``c``
    runnable tasks, so its part of the average is its CPU use (CPU seconds per second)
    weighted the same way::

        own(t + dt) = own(t) e^(-dt/60) + (CPU seconds in dt / dt) (1 - e^(-dt/60))

    Before the first reading nothing is known but the process's CPU seconds ``cpu`` over
    its age ``a``; taken as a constant rate, that gives ``(cpu / a)(1 - e^(-a/60))``.
    (CPU use undercounts a thread that was runnable but waiting for a core; on a machine
    that busy the rule gives one thread anyway.)
    """

    def __init__(self) -> None:
        self.wall: float | None = None
        self.cpu = 0.0
        self.load = 0.0

    def update(self, wall: float, cpu: float, age: float) -> float:
        """The own load at wall-clock ``wall`` (s, monotonic), with ``cpu`` CPU seconds used
        by this process so far, ``age`` seconds after it started."""
        if self.wall is None:
            rate = cpu / age if age > 0 else 0.0
            self.load = rate * (1.0 - math.exp(-max(age, 0.0) / LOAD_TAU))
        elif wall > self.wall:
            dt = wall - self.wall
            decay = math.exp(-dt / LOAD_TAU)
            self.load = self.load * decay + (cpu - self.cpu) / dt * (1.0 - decay)
        self.wall, self.cpu = wall, cpu
        return self.load


_own_load = OwnLoad()


PROC_STAT = Path("/proc/stat")

#: Seconds between the two readings of the first measurement of others' CPU use, and
#: the shortest window measured at all.
FIRST_WINDOW = 0.25
MIN_WINDOW = 0.2


def machine_busy_seconds(path: Path = PROC_STAT) -> float | None:
    """CPU seconds the whole machine has spent busy since boot: the ``cpu`` line of
    ``/proc/stat`` (clock ticks), user + nice + system + irq + softirq + steal (guest time
    is already inside user; steal is time another virtual machine took from ours). None
    where unreadable (off Linux)."""
    try:
        with path.open() as f:
            fields = f.readline().split()
        if fields[0] != "cpu":
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class OthersMeter:
    """Cores kept busy by other processes between two readings: the machine's busy CPU
    seconds (:func:`machine_busy_seconds`) less this process's own (all its threads), per
    second of wall time::

        others = ((busy - busy_before) - (own - own_before)) / (wall - wall_before)

    Unlike the load average it answers for the time since the last choice, not a minute
    that may still remember a job that has ended."""

    def __init__(self) -> None:
        self.last: tuple[float, float, float] | None = None
        self.estimate: float | None = None

    def update(self, wall: float, busy: float, own: float) -> float | None:
        """Others' busy cores since the previous reading (None for the first). A reading
        less than ``MIN_WINDOW`` s after the previous one is too short to measure (the
        kernel counts in 10 ms ticks): the previous estimate stands, and the window goes
        on from the previous reading."""
        if self.last is None:
            self.last = (wall, busy, own)
            return None
        before = self.last
        if wall - before[0] < MIN_WINDOW:
            return self.estimate
        self.last = (wall, busy, own)
        self.estimate = max(0.0, ((busy - before[1]) - (own - before[2])) / (wall - before[0]))
        return self.estimate


_others = OthersMeter()


def _others_now() -> float | None:
    """:class:`OthersMeter`'s reading now (None: a first reading, or /proc/stat unreadable)."""
    busy = machine_busy_seconds()
    return None if busy is None else _others.update(time.monotonic(), busy, time.process_time())


def others_load(cores: int) -> float:
    """Cores other processes keep busy, scaled to the share of the machine's cores we may
    use: measured by :class:`OthersMeter` since the previous call (the first call takes
    two readings ``FIRST_WINDOW`` apart); where ``/proc/stat`` is unreadable, the 1-min
    load average less this process's own part (:class:`OwnLoad`); 0 where neither is
    known."""
    total = os.cpu_count() or cores
    share = min(1.0, cores / total)
    others = _others_now()
    if others is None and _others.last is not None:  # a first reading: measure a window
        time.sleep(FIRST_WINDOW)
        others = _others_now()
    if others is not None:
        return others * share
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0
    own = _own_load.update(time.monotonic(), time.process_time(), process_age())
    return max(0.0, load - own) * share


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
    ``load``: cores other processes keep busy (default :func:`others_load`, measured);
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
    split = max(1, work // MIN_WORK_PER_THREAD)
    if cores == 1:
        return ThreadChoice(1, "1 core available")
    if split == 1:
        return ThreadChoice(
            1, f"small networks ({work:.1e} multiply-adds per matmul): one thread is fastest"
        )
    load = others_load(cores) if load is None else max(0.0, load)  # measured only if needed
    free = max(1, cores - round(load))
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


#: The works of the :func:`for_work` blocks open now, outermost first.
_open_works: list[int] = []


def _set_threads(n: int) -> None:
    import torch

    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


@contextmanager
def for_work(work: int) -> Iterator[None]:
    """Within the block, torch threads chosen by the rule for ``work`` multiply-adds per
    matmul on the cores of the automatic choice in force; nothing changes when none is
    (``--threads N``, ``OMP_NUM_THREADS``, a library caller's own setting).

    After the block, inside an enclosing one (a checkpoint evaluation inside an
    ensemble's training), the threads are the rule's choice for the enclosing work and
    the load *now*: so a long ensemble gives its second thread back at its next
    checkpoint when other work has started, and takes it again when that work ends.
    After the outermost block the threads in use before it come back."""
    cores = _automatic["cores"]
    if cores is None:  # (OMP_NUM_THREADS: choose_threads returns it, so nothing changes)
        yield
        return
    import torch

    before = torch.get_num_threads()
    _open_works.append(work)
    try:
        _set_threads(choose_threads(work, cores=cores).torch)
        yield
    finally:
        _open_works.pop()
        if _open_works and _automatic["cores"] is not None:
            _set_threads(choose_threads(_open_works[-1], cores=_automatic["cores"]).torch)
        else:
            torch.set_num_threads(before)


#: Seconds between two re-choices of the threads inside a block (:func:`tick`).
RECHECK_SECONDS = 2.0
_last_tick = {"t": 0.0}


def tick() -> None:
    """Called by the trainers once per step: at most every ``RECHECK_SECONDS``, the threads
    of the innermost open :func:`for_work` block are chosen again for the load now, so an
    ensemble gives its second thread back within seconds of other work starting (and
    takes it again when that work ends). Nothing happens without an automatic choice or
    outside a block; the cost otherwise is one clock read."""
    if _automatic["cores"] is None or not _open_works:
        return
    now = time.monotonic()
    if now - _last_tick["t"] < RECHECK_SECONDS:
        return
    _last_tick["t"] = now
    _set_threads(choose_threads(_open_works[-1], cores=_automatic["cores"]).torch)


def torch_threads() -> int:
    """torch's intra-op threads now (imports torch only when called)."""
    import torch

    return torch.get_num_threads()


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
