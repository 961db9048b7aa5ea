"""Run a study end to end: config -> plan -> executor -> store -> report."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import torch

from losslab.data.filedata import FileData
from losslab.errors import BadInput
from losslab.outputs import check_out_dir
from losslab.progress import progress_bar
from losslab.report import build_report
from losslab.study.config import StudyConfig, load_study_config
from losslab.study.executor import (
    EXECUTORS,
    cpu_count,
    ray_session,
    run_in_pool,
    run_in_process,
    run_on_ray,
)
from losslab.study.planner import plan_ensembles, plan_members
from losslab.study.store import RunStore, check_writable_store
from losslab.study.tune import run_tuning, tuning_record
from losslab.threads import ThreadChoice, available_cores, set_automatic, study_threads
from losslab.train.adversarial import AdversarialTask

# (tasks, progress) -> each ensemble's rows as it finishes
Executor = Callable[[list[Any], Callable[[int], Any]], Iterator[list[dict]]]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "study"


@dataclass(frozen=True)
class StudyRun:
    summary: dict[str, Any]
    out_dir: Path
    db_path: Path


def _checkpoint_file(folder: Path, first_member: int) -> Path:
    return folder / f"ensemble-{first_member}.pt"


def _remove_if_empty(folder: Path) -> None:
    """Remove ``folder`` when it holds nothing (a folder with anything in it stays)."""
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()


def _with_checkpoints(tasks: list[Any], folder: Path, resume: bool) -> list[Any]:
    """Adversarial ensembles checkpoint into ``folder`` (kept only with ``resume``), so a
    study killed mid-training continues from its last checkpoint. A checkpoint carries
    the hash of its task, so one left by another config is ignored on resume."""
    if folder.exists() and not folder.is_dir():
        raise BadInput(f"{folder}: a file is in the way of the checkpoints folder; move it")
    if not resume and folder.exists():
        for stale in folder.glob("ensemble-*.pt"):
            stale.unlink()
    out = []
    for t in tasks:
        if isinstance(t, AdversarialTask):
            first = min(m.index for m in t.members)
            t = replace(t, checkpoint_path=str(_checkpoint_file(folder, first).resolve()))
        out.append(t)
    return out


def run_study(
    config_path: str | Path | None,
    out: str | Path | None = None,
    db: str | Path | None = None,
    seeds: int | None = None,
    steps: int | None = None,
    resume: bool = False,
    progress: bool = True,
    executor: str = "in-process",
    workers: int | None = None,
    address: str | None = None,
    device: str | None = None,
    overwrite: bool = False,
    tune: int | None = None,
    sampler: str | None = None,
    config: StudyConfig | None = None,
    threads: int | None = None,
) -> StudyRun:
    """Run the study in ``config_path`` (``None`` when ``config`` is given, e.g. one
    validated from a dict); its summary is also written to ``out``.

    ``out`` defaults to ``runs/<study name>``, the store to ``<out>/../losslab.db``.
    With ``resume``, ensembles already in the store are not trained again.
    ``executor`` is ``in-process``, ``pool`` (``workers`` processes, default one per
    core) or ``ray`` (``address`` or ``RAY_ADDRESS``, else a local Ray); the results
    are the same under each. ``device`` overrides ``train.device``; ``tune`` and
    ``sampler`` override ``[tune].trials`` and ``[tune].sampler`` (a tuned study: see
    :mod:`losslab.study.tune`). A finished study
    already stored for ``out`` is replaced only with ``overwrite``. The output folder
    and the store are checked before anything trains. ``config``: ``config_path`` already
    loaded with these overrides (:func:`~losslab.study.config.load_study_config`; the
    command line validates before it imports this module's heavy dependencies).
    ``threads``: torch threads per process (``--threads``); default
    :mod:`losslab.threads`' choice, printed at the start unless ``progress`` is off.
    """
    if config is None:
        if config_path is None:
            raise BadInput("run_study: give a config file or a validated config")
        config = load_study_config(config_path, seeds, steps, device, tune, sampler)
    out_dir, db_path = _places(config, out, db)
    # never write over what the study reads: its config file and its data files
    inputs = [config_path] if config_path is not None else []
    inputs += [d.path for d in config.datasets if isinstance(d, FileData)]
    with ExitStack() as stack:
        # the executor's arguments first: a bad one creates nothing, not even the folder
        choice = _threads(config, executor, workers, threads)
        execute = _open_executor(stack, executor, workers, address, config.train.device)
        if executor == "pool":
            execute = partial(execute, threads=choice.torch, automatic=threads is None)
        check_out_dir(out_dir, inputs=inputs)
        check_writable_store(db_path)
        if progress:
            print(choice.line(), flush=True)
        before = torch.get_num_threads()
        torch.set_num_threads(choice.torch if executor == "in-process" else before)
        # the rule chose (no --threads): evaluation may choose again for its larger work
        set_automatic(available_cores() if executor == "in-process" and threads is None
                      else None)
        try:
            return _run(config, execute, out_dir, db_path, resume, progress, overwrite, choice)
        finally:
            set_automatic(None)
            torch.set_num_threads(before)


def _threads(
    config: StudyConfig, executor: str, workers: int | None, requested: int | None
) -> ThreadChoice:
    """Torch threads per process: ``--threads`` if given, else sized by the study's largest
    ensemble and each process's share of the cores (a pool worker's, a Ray task's one)."""
    if executor == "ray":
        if requested is not None:
            raise BadInput("--threads does not apply to --executor ray (one CPU per task)")
        return ThreadChoice(1, "Ray: each task runs on one CPU")
    tasks = plan_ensembles(config, plan_members(config))
    share = None
    if executor == "pool":  # as many workers as run_in_pool starts
        share = max(1, cpu_count() // min(workers or cpu_count(), max(1, len(tasks))))
    return study_threads(tasks, requested, share)


def _places(
    config: StudyConfig, out: str | Path | None, db: str | Path | None
) -> tuple[Path, Path]:
    """The output folder (default ``runs/<study name>``) and the store (default
    ``<out>/../losslab.db``)."""
    out_dir = Path(out) if out is not None else Path("runs") / slug(config.study.name)
    db_path = Path(db) if db is not None else out_dir.resolve().parent / "losslab.db"
    return out_dir, db_path


def _open_executor(
    stack: ExitStack, name: str, workers: int | None, address: str | None, device: str
) -> Executor:
    """Check the executor's arguments (before anything is written) and start it."""
    if name not in EXECUTORS:
        raise BadInput(f"unknown executor {name!r} (known: {', '.join(EXECUTORS)})")
    if workers is not None and name != "pool":
        raise BadInput("--workers applies to --executor pool only")
    if workers is not None and workers < 1:
        raise BadInput(f"--workers must be a positive integer, got {workers}")
    if address is not None and name != "ray":
        raise BadInput("--address applies to --executor ray only")
    if name == "ray":
        stack.enter_context(ray_session(address, device))
        return run_on_ray
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise BadInput("train.device = 'cuda' but torch sees no CUDA device here")
    if name == "pool":
        return partial(run_in_pool, workers=workers)
    return run_in_process  # looked up here, at call time, so tests can replace it


def _run(
    config: StudyConfig,
    execute: Executor,
    out: str | Path | None,
    db: str | Path | None,
    resume: bool,
    progress: bool,
    overwrite: bool = False,
    threads: ThreadChoice | None = None,
) -> StudyRun:
    out_dir, db_path = _places(config, out, db)
    check_out_dir(out_dir)
    store = RunStore(db_path)
    try:
        study_id = store.open_study(
            config.study.name, str(out_dir.resolve()), config.model_dump(mode="json"), resume,
            overwrite,
        )
        train = partial(
            _train_members, config, store, study_id, execute, out_dir, resume, progress
        )
        if config.tune.trials:
            tunings, finals = run_tuning(config, train)
            store.set_tuning(study_id, tuning_record(config, tunings))
            train(finals, "final members")
        else:
            train(plan_members(config), config.study.name)
        store.finish_study(study_id)
        record = threads.record() if threads is not None else None
        return StudyRun(build_report(store, study_id, out_dir, record), out_dir, db_path)
    finally:
        store.close()  # also clears this run's writer mark if the study did not finish


def _train_members(
    config: StudyConfig,
    store: RunStore,
    study_id: int,
    execute: Executor,
    out_dir: Path,
    resume: bool,
    progress: bool,
    members: list[Any],
    phase: str,
) -> dict[int, dict[str, Any]]:
    """Train the members the store does not hold yet, as ensembles, storing each as it
    finishes; return every given member's status and final metrics (from the store)."""
    done = store.completed(study_id)
    tasks = [
        t for t in plan_ensembles(config, members) if not all(m.index in done for m in t.members)
    ]
    tasks = _with_checkpoints(tasks, out_dir / "checkpoints", resume)
    total = sum(t.steps for t in tasks)
    n_members = sum(len(t.members) for t in tasks)
    stored = 0
    with progress_bar(total, phase, "step", enabled=progress) as bar:
        bar.set_postfix_str(f"0/{n_members} members")
        for rows in execute(tasks, bar.update):
            store.write_members(study_id, rows)
            stored += len(rows)
            bar.set_postfix_str(f"{stored}/{n_members} members")
            # the ensemble is safely stored: its checkpoint is no longer needed
            _checkpoint_file(out_dir / "checkpoints", rows[0]["idx"]).unlink(missing_ok=True)
    _remove_if_empty(out_dir / "checkpoints")  # every ensemble stored: no empty folder left
    wanted = {m.index for m in members}
    return {
        m["index"]: {"status": m["status"], "metrics": m["metrics"]}
        for m in store.members(study_id)
        if m["index"] in wanted
    }
