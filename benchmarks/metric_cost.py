"""Cost of the N-D sample metrics on ring8 data, measured side by side.

For each n, draws n generated and n reference points from ``ring8`` (two
seeds) and times every metric on that pair. Each repeat runs the metrics in a
rotated order, and the median over ``--repeats`` is reported, because this
machine is shared and noisy; the ratio is to the cheapest metric at that n.

``exact_w1`` runs as ``sample_metrics`` calls it, on the first 1,000 points of
each set; ``exact_w1 (all)`` runs on every point, up to ``--w1-all-max``
points (the transport solve grows about cubically). ``sample_metrics`` is the
whole per-member evaluation (all N-D keys plus the mode keys).

    python benchmarks/metric_cost.py --threads 2 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch

from losslab.data import make_dataset
from losslab.metrics import (
    energy_distance_nd,
    exact_w1,
    mmd_rbf,
    mode_coverage,
    sample_metrics,
    sliced_wasserstein,
)

SIZES = (500, 1000, 2500, 5000, 10000)


def blas_threads() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # comes with scikit-learn; only the report line needs it
        return "unknown"
    pools = threadpool_info()
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools) or "none"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--w1-all-max", type=int, default=2500)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    ring = make_dataset({"name": "ring8"})
    centers, std = ring.mode_centers(), ring.mode_std()
    print(
        f"ring8 (2-D), {args.repeats} repeats, median seconds; torch threads "
        f"{torch.get_num_threads()}, BLAS/OpenMP threads: {blas_threads()}, "
        f"os.cpu_count {os.cpu_count()}, numpy {np.__version__}, torch {torch.__version__}"
    )
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"(numpy/scipy/POT code, pairwise kernels on one core; load average {load})")

    metrics: dict[str, Callable[[np.ndarray, np.ndarray], object]] = {
        "exact_w1": lambda x, y: exact_w1(x, y),
        "exact_w1 (all)": lambda x, y: exact_w1(x, y, n=len(x)),
        "sliced_w1": lambda x, y: sliced_wasserstein(x, y),
        "mmd": lambda x, y: mmd_rbf(x, y),
        "energy": lambda x, y: energy_distance_nd(x, y),
        "mode_coverage": lambda x, y: mode_coverage(x, centers, std),
        "sample_metrics": lambda x, y: sample_metrics(x, y, centers, std),
    }
    names = list(metrics)
    width = max(len(name) for name in names)
    for n in args.sizes:
        x = ring.sample(n, np.random.default_rng(1))
        y = ring.sample(n, np.random.default_rng(2))
        active = [m for m in names if m != "exact_w1 (all)" or n <= args.w1_all_max]
        times: dict[str, list[float]] = {m: [] for m in active}
        for repeat in range(args.repeats):
            shift = repeat % len(active)
            for name in active[shift:] + active[:shift]:
                t0 = time.perf_counter()
                metrics[name](x, y)
                times[name].append(time.perf_counter() - t0)
        medians = {m: statistics.median(ts) for m, ts in times.items()}
        cheapest = min(medians.values())
        print(f"\nn = {n} vs {n}")
        for name in names:
            if name not in medians:
                print(f"  {name:<{width}}  skipped (n > --w1-all-max {args.w1_all_max})")
                continue
            ratio = medians[name] / cheapest
            print(f"  {name:<{width}}  {medians[name]:9.4f} s  {ratio:8.1f}x")


if __name__ == "__main__":
    main()
