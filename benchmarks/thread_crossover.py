"""Where a second torch thread starts to pay (the threshold of ``losslab.threads``).

For ensemble MLP layers of several sizes (members x rows x width, the shapes
``baddbmm`` sees in training steps and in checkpoint evaluation), times forward +
backward of two layers with one thread and with two, interleaved in one run, best of
``--repeats``, and prints the ratio. Run it on an idle machine to find the crossover,
and with ``--busy 1`` (a background process spinning one core) to see what a second
thread costs when a core is taken.

    python benchmarks/thread_crossover.py
    python benchmarks/thread_crossover.py --busy 1
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import time

import torch

#: (members, rows, width): rows are a batch in training, eval samples in evaluation
SIZES = [
    (1, 64, 32),      # one member, seed-1d width
    (8, 64, 32),
    (48, 64, 32),     # seed-1d's ensemble: 3.1e6 multiply-adds per matmul
    (5, 128, 128),    # families-ring8's training
    (1, 2500, 64),
    (20, 128, 128),
    (1, 2500, 128),   # one member's evaluation, families-ring8 width
    (10, 100, 400),   # PacGAN's generator, 10 seeds
    (5, 2500, 128),   # five members' evaluation
]


def spin(stop) -> None:
    x = 0
    while not stop.is_set():
        for _ in range(10000):
            x += 1


def step_seconds(m: int, n: int, w: int, threads: int, min_time: float) -> float:
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(m, n, w, generator=g)
    w1 = torch.randn(m, w, w, generator=g, requires_grad=True)
    w2 = torch.randn(m, w, w, generator=g, requires_grad=True)
    b = torch.zeros(m, 1, w, requires_grad=True)

    def once() -> None:
        h = torch.relu(torch.baddbmm(b, x, w1))
        torch.baddbmm(b, h, w2).square().sum().backward()

    once()
    count, start = 0, time.perf_counter()
    while True:
        once()
        count += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--min-time", type=float, default=0.3, help="seconds per timing")
    ap.add_argument("--busy", type=int, default=0, help="background processes spinning")
    args = ap.parse_args()
    stop = mp.Event()
    spinners = [mp.Process(target=spin, args=(stop,), daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    try:
        print(f"torch {torch.__version__}, {args.busy} busy background process(es); "
              f"best of {args.repeats}, 1 and 2 threads interleaved")
        print(f"{'members x rows x width':>24s} {'MACs/matmul':>12s} {'1 thread ms':>12s} "
              f"{'2 threads ms':>13s} {'2 / 1':>7s}")
        for m, n, w in SIZES:
            best = {1: float("inf"), 2: float("inf")}
            for _ in range(args.repeats):
                for t in (1, 2):
                    best[t] = min(best[t], step_seconds(m, n, w, t, args.min_time))
            print(f"{f'{m} x {n} x {w}':>24s} {m * n * w * w:12.1e} {best[1] * 1e3:12.3f} "
                  f"{best[2] * 1e3:13.3f} {best[2] / best[1]:7.2f}")
    finally:
        stop.set()
        for p in spinners:
            p.join(5)


if __name__ == "__main__":
    main()
