r"""The Arjovsky & Bottou (2017) vanishing-gradient figure as a reproduction.

Protocol (their Figs. 2 and 3): train a generator for 1, 10 and 25 epochs, freeze
it, train a fresh discriminator against it for 4,000 iterations and log the norm of
the generator's gradient under both generator costs,

.. math::

    \text{minimax: } \|\nabla_\theta\, \mathbb{E}_z \log(1 - D(G_\theta(z)))\|, \qquad
    \text{-log D: } \|\nabla_\theta\, -\mathbb{E}_z \log D(G_\theta(z))\|,

against discriminator iterations on a log scale. Published shape: the minimax norm
falls by orders of magnitude (up to about 5) as the discriminator nears optimality,
faster for older generators; the -log D norm does not vanish but grows and turns
noisy. The probe itself is :func:`losslab.study.probe.run_probe`; this module writes
its config, reads its summary and compares the shape.

Per (age, cost) the summary gives, per seed, the norm at the first and the last
recorded iteration and ``orders_fallen`` :math:`= \log_{10}(\max_t g_t / g_T)`; the
per-seed peak is therefore :math:`g_T \cdot 10^{\text{orders}}`. Norms are
geometric means over seeds, orders fallen are mean +- standard error over seeds.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

NAME = "arjovsky-bottou-vanishing"
SOURCE = (
    "Arjovsky, Bottou (2017). Towards principled methods for training generative "
    "adversarial networks. ICLR. Figures 2 (minimax cost) and 3 (-log D cost)."
)
CITES = "Arjovsky & Bottou 2017 (ICLR) Figs. 2-3"
PAPER_D_ITERS = 4000
PAPER_AGES = (1, 10, 25)  # epochs of DCGAN training on LSUN bedrooms
DEFAULT_OLDEST = 2500  # generator steps of the oldest age (--steps)
DEFAULT_SEEDS = 3
SUBSTITUTE = (
    "substitute: the paper's DCGAN on LSUN bedrooms (not downloadable here) is replaced by "
    "MLPs (G: 16 -> 128 -> 128 -> 64, D: 64 -> 128 -> 128 -> 1, leaky ReLU) on scikit-learn's "
    "bundled 8x8 digits (64-D images; the 16-D latent keeps the generator's support a "
    "low-dimensional manifold, the paper's premise), trained with the non-saturating "
    "loss; generator ages in the paper's 1 : 10 : 25 ratio of steps instead of epochs"
)
COST_LABELS = {"minimax-bce": "minimax log(1-D(G(z)))", "nonsaturating-bce": "-log D(G(z))"}
PUBLISHED = {
    "minimax-bce": "the gradient norm falls by several orders of magnitude (the paper: up to "
    "about 5) within 4,000 discriminator iterations, faster for older generators",
    "nonsaturating-bce": "the gradient norm does not vanish: it grows and becomes noisy "
    "(large variance) as the discriminator improves",
}
# the computed verdict: mean orders fallen from the peak, for every generator age
MINIMAX_AT_LEAST = 2.0
NONSATURATING_BELOW = 1.0

_CONFIG = """
[study]
name = "{name}"
description = "Arjovsky & Bottou 2017, Figs. 2-3, on the 8x8 digits with MLPs"
seeds = {seeds}

[data]
name = "digits-images"

[model]
latent_dim = 16
generator = {{ hidden = [128, 128], activation = "relu" }}
discriminator = {{ hidden = [128, 128], activation = "leaky_relu" }}

[train]
steps = {steps}
batch_size = 64
eval_every = {steps}
eval_samples = 100  # the probe reads no metrics; the fewest samples the config takes

