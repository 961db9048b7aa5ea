"""Whole-study wall time, this commit against an earlier one, side by side in one run.

What a user waits for is the whole study (start-up, training, evaluation, figures,
report), so this times ``losslab run`` as a user runs it, in a fresh process, for
the earlier commit (checked out into a temporary ``git worktree``) and the working
tree, alternately (base, current, base, current, ...: load that comes and goes hits
both alike), and reports the best of ``--repeat`` runs each. It also compares the two
runs' numbers: every member's final metrics, and says whether they are identical.

    python benchmarks/study_wall.py                          # against HEAD~1
    python benchmarks/study_wall.py --base 0ab28fe --repeat 2
    python benchmarks/study_wall.py --only seed-1d --steps seed-1d=600

Studies and their default steps (families-ring8 is cut, the same for both commits):
seed-1d at its own 3,000 steps, families-ring8 at 300, classification at its own.
Threads: neither side is given any setting; each commit's own policy decides (the
earlier commits without one use torch's default), as a user would see.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STUDIES = {"seed-1d": None, "families-ring8": 300, "classification": None}


def run(src: Path, config: Path, out: Path, steps: int | None) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("OMP_NUM_THREADS", None)
    cmd = [sys.executable, "-m", "losslab.cli", "run", str(config), "--out", str(out),
           "--db", str(out.parent / f"{out.name}.db"), "--quiet"]
    if steps is not None:
        cmd += ["--steps", str(steps)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=src.parent)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{src}: {config.name} failed:\n{done.stderr[-2000:]}")
    return wall, json.loads((out / "summary.json").read_text())


def metrics(summary: dict) -> dict[tuple, dict[str, float]]:
    return {(m["loss"], m.get("dataset"), m["seed"]): m.get("metrics", {})
            for m in summary["members"]}


def largest_difference(a: dict, b: dict) -> float:
    worst = 0.0
    for key in set(a) | set(b):
        ma, mb = a.get(key, {}), b.get(key, {})
        for name in set(ma) | set(mb):
            x, y = ma.get(name), mb.get(name)
            if x is None or y is None:
                if x is not y:
                    return math.inf
                continue
            if x != y:
                worst = max(worst, abs(x - y))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="HEAD~1", help="the earlier commit (default HEAD~1)")
    ap.add_argument("--only", help="comma-separated studies")
    ap.add_argument("--repeat", type=int, default=1, help="runs per commit (best is kept)")
    ap.add_argument("--steps", action="append", default=[],
                    help="NAME=STEPS overrides a study's steps (the same for both commits)")
    args = ap.parse_args()
    steps = dict(STUDIES)
    for item in args.steps:
        name, value = item.split("=")
        steps[name] = int(value)
    names = args.only.split(",") if args.only else list(STUDIES)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base = tmp / "base"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(base),
                        args.base], check=True, capture_output=True)
        try:
            print(f"base {args.base} ({base}), current: the working tree ({ROOT})")
            print(f"{'study':16s} {'steps':>6s} {'base s':>8s} {'current s':>10s} "
                  f"{'speed-up':>9s}  numbers")
            for name in names:
                walls: dict[str, list[float]] = {"base": [], "current": []}
                summaries = {}
                for r in range(args.repeat):
                    for side, root in (("base", base), ("current", ROOT)):
                        wall, summary = run(root / "src", root / "examples" / f"{name}.toml",
                                            tmp / f"{side}-{name}-{r}", steps[name])
                        walls[side].append(wall)
                        summaries[side] = summary
                diff = largest_difference(metrics(summaries["base"]),
                                          metrics(summaries["current"]))
                same = "identical" if diff == 0 else f"differ (largest {diff:.3g})"
                b, c = min(walls["base"]), min(walls["current"])
                shown = steps[name] if steps[name] is not None else "own"
                print(f"{name:16s} {shown!s:>6s} {b:8.1f} {c:10.1f} {b / c:8.2f}x  {same}",
                      flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)],
                           capture_output=True)


if __name__ == "__main__":
    main()
