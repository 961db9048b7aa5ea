"""How long ``losslab recommend`` takes to load and profile a large CSV (issue 14): a
generated 3.5M-row x 7-column file (about 200 MB: six float features and an integer
class label), never committed.

    python benchmarks/profile_scale.py                 # 3.5M rows, classify
    python benchmarks/profile_scale.py --rows 500000 --task regress

Prints the file size, the load time, the profile time and each profile step's rows
(the profile subsamples its superlinear steps to stated sizes; see losslab.data.profile).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def write_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """Three overlapping Gaussian classes in six features, written in blocks."""
    rng = np.random.default_rng(seed)
    with path.open("w") as f:
        f.write("f0,f1,f2,f3,f4,f5,label\n")
        for start in range(0, rows, 500_000):
            n = min(500_000, rows - start)
            y = rng.integers(0, 3, size=n)
            x = rng.normal(size=(n, 6)) + y[:, None] * 0.8
            block = np.column_stack([x, y])
            np.savetxt(f, block, fmt=["%.5f"] * 6 + ["%d"], delimiter=",")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=3_500_000)
    parser.add_argument("--task", choices=("classify", "regress", "generate"), default="classify")
    args = parser.parse_args()

    from losslab.data.files import load
    from losslab.data.profile import profile

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = write_csv(Path(tmp) / "big.csv", args.rows)
        print(f"wrote {path.stat().st_size / 1e6:.0f} MB ({args.rows:,} rows x 7) in "
              f"{time.perf_counter() - t0:.1f} s")
        target = {"classify": "label", "regress": "f0", "generate": None}[args.task]
        t0 = time.perf_counter()
        table = load(str(path), args.task, target=target)
        loaded = time.perf_counter() - t0
        t0 = time.perf_counter()
        prof = profile(table, args.task, seed=0)
        profiled = time.perf_counter() - t0
        print(f"load {loaded:.1f} s, profile {profiled:.1f} s ({args.task})")
        for step, rows in prof.sample_sizes.items():
            print(f"  {step}: {rows:,} rows")


if __name__ == "__main__":
    main()
