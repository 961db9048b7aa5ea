"""Does ``losslab recommend`` keep its --budget on a busy machine, start-up included?

Runs the command line as a user would (a fresh process per data set, so interpreter
start-up and imports count), once on the machine as it is and once while a background
process keeps one core busy (a pure-Python spin loop), and prints wall time / budget
for each: the target is at most 1.2 (issue 17). Data sets: iris, wine, breast cancer
(classify), diabetes (regress), two moons and a ring of 8 (generate), written as CSV.

    python benchmarks/race_budget.py                 # budget 60 s, every data set
    python benchmarks/race_budget.py --budget 90 --only ring8,moons

Threads: recommend pins torch to one thread itself (losslab.threads); nothing is set here.
Run it alone: other heavy jobs are part of the load it measures.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine, make_moons


def _spin(stop: mp.Event) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def datasets(folder: Path) -> dict[str, tuple[Path, list[str]]]:
    out = {}
    for name, loader in (("iris", load_iris), ("wine", load_wine),
                         ("breast-cancer", load_breast_cancer)):
        path = folder / f"{name}.csv"
        loader(as_frame=True).frame.to_csv(path, index=False)
        out[name] = (path, ["--task", "classify", "--target", "target"])
    path = folder / "diabetes.csv"
    load_diabetes(as_frame=True, scaled=False).frame.to_csv(path, index=False)
    out["diabetes"] = (path, ["--task", "regress", "--target", "target"])
    x, _ = make_moons(2000, noise=0.05, random_state=0)
    path = folder / "moons.csv"
    pd.DataFrame(x, columns=["a", "b"]).to_csv(path, index=False)
    out["moons"] = (path, ["--task", "generate"])
    rng = np.random.default_rng(0)
    angles = 2 * np.pi * rng.integers(0, 8, 2000) / 8
    ring = np.column_stack([np.cos(angles), np.sin(angles)]) + 0.02 * rng.standard_normal((2000, 2))
    path = folder / "ring8.csv"
    pd.DataFrame(ring, columns=["a", "b"]).to_csv(path, index=False)
    out["ring8"] = (path, ["--task", "generate"])
    return out


def run_once(path: Path, args: list[str], budget: float, out: Path) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "losslab.cli", "recommend", str(path), *args, "--budget",
         str(budget), "--out", str(out), "--quiet"],
        capture_output=True, text=True,
    )
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        return wall, "failed: " + done.stderr.strip().splitlines()[-1]
    verdict = next((ln for ln in done.stdout.splitlines()
                    if re.match(r"(Recommended|Tie|No recommendation)", ln)), "?")
    return wall, verdict[:90]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--only", help="comma-separated data sets")
    parser.add_argument("--conditions", default="as-is,busy", help="as-is, busy or both")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = datasets(folder)
        names = args.only.split(",") if args.only else list(data)
        rows = []
        for condition in args.conditions.split(","):
            stop = mp.Event()
            spinner = mp.Process(target=_spin, args=(stop,)) if condition == "busy" else None
            if spinner is not None:
                spinner.start()
            try:
                for name in names:
                    path, extra = data[name]
                    wall, verdict = run_once(path, extra, args.budget,
                                             folder / f"out-{condition}-{name}")
                    rows.append((condition, name, wall, verdict))
                    print(f"{condition:6s} {name:14s} wall {wall:6.1f} s  "
                          f"ratio {wall / args.budget:4.2f}  {verdict}", flush=True)
            finally:
                if spinner is not None:
                    stop.set()
                    spinner.join()
        ratios = [w / args.budget for _, _, w, _ in rows]
        print(f"\nbudget {args.budget:g} s: worst wall/budget {max(ratios):.2f} "
              f"(target <= 1.20), median {float(np.median(ratios)):.2f}")


if __name__ == "__main__":
    main()
