"""The study API: run a study from Python and read its results as pandas DataFrames.

>>> import losslab
>>> study = losslab.run("examples/seed-1d.toml", out="runs/seed-1d", seeds=2)  # doctest: +SKIP
>>> study.members                 # one row per member: loss, label, seed, status, metrics
>>> study.ranking("w1")           # mean, 95% CI and paired p-values per loss
>>> study.verdict("w1")           # the report's sentence
>>> study.series("g_loss")        # a recorded series, long format
>>> study.report()                # report.html again; returns its path
>>> losslab.load("runs/seed-1d")  # a finished study, opened read-only

:func:`run` goes through the same validation (:func:`~losslab.study.config.load_study_config`)
and the same runner (:func:`~losslab.study.runner.run_study`) as ``losslab run``; a config
may be a TOML file or a dict of the same tables. A :class:`Study` reads the run's
``summary.json`` (members, rankings, verdicts, all computed by the report) and, for
series, its run store, opened read-only.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from losslab.errors import BadInput

MEMBER_COLUMNS = (
    "index", "loss", "label", "dataset", "seed", "status", "stage", "diverged_step", "reason",
)
"""The leading columns of :attr:`Study.members`; the final metrics follow, then ``params.<knob>``
(tuned studies), ``hparams.<knob>`` (the knobs the member trained with) and ``cost.<what>``."""


def members_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per member of ``summary`` (a run's ``summary.json``): ``loss`` is the
    registered loss, ``label`` its label in the study (a tuned setting's ends in
    ``(tuned)``), then every final metric (NaN where the member has none), the tuned
    ``params.<knob>``, the scalar ``hparams.<knob>`` and ``cost.passes`` / ``cost.seconds``."""
    members = summary.get("members", [])
    metrics = list(dict.fromkeys(k for m in members for k in m.get("metrics", {})))
    rows = []
    for m in members:
        row: dict[str, Any] = {
            "index": m.get("index"),
            "loss": m.get("registry_name", m["loss"]),
            "label": m["loss"],
            "dataset": m.get("dataset"),
            "seed": m.get("seed"),
            "status": m.get("status"),
            "stage": m.get("stage", "final"),
            "diverged_step": m.get("diverged_step"),
            "reason": m.get("reason", ""),
        }
        got = m.get("metrics", {})
        for name in metrics:
            value = got.get(name)
            row[name if name not in MEMBER_COLUMNS else f"metric.{name}"] = (
                float("nan") if value is None else float(value)
            )
        for key, value in (m.get("params") or {}).items():
            row[f"params.{key}"] = value
        for key, value in (m.get("hparams") or {}).items():
            if isinstance(value, int | float | str | bool):
                row[f"hparams.{key}"] = value
        for key, value in (m.get("cost") or {}).items():
            row[f"cost.{key}"] = value
        rows.append(row)
    frame = pd.DataFrame(rows, columns=_columns(rows, metrics))
    return frame


def _columns(rows: list[dict[str, Any]], metrics: list[str]) -> list[str]:
    metric_cols = [n if n not in MEMBER_COLUMNS else f"metric.{n}" for n in metrics]
    rest = list(dict.fromkeys(k for r in rows for k in r))
    tail = [k for k in rest if k not in MEMBER_COLUMNS and k not in metric_cols]
    order = ("params.", "hparams.", "cost.")
    tail.sort(key=lambda k: next((i for i, p in enumerate(order) if k.startswith(p)), 3))
    return [*MEMBER_COLUMNS, *metric_cols, *tail]


