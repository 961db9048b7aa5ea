"""Executors: run the planned ensembles and hand each one's rows to the driver.

Three executors run the same plan through the same :func:`run_task`:

* ``in-process`` (the default): ensembles one after the other in this process;
* ``pool``: a local :class:`concurrent.futures.ProcessPoolExecutor` (``spawn``
  context: torch and ``fork`` do not mix), one ensemble per worker at a time;
* ``ray``: one Ray task per ensemble, on a local Ray instance or a cluster.

Each executor runs :func:`judged_task`: the task's rows, each ``ok`` member then judged
against its dataset's trivial baseline for its seed (:mod:`losslab.metrics.baselines`),
``not-converged`` where it does not beat it. A task never touches the store: it returns
its rows and the driver alone writes them. Every executor yields each ensemble's rows as
that ensemble finishes, in whatever order they finish (the store is keyed by member
index). Results do not depend on the executor: a member's numbers come from its own RNG
streams.
"""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from losslab.data.registry import dataset_label
from losslab.errors import BadInput
from losslab.metrics.baselines import NOT_CONVERGED, baseline, not_converged, verdict_reason
from losslab.threads import for_work, task_work, torch_threads
from losslab.train import MemberResult, train, training_passes

EXECUTORS = ("in-process", "pool", "ray")


def run_task(task: Any, progress: Callable[[int], Any] | None = None) -> list[dict]:
    """Train one ensemble; a crash marks its members ``failed`` instead of ending the study.

    Under an automatic thread choice (:func:`losslab.threads.set_automatic`) each ensemble
    trains with the rule's threads for its own work and the load of the moment, so a
    study that was alone when it started gives up its second thread to other work that
    started since (and takes it back when that work ends)."""
    started = time.perf_counter()
    threads = torch_threads()
    try:
        with for_work(task_work(task)):
            threads = torch_threads()
            results = train(task, progress)
    except Exception as exc:  # noqa: BLE001 - recorded per member, the study goes on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        reason = (
            f"{type(exc).__name__}: {exc} "
            f"(at {Path(where.filename).name}:{where.lineno}, in {where.name})"
        )
        results = [
            MemberResult(index=m.index, status="failed", reason=reason) for m in task.members
        ]
    seconds = time.perf_counter() - started
    passes = [training_passes(task, m) for m in task.members]
    costs = [{"passes": p, "seconds": seconds * p / max(1, sum(passes)), "threads": threads}
             for p in passes]
    return [
        _row(task, m, r, c) for m, r, c in zip(task.members, results, costs, strict=True)
    ]


def judged_task(task: Any, progress: Callable[[int], Any] | None = None) -> list[dict]:
    """:func:`run_task`, then every ``ok`` member judged against its seed's trivial baseline
    (:func:`~losslab.metrics.baselines.baseline`, computed once per seed of the task):
    ``not-converged`` with the reason where it does not beat it on the primary metric. Each
    row carries the baseline it was judged against (``baseline``; ``{}`` if none could be
    computed, e.g. a dataset without the samples it needs: the member stays ``ok``)."""
    rows = run_task(task, progress)
    baselines: dict[int, dict[str, Any]] = {}
    for row in rows:
        seed = row["seed"]
        if seed not in baselines:
            baselines[seed] = _baseline(task, seed)
        row["baseline"] = baselines[seed]
        if row["status"] == "ok" and row["baseline"] and not_converged(
            row["metrics"], row["baseline"]
        ):
            row["status"] = NOT_CONVERGED
            row["reason"] = verdict_reason(row["metrics"], row["baseline"])
    return rows


_BASELINES: dict[tuple, dict[str, Any]] = {}  # this process's baselines, by what fixes them


def _baseline(task: Any, seed: int) -> dict[str, Any]:
    """The baseline of ``task``'s dataset for ``seed``, computed once per process: the
    ensembles of one study share it (it depends on the dataset, the seeds, the evaluation
    size and the training points only)."""
    args = (task.study_seed, seed, getattr(task, "eval_samples", None),
            getattr(task, "data_points", None))
    try:
        key: tuple | None = (hashlib.sha1(pickle.dumps(task.dataset)).hexdigest(), *args)
    except Exception:  # noqa: BLE001 - a dataset that does not pickle is not cached
        key = None
    if key is not None and key in _BASELINES:
        return copy.deepcopy(_BASELINES[key])
    try:
        out = baseline(task.dataset, *args)
    except Exception:  # noqa: BLE001 - without a baseline the members keep their status
        return {}
    if key is not None:
        if len(_BASELINES) > 256:
            _BASELINES.clear()
        _BASELINES[key] = copy.deepcopy(out)
    return out


