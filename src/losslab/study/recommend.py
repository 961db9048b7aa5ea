"""``losslab recommend``: which loss fits my data? Profile it, race the candidates,
recommend with the evidence.

>>> from losslab import recommend
>>> result = recommend(df, task="classify", target="label", budget=60)  # doctest: +SKIP
>>> result.table            # pandas DataFrame, best first, mean and 95% CI
>>> result.recommendation   # the winner, or the tie the evidence cannot break

Steps, each in its room: :mod:`losslab.data.files` (read and validate),
:mod:`losslab.data.profile`, :mod:`losslab.study.candidates` (documented rules),
:mod:`losslab.study.race` (successive halving on the ensemble engine, within the
budget), :mod:`losslab.study.recommendation` (table, verdict, reasons, files) and
:mod:`losslab.report.recommend` (report.html).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from losslab.data.files import load
from losslab.data.profile import Profile, profile
from losslab.errors import BadInput
from losslab.outputs import check_out_dir
from losslab.study.candidates import (
    GENERATIVE_FAMILIES,
    Candidate,
    Plan,
    choose,
    generative_losses,
)
from losslab.study.config import MAX_SEED
from losslab.study.race import SEARCH_SETTINGS, Race, check_width, set_threads
from losslab.study.recommendation import RecommendResult, build

DEFAULT_BUDGET = 120.0
"""Seconds for the whole run (load, profile, race, report) when none is given."""
MIN_BUDGET = 5.0
TASKS = ("generate", "classify", "regress")


def recommend(
    data: Any,
    task: str,
    target: str | None = None,
    columns: list[str] | None = None,
    budget: float = DEFAULT_BUDGET,
    out: str | Path | None = None,
    seed: int = 0,
    drop_invalid: bool = False,
    drop_constant: bool = False,
    schedule: list[tuple[int, int]] | None = None,
    tune: int = SEARCH_SETTINGS,
    progress: bool = False,
    on_profile: Callable[[Profile], Any] | None = None,
    losses: list[str] | None = None,
    threads: int | None = None,
    started: float | None = None,
) -> RecommendResult:
    """Profile ``data``, race the candidate losses for ``task`` and recommend one.

    ``data``: a file path (CSV/TSV, NPY/NPZ, Parquet), a NumPy array or a pandas
    DataFrame. ``task``: ``generate``, ``classify`` or ``regress`` (the last two need
    ``target``, a column name). ``budget``: seconds for the whole call. ``out``: a folder
    for ``summary.json``, ``profile.json``, ``table.csv`` and ``report.html`` (none if
    ``None``). ``schedule``: ``[(steps, seeds), ...]`` per round replays a race exactly
    (the budget then only bounds nothing: the schedule is followed). ``tune``: settings
    per candidate tried in the first screening round (its defaults, and its learning rate
    and main knob drawn at random; 1 = defaults only); each candidate goes on with its
    best, so the finalists are compared tuned, not at their papers' defaults. ``losses``
    (``--losses A,B``): race these registered losses instead of the rules' choice (at least
    2, each fitting the task). ``threads``:
    torch threads (``--threads``; default one, see :func:`~losslab.study.race.set_threads`).
    ``started``: when the budget's clock started (a :func:`time.perf_counter` value; the
    command line passes its process's start, so start-up counts; default: this call).
    Bad input raises
    :class:`~losslab.errors.BadInput` with one line naming the problem.
    """
    started = time.perf_counter() if started is None else float(started)
    if task not in TASKS:
        raise BadInput(f"--task {task!r}: expected one of {', '.join(TASKS)}")
    if not budget >= MIN_BUDGET:
        raise BadInput(f"--budget {budget:g}: at least {MIN_BUDGET:g} seconds are needed")
    if not math.isfinite(budget):
        raise BadInput(f"--budget {budget:g}: expected a finite number of seconds")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not (
        0 <= seed <= MAX_SEED
    ):
        raise BadInput(f"--seed {seed}: must be an integer between 0 and 2**32 - 1")
    if out is not None:  # before the race: its budget is not spent on results that cannot be kept
        inputs = [data] if isinstance(data, str | Path) else []
        check_out_dir(out, inputs=inputs)
    before = set_threads(threads)  # --threads, else one: see race.set_threads
    try:
        table = load(data, task, target, columns, drop_invalid, drop_constant)
        if schedule is None:  # before profiling, which is slow on very wide data
            fewest = {
                "classify": ["softmax-ce", "label-smoothing-ce"],
                "regress": ["mse", "huber"],
            }.get(task) or generative_losses()
            check_width(fewest, table.dim, budget, table.source)
        prof = profile(table, task, seed)
        if on_profile is not None:
            on_profile(prof)
        plan = choose(prof)
        if losses is not None:
            plan = chosen_losses(plan, prof, losses)
        bar = _Bar(budget, started) if progress else None
        race = Race(
            table,
            prof,
            plan,
            budget,
            seed,
            started,
            schedule,
            on_step=bar.step if bar else None,
            on_round=bar.describe if bar else None,
            search=tune,
        )
        if schedule is None:
            race.check_width()
        try:
            outcome = race.run()
        finally:
            if bar is not None:
                bar.close()
        result = build(task, prof, plan, outcome, budget, time.perf_counter() - started)
        result.seconds = time.perf_counter() - started
        if out is not None:
            result.save(out)  # the time it reports excludes writing the files (well under 1 s)
        return result
    finally:
        torch.set_num_threads(before)


def chosen_losses(plan: Plan, prof: Profile, names: list[str]) -> Plan:
    """``plan`` racing ``names`` (``--losses``) instead of the rules' candidates; a name
    the rules chose keeps its reason. Bad input: an unknown name, a loss of another task,
    a binary loss on more than 2 classes, a count loss on targets that are not counts,
    fewer than 2 names."""
    from losslab.losses import all_losses

    names = list(dict.fromkeys(n.strip() for n in names if n.strip()))
    if len(names) < 2:
        raise BadInput(f"--losses {','.join(names)}: name at least 2 losses to race")
    families = {"classify": ("classification",), "regress": ("regression",)}.get(
        prof.task, GENERATIVE_FAMILIES
    )
    known = {s.name: s for f in families for s in all_losses(f)}
    by_rule = {c.loss: c for c in plan.candidates}
    cands = []
    for name in names:
        spec = known.get(name)
        if spec is None:
            why = "unknown loss" if name not in {s.name for s in all_losses()} else (
                f"not a loss for --task {prof.task}"
            )
            raise BadInput(f"--losses {name}: {why} (`losslab list` shows the losses)")
        if spec.training.get("binary") and len(prof.classes) != 2:
            raise BadInput(f"--losses {name}: a binary loss; the target has "
                           f"{len(prof.classes)} classes")
        if spec.training.get("targets") == "non-negative" and not prof.counts:
            raise BadInput(f"--losses {name}: needs count targets (non-negative integers)")
        cands.append(by_rule.get(name) or Candidate(name, spec.family, "chosen with --losses"))
    rules = (*plan.rules, "--losses: raced " + ", ".join(names) + " instead of the rules' choice")
    return replace(plan, candidates=tuple(cands), rules=rules)


class _Bar:
    """A progress bar (timed lines off a terminal) over the budget's seconds, advanced from
    the trainers' step callback."""

    def __init__(self, budget: float, started: float):
        from losslab.progress import progress_bar

        self.started = started
        self.bar = progress_bar(
            int(round(budget)),
            "race",
            "s",
            leave=False,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n}/{total} s {postfix}",
        )
        self.bar.update(min(self.bar.total, int(time.perf_counter() - started)))

    def step(self) -> None:
        done = int(time.perf_counter() - self.started)
        if done > self.bar.n:
            self.bar.update(min(done, self.bar.total) - self.bar.n)

    def describe(self, text: str) -> None:
        self.bar.set_postfix_str(text)

    def close(self) -> None:
        self.bar.close()


__all__ = ["DEFAULT_BUDGET", "RecommendResult", "recommend"]