def ranking_frame(summary: Mapping[str, Any], metric: str | None = None) -> pd.DataFrame:
    """``summary["ranking"]`` as a DataFrame: per (metric, loss label) the ``mean`` over ok
    seeds, ``ci95_low``/``ci95_high``, ``n``, ``rank``, ``p_vs_best`` and its Holm
    adjustment, ``dataset`` and ``stage`` (``default``/``tuned``); best first within a
    metric. ``metric`` keeps one metric; in a study with several datasets, ``"w1"`` keeps
    ``"w1 @ <dataset>"`` of every dataset."""
    from losslab.metrics.direction import base_metric

    entries = list(summary.get("ranking", []))
    if metric is not None:
        kept = [e for e in entries if e["metric"] == metric]
        if not kept:
            kept = [e for e in entries if base_metric(e["metric"]) == metric]
        if not kept:
            known = ", ".join(dict.fromkeys(e["metric"] for e in entries)) or "none"
            raise BadInput(f"no metric {metric!r} in the ranking (ranked: {known})")
        entries = kept
    registry = {m["loss"]: m.get("registry_name", m["loss"]) for m in summary.get("members", [])}
    rows = []
    for e in entries:
        lo, hi = (e.get("ci95") or [None, None])[:2]
        rows.append({
            "metric": e["metric"],
            "dataset": e.get("dataset"),
            "stage": e.get("stage", "default"),
            "rank": e.get("rank"),
            "label": e["loss"],
            "loss": registry.get(e["loss"], e["loss"]),
            "mean": _num(e.get("mean")),
            "ci95_low": _num(lo),
            "ci95_high": _num(hi),
            "n": e.get("n"),
            "p_vs_best": _num(e.get("p_vs_best")),
            "p_vs_best_holm": _num(e.get("p_vs_best_holm")),
        })
    columns = ["metric", "dataset", "stage", "rank", "label", "loss", "mean", "ci95_low",
               "ci95_high", "n", "p_vs_best", "p_vs_best_holm"]
    return pd.DataFrame(rows, columns=columns)


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


class Study:
    """A finished study: its ``summary.json`` and (for :meth:`series`) its run store.

    Made by :func:`run` and :func:`load`; read-only: nothing here writes the store.
    """

    def __init__(self, out_dir: str | Path, summary: dict[str, Any], db: str | Path | None = None):
        self.out_dir = Path(out_dir)
        self.summary = summary
        """The run's ``summary.json`` as a dict (DESIGN.md lists its fields)."""
        self.db_path = Path(db) if db is not None else self.out_dir.resolve().parent / "losslab.db"

    @property
    def name(self) -> str:
        return str(self.summary["study"])

    @property
    def members(self) -> pd.DataFrame:
        """One row per member (see :func:`members_frame`); a tuned study's trials have
        ``stage == "trial"``, its retrained settings ``"final"``."""
        return members_frame(self.summary)

    def ranking(self, metric: str | None = None) -> pd.DataFrame:
        """The ranking the report shows (see :func:`ranking_frame`), for one ``metric``
        or all."""
        return ranking_frame(self.summary, metric)

    def verdict(self, metric: str) -> str:
        """The report's conclusion on ``metric``: a tuned study's sentence for its tuning
        metric, else which loss is best and whether the paired tests separate it."""
        from losslab.report.html import verdict_text

        info = self.summary.get("tuning_info") or {}
        if metric == info.get("metric") and info.get("sentence"):
            return str(info["sentence"])
        verdicts = self.summary.get("verdicts", {})
        if metric not in verdicts:
            known = ", ".join(verdicts) or "none"
            raise BadInput(f"no verdict on {metric!r} (metrics: {known})")
        return verdict_text(verdicts[metric])

    def series(self, name: str) -> pd.DataFrame:
        """A recorded series of every member in long format: ``member`` (index), ``loss``,
        ``label``, ``dataset``, ``seed``, ``step``, ``value``. ``name`` is a training series
        (``d_loss``, ``g_grad_norm``, ``train_loss``, ...) or a metric at the checkpoints
        (``w1``, ``accuracy``, ...). Read from the run store, opened read-only."""
        from losslab.report.exports import open_finished_study

        shown = {m.get("index"): m for m in self.summary.get("members", [])}
        store, study_id = open_finished_study(self.out_dir, self.db_path)
        rows: list[dict[str, Any]] = []
        known: set[str] = set()
        try:
            for m in store.members(study_id):
                curves = store.series(m["member_id"])
                if name not in curves:
                    checkpoints = store.checkpoints(m["member_id"])
                    known |= set(curves) | set(checkpoints)
                    curves = checkpoints
                else:
                    known |= set(curves)
                if name not in curves:
                    continue
                entry = shown.get(m["index"], {})
                steps, values = curves[name]
                for step, value in zip(steps, values, strict=True):
                    rows.append({
                        "member": m["index"], "loss": m["registry_name"],
                        "label": entry.get("loss", m["loss"]), "dataset": m["dataset"],
                        "seed": m["seed"], "step": int(step), "value": float(value),
                    })
        finally:
            store.close()
        if not rows:
            listed = ", ".join(sorted(known)) or "none"
            raise BadInput(f"no series {name!r} in study {self.name!r} (recorded: {listed})")
        return pd.DataFrame(rows, columns=["member", "loss", "label", "dataset", "seed",
                                           "step", "value"])

    def report(self, format: str = "html") -> Path:
        """Write ``report.html`` (or ``report.md`` with ``format="md"``) from the run's
        summary and figures again, and return its path."""
        from losslab.report.rundir import regenerate

        return regenerate(self.out_dir, format)

    def _repr_html_(self) -> str:
        from losslab.report.html import at_a_glance

        report = self.out_dir / "report.html"
        return (
            f"<div><h3>losslab study {escape(self.name)}</h3>{at_a_glance(self.summary)}"
            f"<p>full report: <code>{escape(str(report))}</code></p></div>"
        )

    def __repr__(self) -> str:
        return f"Study({self.name!r}, {len(self.summary.get('members', []))} members, " \
               f"out={str(self.out_dir)!r})"


