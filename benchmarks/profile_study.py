"""Where a study's time goes (issue 15 point 2): start-up imports, training (autograd
backward, the optimiser, the rest of the step: forward, losses and per-step Python),
the recorder, checkpoints, evaluation (sampling, Langevin/diffusion included, and
metrics), store writes, figures and the report; then the same training with one torch
thread and with torch's default, interleaved, as a ratio.

    python benchmarks/profile_study.py                       # all three, cut down
    python benchmarks/profile_study.py --studies seed-1d --steps 300 --seeds 2
    python benchmarks/profile_study.py --threads 1           # the profiled pass's threads

Each study is an example config cut down by ``--steps`` and ``--seeds``; it keeps the
config's ``eval_every`` (``--eval-every`` to change it; the evaluations at step 0 and at
the end always happen, so a cut run weighs evaluation, figures and the report more than
the full one) and records the series every ``record_every`` steps of the full run, so
recording costs the same share per step. The sections are wall-clock
timers wrapped around the functions named in ``SECTIONS``; a section's time excludes
the sections it calls (an evaluation's metrics are counted under metrics, not twice).
"Per-op overhead" counts the aten ops of ``--op-steps`` training steps (a
``TorchDispatchMode`` counter, a separate short run) times the measured cost of one tiny
op: what a step would cost if every op did no arithmetic at all.

torch's intra-op threads for the profiled pass: ``--threads`` (default 1, said in the
output); the thread comparison sets 1 and then ``torch.get_num_threads()`` at start (the
process default, normally one per core) around each training pass.
"""

from __future__ import annotations

import argparse
import functools
import sys
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

T0 = time.perf_counter()
import torch  # noqa: E402

T_TORCH = time.perf_counter() - T0
DEFAULT_THREADS = torch.get_num_threads()
T1 = time.perf_counter()
import losslab.report.build  # noqa: E402, F401
import losslab.study.runner  # noqa: E402, F401

T_LOSSLAB = time.perf_counter() - T1

ROOT = Path(__file__).resolve().parents[1]
STUDIES = {
    "seed-1d": "examples/seed-1d.toml",
    "families-ring8": "examples/families-ring8.toml",
    "classification": "examples/classification.toml",
}

# section -> (module, attribute path) of the functions timed under it
SECTIONS = {
    "optimiser": [("losslab.train.optim", "EnsembleOptimizer.step")],
    "autograd (backward, penalty grads)": [("torch.autograd", "grad"),
                                           ("torch.autograd", "backward")],
    "recorder": [("losslab.train.recorder", "Recorder.record")],
    "divergence checks": [("losslab.train.result", "Divergence.check")],
    "checkpoint save": [("losslab.train.checkpoint", "save")],
    "evaluation: sampling": [
        ("losslab.sampling.langevin", "langevin"),
        ("losslab.sampling.langevin", "annealed_langevin"),
        ("losslab.sampling.diffusion", "ancestral_sample"),
        ("losslab.sampling.flow", "sample_flow"),
    ],
    "evaluation: other": [("losslab.train.evaluate", "SampleEvaluator.evaluate"),
                          ("losslab.train.evaluate", "SampleEvaluator.field_grid")],
    "store writes": [("losslab.study.store", "RunStore.write_members")],
    "figures": [
        ("losslab.report.build", "write_figures"),
        ("losslab.report.build", "write_figures_2d"),
        ("losslab.report.build", "_image_figures"),
        ("losslab.report.build", "_supervised_figures"),
    ],
    "report (summary, html)": [("losslab.report.build", "build_report")],
}
METRIC_PACKAGE = "losslab.metrics"


