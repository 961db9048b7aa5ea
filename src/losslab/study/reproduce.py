"""``losslab reproduce``: published experiments rerun on losslab, printed beside the paper.

Each entry carries the paper's protocol as a study config, the published row,
and the paper's training budget, so the output can say by how much the budget
was cut. Numbers are reported as the paper reports them (mean +- standard error
over seeds); whatever we measure is what we print.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import BadInput
from losslab.metrics.baselines import SCORED
from losslab.outputs import check_out_dir

PACGAN = (
    "Lin, Khetan, Fanti, Oh (2018). PacGAN: The power of two samples in generative "
    "adversarial networks. NeurIPS. Table 1, row 'GAN'."
)

# PacGAN's protocol (their Appendix, following VEEGAN's): 100,000 training points;
# G: z in R^2 -> 4 x [400, BatchNorm, ReLU] -> 2; D: 3 maxout layers of 200 units
# with 5 pieces -> linear; weights N(0, 0.02^2); Adam lr 1e-4, beta1 0.8; batch 100;
# non-saturating loss; 2,500 evaluation samples; 10 seeds; 400 epochs.
_PROTOCOL = """
[study]
name = "{name}"
description = "PacGAN's {what} experiment, plain (unpacked) GAN"
seeds = 10

[data]
{data}

[model]
latent_dim = 2
generator = {{ hidden = [400, 400, 400, 400], activation = "relu", batch_norm = true, \
init = "normal", init_std = 0.02 }}
discriminator = {{ hidden = [200, 200, 200], maxout = 5, init = "normal", init_std = 0.02 }}

[train]
steps = {steps}
batch_size = 100
eval_every = {eval_every}
eval_samples = 2500
data_points = 100000

[optimizer]
name = "adam"
lr = 1e-4
betas = [0.8, 0.999]

[[losses]]
name = "nonsaturating-bce"
"""


@dataclass(frozen=True)
class Reproduction:
    name: str
    what: str
    data: str
    paper: dict[str, tuple[float, float]]  # metric -> (mean, standard error)
    paper_steps: int
    source: str

    def config_text(self, steps: int, eval_every: int | None = None) -> str:
        """The protocol at ``steps`` generator steps; the metrics are measured every
        ``eval_every`` steps (default: 20 checkpoints), which draws the plateau curve."""
        return _PROTOCOL.format(
            name=self.name, what=self.what, data=self.data, steps=steps,
            eval_every=eval_every or max(1, steps // 20),
        )


REPRODUCTIONS = {
    r.name: r
    for r in (
        Reproduction(
            "pacgan-ring", "2-D ring of 8",
            'name = "ring8"\nradius = 1.0\nstd = 0.01',
            {"modes": (6.3, 0.5), "high_quality": (98.2, 0.2), "reverse_kl": (0.45, 0.09)},
            400 * 100_000 // 100, PACGAN,
        ),
        Reproduction(
            "pacgan-grid", "2-D grid of 25",
            'name = "grid25"\nstd = 0.05',
            {"modes": (17.3, 0.8), "high_quality": (94.8, 0.7), "reverse_kl": (0.70, 0.07)},
            400 * 100_000 // 100, PACGAN,
        ),
    )
}


def get_reproduction(name: str) -> Reproduction:
    if name not in REPRODUCTIONS:
        raise BadInput(f"unknown reproduction {name!r} (known: {', '.join(REPRODUCTIONS)})")
    return REPRODUCTIONS[name]


def mean_se(values: list[float]) -> tuple[float, float]:
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    se = float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else float("nan")
    return float(a.mean()), se


def compare_rows(summary: dict[str, Any], rep: Reproduction) -> list[dict[str, Any]]:
    """Ours beside the paper's, per metric (high quality in percent, as the paper)."""
    ok = [m for m in summary["members"] if m["status"] in SCORED]
    rows = []
    for metric, (p_mean, p_se) in rep.paper.items():
        scale = 100.0 if metric == "high_quality" else 1.0
        ours = mean_se([m["metrics"].get(metric) * scale for m in ok if m["metrics"].get(metric)
                        is not None])
        rows.append({"metric": metric, "ours": ours, "paper": (p_mean, p_se), "n": len(ok)})
    return rows


def format_table(rows: list[dict[str, Any]], rep: Reproduction, steps: int, seeds: int) -> str:
    lines = [
        f"{rep.name}: {rep.what}, plain GAN (non-saturating loss), {seeds} seeds",
        f"budget: {steps:,} generator steps of the paper's {rep.paper_steps:,} "
        f"({100 * steps / rep.paper_steps:.2g}% of 400 epochs)"
        + (" -- cut for time" if steps < rep.paper_steps else ""),
        f"{'metric':14s} {'ours (mean +- SE)':>22s} {'paper (mean +- SE)':>22s}",
    ]
    for r in rows:
        (om, ose), (pm, pse) = r["ours"], r["paper"]
        lines.append(f"{r['metric']:14s} {om:>13.3g} +- {ose:<6.2g} {pm:>13.3g} +- {pse:<6.2g}")
    lines.append(f"source: {rep.source}")
    return "\n".join(lines)


def run_reproduction(
    name: str, out: str | Path, steps: int, seeds: int | None, db: str | Path | None,
    progress: bool = True, overwrite: bool = False, eval_every: int | None = None,
) -> str:
    from losslab.study.runner import run_study

    rep = get_reproduction(name)
    out = check_out_dir(out)
    config_path = out / f"{name}.toml"
    if config_path.exists() and not config_path.is_file():
        raise BadInput(f"{config_path}: is in the way (not a file)")
    config_path.write_text(rep.config_text(steps, eval_every))
    tomllib.loads(config_path.read_text())  # the written protocol is valid TOML
    result = run_study(
        config_path, out=out, db=db, seeds=seeds, progress=progress, overwrite=overwrite
    )
    n_seeds = result.summary["config"]["study"]["seeds"]
    table = format_table(compare_rows(result.summary, rep), rep, steps, n_seeds)
    (out / "reproduction.txt").write_text(table + "\n")
    return table
