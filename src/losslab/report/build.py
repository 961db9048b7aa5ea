"""Build a study's report from the run store: summary.json, figures/*.png, report.html.

Averages over seeds stack each loss's per-member curves on one step grid (the
union of the members' steps; members of one loss share it, the union only
guards against a short record) with NaN where a member has no value.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from losslab.report import figures as fig
from losslab.report.html import write_html
from losslab.report.stats import direction, finite_or_none, ranking, verdicts
from losslab.study.store import RunStore

FINAL_METRICS = ("w1", "ks")  # metrics that get a per-seed "final_<metric>.png"


def strict_json(obj: Any) -> Any:
    """``obj`` with every non-finite float replaced by ``None`` and numpy scalars unwrapped."""
    if isinstance(obj, dict):
        return {str(k): strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [strict_json(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return strict_json(obj.tolist())
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return finite_or_none(obj)
    return obj


def stack_curves(curves: Sequence[tuple[np.ndarray, np.ndarray]]) -> fig.Curve | None:
    """Stack per-member ``(steps, values)`` into ``(steps [T], values [S, T])``, NaN-filled."""
    if not curves:
        return None
    grid = np.unique(np.concatenate([np.asarray(s) for s, _ in curves]))
    out = np.full((len(curves), grid.size), np.nan)
    for row, (steps, values) in enumerate(curves):
        out[row, np.searchsorted(grid, steps)] = values
    return grid, out


def _member_entry(m: dict[str, Any]) -> dict[str, Any]:
    return {
        "index": m["index"],
        "loss": m["loss"],
        "registry_name": m["registry_name"],
        "dataset": m["dataset"],
        "seed": m["seed"],
        "hparams": m["hparams"],
        "status": m["status"],
        "diverged_step": m["diverged_step"],
        "reason": m["reason"],
        "metrics": {k: finite_or_none(v) for k, v in m["metrics"].items()},
    }


def load_loss_data(store: RunStore, members: Sequence[dict[str, Any]]) -> dict[str, dict]:
    """Per loss label: stacked ``series`` and ``checkpoints`` curves, a ``reference``
    sample and the ``generated`` samples of its ok members pooled (``None`` if none)."""
    raw: dict[str, dict[str, Any]] = {}
    for m in members:
        d = raw.setdefault(
            m["loss"], {"series": {}, "checkpoints": {}, "reference": None, "generated": []}
        )
        for group, curves in (
            ("series", store.series(m["member_id"])),
            ("checkpoints", store.checkpoints(m["member_id"])),
        ):
            for name, curve in curves.items():
                d[group].setdefault(name, []).append(curve)
        samples = store.samples(m["member_id"])
        if d["reference"] is None and samples.get("reference") is not None:
            d["reference"] = samples["reference"]
        if m["status"] == "ok" and samples.get("generated") is not None:
            d["generated"].append(samples["generated"])
    return {
        label: {
            "series": {n: stack_curves(c) for n, c in d["series"].items()},
            "checkpoints": {n: stack_curves(c) for n, c in d["checkpoints"].items()},
            "reference": d["reference"],
            "generated": np.concatenate(d["generated"]) if d["generated"] else None,
        }
        for label, d in raw.items()
    }


def write_figures(
    fig_dir: Path,
    data: dict[str, dict],
    members: Sequence[dict[str, Any]],
    ranked: Sequence[dict[str, Any]],
) -> list[tuple[Path, str]]:
    """Write every figure into ``fig_dir``; returns ``(path, caption)`` in report order."""
    out: list[tuple[Path, str]] = []
    slugs = fig.slugify(data)
    for label, d in data.items():
        s, slug = d["series"], slugs[label]
        path = fig.plot_losses(
            fig_dir / f"losses_{slug}.png", label, s.get("d_loss"), s.get("g_loss")
        )
        out.append(
            (
                path,
                f"Loss graph, {label}: D and G loss over generator steps "
                "(mean over seeds, shaded ±1 std).",
            )
        )
        path = fig.plot_gradients(
            fig_dir / f"gradients_{slug}.png",
            label,
            s.get("g_grad_mean"),
            s.get("g_grad_norm"),
            s.get("d_grad_norm"),
        )
        out.append(
            (
                path,
                f"Gradient graph, {label}: generator gradient signed mean, and "
                "generator/discriminator gradient norms (mean over seeds, ±1 std).",
            )
        )
    path = fig.plot_compare(fig_dir / "compare_losses.png", data)
    out.append(
        (
            path,
            "All losses compared: W1 and KS at checkpoints, generator gradient norm, "
            "discriminator accuracy (mean over seeds, shaded ±1 std).",
        )
    )
    panels = {label: (d["reference"], d["generated"]) for label, d in data.items()}
    path = fig.plot_histograms(fig_dir / "histograms.png", panels)
    if path is not None:
        out.append(
            (
                path,
                "Reference vs generated samples at the end of training, generated "
                "pooled over each loss's ok seeds (densities on shared bins; outliers beyond "
                "each sample's central 99% lie off the axis).",
            )
        )
    metrics_present = {e["metric"] for e in ranked}
    for metric in (m for m in FINAL_METRICS if m in metrics_present):
        path = _final_figure(fig_dir, metric, members, ranked)
        out.append((path, f"Final {metric} of every ok seed per loss, with mean and 95% CI."))
    return out


def _final_figure(fig_dir: Path, metric: str, members, ranked) -> Path:
    labels = list(dict.fromkeys(m["loss"] for m in members))
    values = {
        label: [
            m["metrics"].get(metric, math.nan)
            for m in members
            if m["loss"] == label and m["status"] == "ok"
        ]
        for label in labels
    }
    entries = {e["loss"]: e for e in ranked if e["metric"] == metric}
    better = "higher" if direction(metric) == "max" else "lower"
    return fig.plot_final(fig_dir / f"final_{metric}.png", metric, values, entries, better)


def build_report(store: RunStore, study_id: int, out_dir: Path) -> dict[str, Any]:
    """Write ``out_dir/summary.json``, ``out_dir/figures/*.png`` and ``out_dir/report.html``.

    Returns the summary: ``{"study", "config", "members": [{"index", "loss",
    "registry_name", "dataset", "seed", "hparams", "status", "diverged_step",
    "reason", "metrics"}], "ranking": [...], "verdicts": {metric: ...},
    "figures": [{"file", "caption"}]}`` with non-finite numbers as ``None``
    (summary.json is strict JSON).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    study = store.study(study_id)
    members = store.members(study_id)
    ranked = ranking(members)
    figures = write_figures(out_dir / "figures", load_loss_data(store, members), members, ranked)
    summary = strict_json(
        {
            "study": study["name"],
            "config": study["config"],
            "members": [_member_entry(m) for m in members],
            "ranking": ranked,
            "verdicts": verdicts(ranked),
            "figures": [{"file": f"figures/{p.name}", "caption": c} for p, c in figures],
        }
    )
    text = json.dumps(summary, indent=2, allow_nan=False)
    (out_dir / "summary.json").write_text(text + "\n", encoding="utf-8")
    write_html(
        out_dir / "report.html",
        summary,
        [p for p, _ in figures],
        {"database": store.path, "study id": study_id},
    )
    return summary
