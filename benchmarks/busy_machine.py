"""The thread policy on a busy machine (issue 15): a short study's training with the
policy's threads, with one thread and with torch's default (one per core), interleaved,
while a background process keeps one core busy (``--busy 0``: no background load).

    python benchmarks/busy_machine.py                         # seed-1d, 300 steps, 2 seeds
    python benchmarks/busy_machine.py --study families-ring8 --steps 100 --seeds 1
    python benchmarks/busy_machine.py --busy 0                # as the machine is
    python benchmarks/busy_machine.py --steps 1000 --busy-after 5   # work starts mid-study

Prints each setting's best time and its ratio to the better of one thread and the
default: the policy should be within 10% of it (ratio <= 1.10). The policy is applied as
``losslab run`` applies it: each ensemble trained by the executor's ``run_task`` with
the rule's choice for its work and the load of the moment, checkpoint evaluation
choosing again for its own work (``threads.set_automatic``); a fixed count holds
throughout.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).parent))


def spin(stop) -> None:  # a core kept busy with pure Python until told to stop
    x = 0
    while not stop.is_set():
        for _ in range(10000):
            x += 1


def main() -> None:
    from profile_study import STUDIES, load_config

    from losslab.study.executor import run_task
    from losslab.study.planner import plan_ensembles, plan_members
    from losslab.threads import available_cores, set_automatic, study_threads

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--study", default="seed-1d", choices=list(STUDIES))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--busy", type=int, default=1, help="background processes spinning")
    ap.add_argument("--busy-after", type=float, default=None, metavar="S",
                    help="start the background processes S seconds into each timed pass "
                         "(other work that starts while a study runs), not before")
    args = ap.parse_args()

    default = torch.get_num_threads()
    config = load_config(args.study, args.steps, args.seeds, None)
    tasks = plan_ensembles(config, plan_members(config))
    stop = mp.Event()
    early = 0 if args.busy_after is not None else args.busy
    spinners = [mp.Process(target=spin, args=(stop,), daemon=True) for _ in range(early)]
    for p in spinners:
        p.start()

    def timed_pass() -> float:
        started = time.perf_counter()
        ctx = mp.get_context("spawn")
        late_stop, late = ctx.Event(), []

        def begin() -> None:
            for _ in range(args.busy):
                late.append(ctx.Process(target=spin, args=(late_stop,), daemon=True))
                late[-1].start()

        timer = threading.Timer(args.busy_after, begin) if args.busy_after is not None \
            else None
        if timer is not None:
            timer.start()
        try:
            for task in tasks:  # as the in-process executor trains them
                run_task(task)
        finally:
            if timer is not None:
                timer.cancel()
                timer.join()
            late_stop.set()
            for p in late:
                p.join(5)
        return time.perf_counter() - started

    try:
        time.sleep(1.0 if early else 0.0)
        policy = study_threads(tasks)  # decided with the background load running
        settings = {"policy": policy.torch, "1 thread": 1, f"default ({default})": default}
        best = {name: float("inf") for name in settings}
        names = list(settings)
        for r in range(args.repeats):
            # each repeat starts with another setting: no setting always runs first
            for name in names[r % len(names):] + names[:r % len(names)]:
                n = settings[name]
                torch.set_num_threads(n)
                # as `losslab run` does: under the policy each ensemble and each
                # checkpoint evaluation choose again; a fixed count holds throughout
                set_automatic(available_cores() if name == "policy" else None)
                best[name] = min(best[name], timed_pass())
    finally:
        set_automatic(None)
        stop.set()
        for p in spinners:
            p.join(5)
    better = min(best["1 thread"], best[f"default ({default})"])
    when = f" from {args.busy_after:g} s into each pass" if args.busy_after is not None else ""
    print(f"{args.study}, {args.steps} steps, {args.seeds} seeds, {args.busy} busy "
          f"background process(es){when}; policy: {policy.torch} thread(s) ({policy.reason})")
    for name, seconds in best.items():
        print(f"  {name:14s} {seconds:8.2f} s   / better of 1 and default = "
              f"{seconds / better:.2f}")


if __name__ == "__main__":
    main()
