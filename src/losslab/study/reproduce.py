"""``losslab reproduce``: published experiments rerun on losslab, printed beside the paper.

Each entry carries the paper's protocol as a config written into ``--out``, what
the paper published, and the paper's budget, so the output can say by how much
the budget was cut. Numbers are reported as the paper reports them (mean +-
standard error over seeds; a figure's shape as text beside ours); whatever we
measure is what we print. Every entry has one interface: ``run(out, options)``
returns its table, and :func:`run_reproduction` adds where the converged result
is recorded (``docs/reproductions.md#<name>``) and writes ``reproduction.txt``.

Kinds: :class:`StudyReproduction` (a study, metrics against a published table row:
PacGAN) and :class:`ProbeReproduction` (the optimal-discriminator probe against a
published figure: Arjovsky & Bottou 2017, :mod:`losslab.study.reproduce_probe`).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from losslab.errors import BadInput
from losslab.metrics.baselines import SCORED
from losslab.outputs import check_out_dir
from losslab.study import reproduce_probe as ab

RECORDED = "docs/reproductions.md"  # where each converged result is recorded, by name

PACGAN = (
    "Lin, Khetan, Fanti, Oh (2018). PacGAN: The power of two samples in generative "
    "adversarial networks. NeurIPS. Table 1, row 'GAN'."
)
PACGAN_CITES = "PacGAN (Lin et al. 2018) Table 1, row 'GAN'"

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
class RunOptions:
    """The command line's knobs; ``None`` means the entry's default (or not given)."""

    steps: int | None = None
    seeds: int | None = None
    db: str | Path | None = None
    eval_every: int | None = None
    d_iters: int | None = None
    progress: bool = True
    overwrite: bool = False
    resume: bool | None = None  # continue a killed run from its checkpoints (pacgan-*)
    so_far: bool | None = None  # read an unfinished run's checkpoint; train nothing (pacgan-*)


@dataclass(frozen=True)
class Reproduction:
    """A published experiment: what it reproduces (``cites``: paper and figure or table;
    ``what``: the experiment), the full ``source``, the default budget."""

    name: str
    what: str
    cites: str
    source: str
    default_steps: int
    # the command line's options of the other kinds: refused, before anything is written
    not_applicable: ClassVar[tuple[str, ...]] = ()

    @property
    def recorded(self) -> str:
        """Where the converged result is recorded (a docs anchor named as the entry)."""
        return f"{RECORDED}#{self.name}"

    def budget(self) -> str:
        """The default budget, beside the paper's, in words."""
        raise NotImplementedError

    def run(self, out: Path, options: RunOptions) -> str:
        """Rerun into ``out``; return the table printed (also ``reproduction.txt``)."""
        raise NotImplementedError

    def so_far(self, out: Path) -> str:
        """The metrics an unfinished run in ``out`` has measured so far (``--so-far``)."""
        raise NotImplementedError

    def check(self, options: RunOptions) -> None:
        """One-line ``BadInput`` for an option of another kind (``--d-iters`` to PacGAN)."""
        for name in self.not_applicable:
            if getattr(options, name) is not None:
                flag = "--" + name.replace("_", "-")
                raise BadInput(f"{flag}: does not apply to {self.name} ({self.budget()})")


