"""A finished study's results as tables: one row per member, and the ranking.

Read from ``summary.json`` alone (what the report computed), so ``losslab report RUN
--format csv`` and :class:`losslab.api.Study` show the same numbers. ``members.csv`` has
one row per member (the columns of :func:`members_frame`), ``ranking.csv`` one row per
(metric, loss) (:func:`ranking_frame`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from losslab.errors import BadInput
from losslab.report.rundir import TABLE_FORMATS, load_summary

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
    seeds, ``ci95_low``/``ci95_high`` (its method: ``ci_method``), ``n``, ``rank``,
    ``p_vs_best`` and its Holm adjustment, the effect size ``diff_vs_best`` (mean paired
    difference to the best) with ``diff_ci95_low``/``diff_ci95_high``, ``dataset`` and
    ``stage`` (``default``/``tuned``); best first within a
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
        d_lo, d_hi = (e.get("diff_ci95") or [None, None])[:2]
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
            "diff_vs_best": _num(e.get("diff_vs_best")),
            "diff_ci95_low": _num(d_lo),
            "diff_ci95_high": _num(d_hi),
            "ci_method": e.get("ci_method"),
        })
    columns = ["metric", "dataset", "stage", "rank", "label", "loss", "mean", "ci95_low",
               "ci95_high", "n", "p_vs_best", "p_vs_best_holm", "diff_vs_best",
               "diff_ci95_low", "diff_ci95_high", "ci_method"]
    return pd.DataFrame(rows, columns=columns)


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


def write_tables(run_dir: str | Path, fmt: str = "csv") -> list[Path]:
    """Write ``RUN_DIR/members.<fmt>`` and ``RUN_DIR/ranking.<fmt>`` (``csv`` or
    ``parquet``) from ``RUN_DIR/summary.json``; return their paths."""
    if fmt not in TABLE_FORMATS:
        raise BadInput(f"--format {fmt!r}: tables are written as {' or '.join(TABLE_FORMATS)}")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise BadInput(
                "--format parquet needs pyarrow (pip install pyarrow); or use --format csv"
            ) from None
    run_dir = Path(run_dir)
    summary = load_summary(run_dir)
    out = []
    for name, frame in (("members", members_frame(summary)), ("ranking", ranking_frame(summary))):
        path = run_dir / f"{name}.{fmt}"
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            _typed_columns(frame).to_parquet(path, index=False)
        out.append(path)
    return out


def _typed_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Parquet wants one type per column: a column mixing types (a knob that is a number
    for one loss and a choice for another) is written as text."""
    mixed = {
        c: frame[c].map(lambda v: None if v is None or v != v else str(v))
        for c in frame.columns
        if frame[c].dtype == object
        and len({type(v) for v in frame[c] if v is not None and v == v}) > 1
    }
    return frame.assign(**mixed) if mixed else frame
