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
from losslab.report.tables import members_frame, ranking_frame


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
    threads: int | None = None,
) -> Study:
    """Run a study and return it as a :class:`Study`.

    ``config``: a TOML file, or a dict of the same tables (``{"study": {...}, "data":
    {...}, "losses": [...]}``; a data file's ``path`` is then relative to the current
    folder). The other arguments are ``losslab run``'s options: ``out`` (default
    ``runs/<study name>``; a finished study already there is replaced only with
    ``overwrite=True``), ``seeds``/``steps`` override ``study.seeds``/``train.steps``,
    ``db`` (default ``<out>/../losslab.db``), ``tune``/``sampler`` (``[tune]``),
    ``device``, ``executor`` (``in-process``, ``pool`` with ``workers``, ``ray`` with
    ``address``), ``resume``, ``progress`` (a progress bar), ``threads`` (torch threads per
    process; default :mod:`losslab.threads`' choice). Bad input raises
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
        workers=workers, address=address, overwrite=overwrite, threads=threads,
    )
    return Study(result.out_dir, result.summary, result.db_path)


def load(run_dir: str | Path, db: str | Path | None = None) -> Study:
    """Open the finished study in ``run_dir`` (a study's ``out`` folder) read-only. ``db``:
    its run store, for :meth:`Study.series` (default ``<run_dir>/../losslab.db``)."""
    from losslab.report.rundir import load_summary

    return Study(run_dir, load_summary(run_dir), db)


__all__ = ["Study", "load", "run"]