class Timers:
    """Exclusive wall-clock time per section: a section's time stops while a nested
    section runs."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.stack: list[list] = []  # [name, started]

    def wrap(self, name, fn):
        @functools.wraps(fn)
        def timed(*args, **kwargs):
            now = time.perf_counter()
            if self.stack:
                top = self.stack[-1]
                self.seconds[top[0]] += now - top[1]
            self.stack.append([name, now])
            self.calls[name] += 1
            try:
                return fn(*args, **kwargs)
            finally:
                end = time.perf_counter()
                self.seconds[name] += end - self.stack.pop()[1]
                if self.stack:
                    self.stack[-1][1] = end

        timed.__wrapped_by_profile__ = fn
        return timed


def _patch(timers: Timers) -> list:
    """Wrap every function in SECTIONS (and every public metric) wherever it is bound:
    the defining module and every losslab/torch module that imported it by name."""
    import importlib
    import inspect

    undo = []
    targets = []
    for section, names in SECTIONS.items():
        for module, path in names:
            mod = importlib.import_module(module)
            owner, attr = mod, path
            if "." in path:
                cls, attr = path.split(".")
                owner = getattr(mod, cls)
            if hasattr(owner, attr):
                targets.append((section, owner, attr))
    import losslab.metrics as metrics_pkg

    for info in __import__("pkgutil").iter_modules(metrics_pkg.__path__):
        mod = importlib.import_module(f"{METRIC_PACKAGE}.{info.name}")
        for attr, fn in vars(mod).items():
            if inspect.isfunction(fn) and fn.__module__ == mod.__name__:
                targets.append(("metrics", mod, attr))
    wrapped: dict[int, object] = {}
    for section, owner, attr in targets:
        fn = inspect.getattr_static(owner, attr)
        if id(fn) in wrapped:
            continue
        new = timers.wrap(section, fn)
        wrapped[id(fn)] = new
        setattr(owner, attr, new)
        undo.append((owner, attr, fn))
    # the same functions imported by name into other modules
    for mod in list(sys.modules.values()):
        name = getattr(mod, "__name__", "")
        if not name.startswith("losslab"):
            continue
        for attr, value in list(vars(mod).items()):
            if id(value) in wrapped and value is not wrapped[id(value)]:
                setattr(mod, attr, wrapped[id(value)])
                undo.append((mod, attr, value))
    return undo


def _unpatch(undo: list) -> None:
    for owner, attr, fn in reversed(undo):
        setattr(owner, attr, fn)


def load_config(name: str, steps: int | None, seeds: int | None, eval_every: int | None):
    from losslab.study.config import load_study_config

    full = load_study_config(ROOT / STUDIES[name], None, None, None, None, None)
    config = load_study_config(ROOT / STUDIES[name], seeds, steps, None, None, None)
    # record as often per step as the full run does (a cut run would record every step)
    update = {"record_every": full.train.record_interval}
    if eval_every is not None:
        update["eval_every"] = eval_every
    return config.model_copy(update={"train": config.train.model_copy(update=update)})


def run_profiled(config, out: Path, timers: Timers) -> dict[str, float]:
    """One whole study (in-process), its sections timed; returns wall seconds per phase."""
    from losslab.study.executor import run_in_process
    from losslab.study.runner import _run

    undo = _patch(timers)
    try:
        t = time.perf_counter()
        _run(config, run_in_process, out / "out", out / "losslab.db", False, False, True)
        total = time.perf_counter() - t
    finally:
        _unpatch(undo)
    return {"total": total}


def train_all(tasks) -> float:
    from losslab.train import train

    t = time.perf_counter()
    for task in tasks:
        train(task)
    return time.perf_counter() - t


def count_ops(tasks, steps: int) -> tuple[int, int]:
    """(aten ops, training steps) for ``steps`` steps of each task, no evaluation."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        n = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            Count.n += 1
            return func(*args, **(kwargs or {}))

    # set-up, the first and last evaluations and one step; then ``steps`` steps: the
    # difference is ``steps - 1`` training steps
    from losslab.train.evaluate import SampleEvaluator

    counts = []
    evaluate, SampleEvaluator.evaluate = SampleEvaluator.evaluate, lambda *a, **k: None
    try:
        for n in (1, steps):
            Count.n = 0
            with Count():
                try:
                    train_all([replace(t, steps=n, eval_every=10**9) for t in tasks])
                except Exception:  # noqa: BLE001 - no evaluation ran: results cannot be built
                    pass
            counts.append(Count.n)
    finally:
        SampleEvaluator.evaluate = evaluate
    return max(0, counts[1] - counts[0]), (steps - 1) * len(tasks)


def tiny_op_seconds(repeats: int = 20000) -> float:
    a, b = torch.ones(4), torch.ones(4)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(repeats):
            torch.add(a, b)
        best = min(best, (time.perf_counter() - t) / repeats)
    return best