def run(
    config: str | Path | Mapping[str, Any],
    out: str | Path | None = None,
    seeds: int | None = None,
    steps: int | None = None,
    *,
    db: str | Path | None = None,
    tune: int | None = None,
    sampler: str | None = None,
    device: str | None = None,
    executor: str = "in-process",
    workers: int | None = None,
    address: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool = False,
) -> Study:
    """Run a study and return it as a :class:`Study`.

    ``config``: a TOML file, or a dict of the same tables (``{"study": {...}, "data":
    {...}, "losses": [...]}``; a data file's ``path`` is then relative to the current
    folder). The other arguments are ``losslab run``'s options: ``out`` (default
    ``runs/<study name>``; a finished study already there is replaced only with
    ``overwrite=True``), ``seeds``/``steps`` override ``study.seeds``/``train.steps``,
    ``db`` (default ``<out>/../losslab.db``), ``tune``/``sampler`` (``[tune]``),
    ``device``, ``executor`` (``in-process``, ``pool`` with ``workers``, ``ray`` with
    ``address``), ``resume``, ``progress`` (a progress bar). Bad input raises
    :class:`~losslab.errors.BadInput` with the one line the command line prints.
    """
    from losslab.study.config import load_study_config
    from losslab.study.runner import run_study

    if not isinstance(config, str | Path | Mapping):
        raise BadInput(f"config: expected a TOML file path or a dict, got {type(config).__name__}")
    checked = load_study_config(config, seeds, steps, device, tune, sampler)
    result = run_study(
        None if isinstance(config, Mapping) else config,
        config=checked, out=out, db=db, resume=resume, progress=progress, executor=executor,
        workers=workers, address=address, overwrite=overwrite,
    )
    return Study(result.out_dir, result.summary, result.db_path)


def load(run_dir: str | Path, db: str | Path | None = None) -> Study:
    """Open the finished study in ``run_dir`` (a study's ``out`` folder) read-only. ``db``:
    its run store, for :meth:`Study.series` (default ``<run_dir>/../losslab.db``)."""
    from losslab.report.rundir import load_summary

    return Study(run_dir, load_summary(run_dir), db)


__all__ = ["Study", "load", "members_frame", "ranking_frame", "run"]