[[losses]]
name = "nonsaturating-bce"
"""


def config_text(oldest: int, seeds: int = DEFAULT_SEEDS) -> str:
    """The study config whose generator the probe trains (to ``oldest`` steps at most)."""
    return _CONFIG.format(name=NAME, seeds=seeds, steps=max(oldest, 1))


def probe_ages(oldest: int) -> list[int]:
    """Generator ages in the paper's 1 : 10 : 25 ratio, the oldest being ``oldest`` steps
    (2500 -> 100, 1000, 2500); repeated ages of a tiny ``oldest`` are kept once."""
    return sorted({round(oldest * a / PAPER_AGES[-1]) for a in PAPER_AGES})


def _finite(values: list[float | None]) -> np.ndarray:
    a = np.asarray([v for v in values if v is not None], dtype=float)
    return a[np.isfinite(a)]


def _geometric_mean(values: np.ndarray) -> float:
    values = values[values > 0]
    return float(10 ** np.mean(np.log10(values))) if values.size else float("nan")


def shape_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (age, cost): the norm at the first iteration, at the per-seed peak and at the
    last iteration (geometric means over seeds), and orders fallen (mean, SE)."""
    from losslab.study.reproduce import mean_se  # (reproduce imports this module)

    rows = []
    for r in results:
        pairs = [
            (end, of)
            for end, of in zip(r["end"], r["orders_fallen"], strict=True)
            if end is not None and of is not None
        ]
        peaks = np.asarray([end * 10**of for end, of in pairs], dtype=float)
        rows.append(
            {
                "age": r["generator_steps"],
                "cost": r["cost"],
                "first": _geometric_mean(_finite(r["start"])),
                "peak": _geometric_mean(peaks),
                "last": _geometric_mean(_finite(r["end"])),
                "orders": mean_se(list(_finite(r["orders_fallen"]))),
                "n": len(pairs),
            }
        )
    return rows


def shape_verdict(cost: str, results: list[dict[str, Any]]) -> tuple[bool | None, str]:
    """Whether ``cost``'s curves have the published shape: minimax -- mean orders fallen
    from the peak >= 2 for every generator age; -log D -- < 1 for every age. ``None``
    when some age has no finite curve."""
    means = {r["age"]: r["orders"][0] for r in shape_rows(results) if r["cost"] == cost}
    if cost == "minimax-bce":
        rule, ok = f"fallen >= {MINIMAX_AT_LEAST:g} orders", lambda m: m >= MINIMAX_AT_LEAST
    else:
        rule, ok = f"fallen < {NONSATURATING_BELOW:g} order", lambda m: m < NONSATURATING_BELOW
    ours = ", ".join(f"{m:.2f} after {age:,} steps" for age, m in means.items())
    if not means or any(not math.isfinite(m) for m in means.values()):
        return None, f"undetermined (needs {rule} for every age; ours: {ours or 'none'})"
    matches = all(ok(m) for m in means.values())
    verdict = "matches" if matches else "does not match"
    return matches, f"{verdict} (threshold: mean {rule} from the peak for every age; ours: {ours})"


def format_probe_table(summary: dict[str, Any], out: str, oldest: int) -> str:
    """Ours (per age and cost) beside the published shape, with the computed verdicts."""
    results = summary["results"]
    ages = sorted({r["generator_steps"] for r in results})
    seeds = summary["config"]["study"]["seeds"]
    d_iters = summary["d_iters"]
    lines = [
        f"{NAME}: generator gradient norm under both costs against discriminator "
        f"iterations, generator frozen, {seeds} seeds",
        SUBSTITUTE,
        f"budget: generators after {', '.join(f'{a:,}' for a in ages)} steps (oldest "
        f"{oldest:,}; the paper: {', '.join(map(str, PAPER_AGES))} epochs), {d_iters:,} "
        f"discriminator iterations of the paper's {PAPER_D_ITERS:,}"
        + (" -- cut for time" if d_iters < PAPER_D_ITERS else ""),
        "norms: geometric mean over seeds; orders fallen = log10(peak / last), mean +- SE",
        f"{'G age':>7s} {'cost':24s} {'norm at it 1':>12s} {'peak':>10s} {'last':>10s} "
        f"{'orders fallen':>17s}",
    ]
    for r in shape_rows(results):
        om, ose = r["orders"]
        lines.append(
            f"{r['age']:>7,} {COST_LABELS[r['cost']]:24s} {r['first']:>12.3g} {r['peak']:>10.3g} "
            f"{r['last']:>10.3g} {om:>8.2f} +- {ose:.2f}"
        )
    lines.append("published shape:")
    for cost, text in PUBLISHED.items():
        lines.append(f"  {COST_LABELS[cost]}: {text}")
    lines.append("our shape:")
    for cost in PUBLISHED:
        lines.append(f"  {COST_LABELS[cost]}: {shape_verdict(cost, results)[1]}")
    lines.append(f"figure: {out}/{summary['figure']}  numbers: {out}/summary.json")
    lines.append(f"source: {SOURCE}")
    return "\n".join(lines)