def table(rows: list[tuple[str, float]], total: float) -> str:
    lines = [f"  {'item':42s} {'seconds':>9s} {'%':>6s}"]
    for name, s in rows:
        lines.append(f"  {name:42s} {s:9.2f} {100 * s / total:6.1f}")
    lines.append(f"  {'total (wall)':42s} {total:9.2f} {100.0:6.1f}")
    return "\n".join(lines)


def profile_one(name: str, args, tmp: Path) -> None:
    from losslab.study.planner import plan_ensembles, plan_members
    from losslab.threads import study_threads

    config = load_config(name, args.steps, args.seeds, args.eval_every)
    tasks = plan_ensembles(config, plan_members(config))
    policy = study_threads(tasks)
    print(f"\n== {name}: {config.study.seeds} seeds x {len(config.losses)} losses x "
          f"{len(config.datasets)} datasets, {config.train.steps} steps, eval every "
          f"{config.train.eval_every}; {len(tasks)} ensembles "
          f"(sizes {[len(t.members) for t in tasks]}); the policy would pick "
          f"{policy.torch} thread(s): {policy.reason}", flush=True)

    torch.set_num_threads(args.threads)
    timers = Timers()
    t = time.perf_counter()
    out = tmp / name
    phases = run_profiled(config, out, timers)
    total = phases["total"]
    rest = total - sum(timers.seconds.values())
    ops, steps = count_ops(tasks, args.op_steps)
    per_op = tiny_op_seconds()
    train_steps = sum(t.steps for t in tasks)
    overhead = ops / max(1, steps) * train_steps * per_op
    rows = sorted(timers.seconds.items(), key=lambda kv: -kv[1])
    rows.append(("training: forward, losses, step Python (rest)", rest))
    print(f"profiled pass: torch.set_num_threads({args.threads}); "
          f"{time.perf_counter() - t:.1f} s")
    print(table(rows, total))
    print(f"  per-op overhead: {ops / max(1, steps):.0f} aten ops per ensemble step x "
          f"{per_op * 1e6:.1f} us per tiny op x {train_steps} ensemble steps = "
          f"{overhead:.2f} s ({100 * overhead / total:.0f}% of the total; part of the "
          "training rows above)")

    if args.no_compare:
        return
    times = {1: [], DEFAULT_THREADS: []}
    short = [replace(t, steps=min(t.steps, args.compare_steps)) for t in tasks]
    for _ in range(args.repeats):
        for n in times:
            torch.set_num_threads(n)
            times[n].append(train_all(short))
    one, default = min(times[1]), min(times[DEFAULT_THREADS])
    print(f"training only ({args.compare_steps} steps), best of {args.repeats}, interleaved: "
          f"1 thread {one:.2f} s, "
          f"{DEFAULT_THREADS} threads (torch default) {default:.2f} s: "
          f"default / 1 thread = {default / one:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--studies", default=",".join(STUDIES),
                    help=f"comma-separated, of {', '.join(STUDIES)}")
    ap.add_argument("--steps", type=int, default=300, help="train.steps (default 300)")
    ap.add_argument("--seeds", type=int, default=2, help="study.seeds (default 2)")
    ap.add_argument("--eval-every", type=int, help="train.eval_every (default: the config's)")
    ap.add_argument("--threads", type=int, default=1, help="threads of the profiled pass")
    ap.add_argument("--op-steps", type=int, default=10, help="steps whose ops are counted")
    ap.add_argument("--repeats", type=int, default=1, help="thread comparison repeats")
    ap.add_argument("--no-compare", action="store_true", help="skip the thread comparison")
    ap.add_argument("--compare-steps", type=int, default=100,
                    help="steps of the thread comparison's training (default 100)")
    args = ap.parse_args()
    print(f"torch {torch.__version__}, default threads {DEFAULT_THREADS}; start-up: "
          f"import torch {T_TORCH:.2f} s, import losslab (runner, report) {T_LOSSLAB:.2f} s")
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for name in args.studies.split(","):
            profile_one(name.strip(), args, Path(tmp))


if __name__ == "__main__":
    main()