def _row(task: Any, member: Any, result: MemberResult, cost: dict[str, Any]) -> dict[str, Any]:
    """A member's row for the store. ``cost``: its training passes, its share of the
    ensemble's wall time (shared out in proportion to the passes) and the torch threads
    the ensemble trained with."""
    return {
        "cost": cost,
        "idx": member.index,
        "loss": member.label,
        "registry_name": member.loss,
        "dataset": dataset_label(task.dataset),
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
        yield judged_task(task, progress)


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask capped by the cgroup cpu quota,
    not the machine's total)."""
    from losslab.threads import available_cores

    return available_cores()


def _init_pool_worker(
    threads: int, plugins: tuple[str, ...] = (), automatic_cores: int | None = None
) -> None:
    import torch

    from losslab.threads import set_automatic

    torch.set_num_threads(threads)
    set_automatic(automatic_cores)  # the worker's share, when the rule chose its threads
    if plugins:  # a spawned worker starts bare: the parent's plug-in losses, loaded again
        from losslab.plugins import load_plugins

        load_plugins(plugins)


def run_in_pool(
    tasks: list[Any],
    progress: Callable[[int], Any] | None = None,
    workers: int | None = None,
    threads: int | None = None,
    automatic: bool = False,
) -> Iterator[list[dict]]:
    """Run ensembles in ``workers`` spawned processes (default: one per core); yield each
    ensemble's rows as it finishes and advance ``progress`` by its steps then.

    The pool never has more workers than ensembles; each worker runs torch with
    ``threads`` threads (default ``max(1, cores // workers)``, so the workers together
    do not oversubscribe the cores; the runner passes :mod:`losslab.threads`' choice
    within that share). ``automatic``: that choice was the rule's (no ``--threads``), so a
    worker's evaluations may choose again within its share
    (:func:`losslab.threads.for_work`).
    """
    if not tasks:
        return
    workers = min(workers or cpu_count(), len(tasks))
    share = max(1, cpu_count() // workers)
    threads = threads or share
    from losslab.plugins import loaded_plugins

    pool = ProcessPoolExecutor(
        workers,
        get_context("spawn"),
        initializer=_init_pool_worker,
        initargs=(threads, tuple(loaded_plugins()),
                  share if automatic else None),
    )
    try:
        pending = {pool.submit(judged_task, task): task for task in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                task = pending.pop(future)
                rows = future.result()
                if progress is not None:
                    progress(task.steps)
                yield rows
    finally:
        # stopped early (interrupt, a store error): drop the ensembles not yet started
        pool.shutdown(wait=False, cancel_futures=True)


def import_ray() -> Any:
    """The ``ray`` module, or :class:`BadInput` saying how to get it."""
    try:
        import ray
    except ImportError:
        raise BadInput(
            "--executor ray needs Ray: install losslab[ray] (pip install 'losslab[ray]')"
        ) from None
    return ray


@contextmanager
def ray_session(address: str | None = None, device: str = "cpu") -> Iterator[Any]:
    """Connect to Ray for the length of a study and yield the ``ray`` module.

    ``address`` (else ``RAY_ADDRESS``) names a running cluster; without one a local
    Ray instance starts with one CPU per core and no dashboard. A session already
    open in this process (``ray.init`` called by the caller) is used as it is and
    left open. ``device="cuda"`` needs a GPU somewhere in the cluster.
    """
    ray = import_ray()
    address = address or os.environ.get("RAY_ADDRESS") or None
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address)
        else:
            ray.init(num_cpus=cpu_count(), include_dashboard=False)
    try:
        if device == "cuda" and not ray.cluster_resources().get("GPU"):
            raise BadInput("train.device = 'cuda' but the Ray cluster has no GPU")
        yield ray
    finally:
        if started:
            ray.shutdown()


def run_on_ray(
    tasks: list[Any], progress: Callable[[int], Any] | None = None
) -> Iterator[list[dict]]:
    """One Ray task per ensemble (inside :func:`ray_session`); yield each ensemble's rows
    as it finishes (``ray.wait``) and advance ``progress`` by its steps then.

    Each task asks Ray for one CPU (Ray then runs its torch single-threaded) and, on
    ``cuda``, one GPU.
    """
    ray = import_ray()
    remote = ray.remote(judged_task)
    pending = {}
    for task in tasks:
        options = {"num_gpus": 1} if task.device == "cuda" else {}
        pending[remote.options(**options).remote(task)] = task
    try:
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                task = pending.pop(ref)
                rows = ray.get(ref)
                if progress is not None:
                    progress(task.steps)
                yield rows
    finally:
        for ref in pending:  # stopped early: the ensembles not yet returned are dropped
            ray.cancel(ref)