@dataclass(frozen=True)
class StudyReproduction(Reproduction):
    """A study whose metrics are compared with a published table row (PacGAN)."""

    data: str
    paper: dict[str, tuple[float, float]]  # metric -> (mean, standard error)
    paper_steps: int
    not_applicable: ClassVar[tuple[str, ...]] = ("d_iters",)

    def budget(self) -> str:
        return (
            f"default {self.default_steps:,} generator steps (--steps; the paper: "
            f"{self.paper_steps:,}) x 10 seeds"
        )

    def config_text(self, steps: int, eval_every: int | None = None) -> str:
        """The protocol at ``steps`` generator steps; the metrics are measured every
        ``eval_every`` steps (default: 20 checkpoints), which draws the plateau curve."""
        return _PROTOCOL.format(
            name=self.name,
            what=self.what,
            data=self.data,
            steps=steps,
            eval_every=eval_every or max(1, steps // 20),
        )

    def run(self, out: Path, options: RunOptions) -> str:
        from losslab.study.runner import run_study

        steps = options.steps or self.default_steps
        config_path = _write_config(out, self.name, self.config_text(steps, options.eval_every))
        result = run_study(
            config_path,
            out=out,
            db=options.db,
            seeds=options.seeds,
            progress=options.progress,
            overwrite=options.overwrite,
            resume=bool(options.resume),
        )
        n_seeds = result.summary["config"]["study"]["seeds"]
        table = format_table(compare_rows(result.summary, self), self, steps, n_seeds)
        return table + "\n" + self.convergence(out, result.db_path)

    def convergence(self, out: Path, db: Path) -> str:
        """The metrics at every checkpoint (mean +- SE over seeds), the plateau rule of
        :mod:`losslab.report.plateau` per metric, and ``figures/plateau.png``."""
        from losslab.report.exports import open_finished_study

        store, study_id = open_finished_study(out, db)
        try:  # each seed's metrics at its checkpoints, from the run store
            recorded = [store.checkpoints(m["member_id"])
                        for m in sorted(store.members(study_id), key=lambda m: m["seed"])]
        finally:
            store.close()
        return self._curves_text(recorded, out / "figures" / "plateau.png")

    def so_far(self, out: Path) -> str:
        """What an unfinished (running or killed) run in ``out`` has measured: read from
        its ensemble checkpoint (written atomically every 256 steps, so a running run
        can be read), the same curves, plateau verdicts and figure
        (``figures/plateau-so-far.png``) as a finished run prints. Nothing trains and
        nothing of the run is changed."""
        from losslab.train import checkpoint
        from losslab.train.evaluate import member_curves

        found = sorted((out / "checkpoints").glob("ensemble-*.pt"))
        if not found:
            raise BadInput(f"{out}/checkpoints: no checkpoint of an unfinished {self.name} run "
                           f"(a finished run's table is in {out}/reproduction.txt)")
        try:
            state = checkpoint.load(found[0])
            at, values = int(state["step"]), state["evaluator"]
        except Exception as exc:  # noqa: BLE001 - any unreadable file: one line
            raise BadInput(f"{found[0]}: not a readable losslab checkpoint "
                           f"({type(exc).__name__})") from None
        total = _configured_steps(out / f"{self.name}.toml")
        seeds = len(values["values"][0]) if values["values"] else 0
        at_steps = np.array(values["steps"])
        recorded = [{metric: (at_steps, np.array(curve))
                     for metric, curve in member_curves(values["values"], s).items()
                     if metric in self.paper}
                    for s in range(seeds)]
        head = (f"{self.name} so far: {at:,} of {total} generator steps trained, {seeds} seeds, "
                f"read from {found[0]} (continue with --resume)")
        return head + "\n" + self._curves_text(recorded, out / "figures" / "plateau-so-far.png")

    def _curves_text(self, recorded: list[dict[str, Any]], figure_path: Path) -> str:
        """``recorded``: per seed, metric -> (steps, values); the table, verdicts, figure."""
        from losslab.report.plateau import curve_table, plateau, plot_plateau

        curves: dict[str, np.ndarray] = {}
        steps = np.array([], dtype=int)
        for metric in self.paper:
            mine = [c[metric] for c in recorded if metric in c]
            steps = np.unique(np.concatenate([at for at, _ in mine])) if mine else steps
            table = np.full((len(mine), len(steps)), np.nan)  # NaN: a seed that stopped
            for row, (at, values) in zip(table, mine, strict=True):
                row[np.searchsorted(steps, at)] = values
            curves[metric] = table
        scale = {m: 100.0 for m in self.paper if m == "high_quality"}
        lines = ["convergence (rule: losslab.report.plateau; the change between the means of "
                 "the last two quarters of the checkpoints, per seed):"]
        if len(steps) < 2:
            return "\n".join([*lines, "  one checkpoint only: run with --eval-every"])
        for metric, values in curves.items():
            k = scale.get(metric, 1.0)
            r = plateau(steps, values * k, resolution=2 * self.paper[metric][1])
            lines.append(
                f"  {metric:13s} {r['change']:+.3g} +- {r['se']:.2g} from steps "
                f"{r['q3_steps'][0]:,}-{r['q3_steps'][1]:,} to {r['q4_steps'][0]:,}-"
                f"{r['q4_steps'][1]:,}: " + ("plateaued, " if r["plateaued"] else "") + r["by"]
            )
        figure = plot_plateau(
            steps, curves, self.paper, figure_path,
            f"{self.name}: metrics against training steps (PacGAN's protocol, plain GAN)",
            scale,
        )
        lines.append(f"figure: {figure}")
        lines += ["metrics at the checkpoints (mean +- SE over seeds; high_quality in %):"]
        lines += ["  " + line for line in curve_table(steps, curves, scale)]
        return "\n".join(lines)


@dataclass(frozen=True)
class ProbeReproduction(Reproduction):
    """The optimal-discriminator probe (:func:`losslab.study.probe.run_probe`) against a
    published figure's shape; ``--steps`` is the oldest generator age."""

    d_iters: int
    seeds: int
    not_applicable: ClassVar[tuple[str, ...]] = ("db", "eval_every", "resume", "so_far")

    def budget(self) -> str:
        ages = ", ".join(f"{a:,}" for a in ab.probe_ages(self.default_steps))
        return (
            f"default generators after {ages} steps (--steps: the oldest), "
            f"{self.d_iters:,} discriminator iterations (--d-iters; the paper: "
            f"{ab.PAPER_D_ITERS:,}) x {self.seeds} seeds"
        )

    def run(self, out: Path, options: RunOptions) -> str:
        from losslab.study.probe import run_probe

        oldest = options.steps or self.default_steps
        config_path = _write_config(out, self.name, ab.config_text(oldest, self.seeds))
        summary = run_probe(
            config_path,
            out,
            ab.probe_ages(oldest),
            options.d_iters or self.d_iters,
            seeds=options.seeds,
            progress=options.progress,
        )
        return ab.format_probe_table(summary, str(out), oldest)


def _configured_steps(config_path: Path) -> str:
    """``train.steps`` of the protocol written in a run folder, as ``"100,000"``."""
    try:
        return f"{tomllib.loads(config_path.read_text())['train']['steps']:,}"
    except (OSError, KeyError, ValueError, TypeError):
        return "?"


def _write_config(out: Path, name: str, text: str) -> Path:
    config_path = out / f"{name}.toml"
    if config_path.exists() and not config_path.is_file():
        raise BadInput(f"{config_path}: is in the way (not a file)")
    config_path.write_text(text)
    tomllib.loads(config_path.read_text())  # the written protocol is valid TOML
    return config_path


REPRODUCTIONS: dict[str, Reproduction] = {
    r.name: r
    for r in (
        StudyReproduction(
            "pacgan-ring",
            "2-D ring of 8",
            PACGAN_CITES,
            PACGAN,
            1000,
            'name = "ring8"\nradius = 1.0\nstd = 0.01',
            {"modes": (6.3, 0.5), "high_quality": (98.2, 0.2), "reverse_kl": (0.45, 0.09)},
            400 * 100_000 // 100,
        ),
        StudyReproduction(
            "pacgan-grid",
            "2-D grid of 25",
            PACGAN_CITES,
            PACGAN,
            1000,
            'name = "grid25"\nstd = 0.05',
            {"modes": (17.3, 0.8), "high_quality": (94.8, 0.7), "reverse_kl": (0.70, 0.07)},
            400 * 100_000 // 100,
        ),
        ProbeReproduction(
            ab.NAME,
            "vanishing generator gradients, minimax vs -log D cost",
            ab.CITES,
            ab.SOURCE,
            ab.DEFAULT_OLDEST,
            ab.PAPER_D_ITERS,
            ab.DEFAULT_SEEDS,
        ),
    )
}


def get_reproduction(name: str) -> Reproduction:
    if name not in REPRODUCTIONS:
        raise BadInput(f"unknown reproduction {name!r} (known: {', '.join(REPRODUCTIONS)})")
    return REPRODUCTIONS[name]


def format_list() -> str:
    """One line per reproduction: name, what it reproduces, default budget, record."""
    return "\n".join(
        f"{r.name:26s} {r.cites}: {r.what}; {r.budget()}; recorded: {r.recorded}"
        for r in REPRODUCTIONS.values()
    )


def mean_se(values: list[float]) -> tuple[float, float]:
    a = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if a.size == 0:
        return float("nan"), float("nan")
    se = float(a.std(ddof=1) / math.sqrt(a.size)) if a.size > 1 else float("nan")
    return float(a.mean()), se


def compare_rows(summary: dict[str, Any], rep: StudyReproduction) -> list[dict[str, Any]]:
    """Ours beside the paper's, per metric (high quality in percent, as the paper)."""
    ok = [m for m in summary["members"] if m["status"] in SCORED]
    rows = []
    for metric, (p_mean, p_se) in rep.paper.items():
        scale = 100.0 if metric == "high_quality" else 1.0
        ours = mean_se(
            [m["metrics"].get(metric) * scale for m in ok if m["metrics"].get(metric) is not None]
        )
        rows.append({"metric": metric, "ours": ours, "paper": (p_mean, p_se), "n": len(ok)})
    return rows


def format_table(rows: list[dict[str, Any]], rep: StudyReproduction, steps: int, seeds: int) -> str:
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
    name: str,
    out: str | Path,
    steps: int | None = None,
    seeds: int | None = None,
    db: str | Path | None = None,
    progress: bool = True,
    overwrite: bool = False,
    eval_every: int | None = None,
    d_iters: int | None = None,
    resume: bool | None = None,
    so_far: bool | None = None,
) -> str:
    """Rerun ``name`` into ``out``: its table, ending with where the converged result is
    recorded; the same text is written to ``out/reproduction.txt``. With ``so_far``,
    train nothing: the metrics an unfinished run in ``out`` has measured so far."""
    rep = get_reproduction(name)
    options = RunOptions(steps, seeds, db, eval_every, d_iters, progress, overwrite, resume,
                         so_far)
    rep.check(options)
    if so_far:
        if steps is not None or seeds is not None or resume or overwrite:
            raise BadInput("--so-far reads a run and trains nothing: give it only --out")
        return rep.so_far(Path(out))
    out = check_out_dir(out)
    text = rep.run(out, options) + f"\nrecorded converged result: {rep.recorded}"
    (out / "reproduction.txt").write_text(text + "\n")
    return text
