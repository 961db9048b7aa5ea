"""A tuned study's report: which members are trials, which are finals at defaults and which
are finals at the tuned setting; the ``tuning`` section of summary.json; its figures and
the page's tuning section.

Only final members are ranked (:mod:`losslab.study.tune`): the ``default`` view holds
each loss's final members at its defaults, the ``tuned`` view each loss's final members at
its best trial's setting (the default members again where the best trial is trial 0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from losslab.metrics.baselines import SCORED
from losslab.metrics.direction import DATASET_SEP, base_metric, direction
from losslab.report import tuning as tn
from losslab.report.stats import verdict

TUNED = " (tuned)"
"""Suffix of a loss's label for its tuned final members in the figures and member table."""

BOUNDS = {
    "w1": (0.0, math.inf), "sliced_w1": (0.0, math.inf), "energy": (0.0, math.inf),
    "mmd": (-math.inf, math.inf), "ks": (0.0, 1.0), "mean_error": (0.0, math.inf),
    "std_error": (0.0, math.inf), "high_quality": (0.0, 1.0), "reverse_kl": (0.0, math.inf),
    "accuracy": (0.0, 1.0), "balanced_accuracy": (0.0, 1.0), "macro_f1": (0.0, 1.0),
    "ece": (0.0, 1.0), "mse": (0.0, math.inf), "mae": (0.0, math.inf),
    "median_ae": (0.0, math.inf), "digit_confident": (0.0, 1.0),
    "digit_reverse_kl": (0.0, math.inf), "digit_modes": (0.0, 10.0),
}
"""The natural support of each metric, for the tuning curve's band (opda's ``a``, ``b``)."""


def metric_bounds(metric: str, n_modes: int | None) -> tuple[float, float]:
    if metric == "modes":
        return (0.0, float(n_modes)) if n_modes else (0.0, math.inf)
    return BOUNDS.get(metric, (-math.inf, math.inf))


def split_members(
    members: Sequence[dict[str, Any]], record: Mapping[str, Any]
) -> dict[str, Any]:
    """Sort a tuned study's members into trials, default finals and tuned finals.

    Returns ``{"trials", "default", "tuned", "shown"}``: the tuned view uses the loss's own
    label; ``shown`` (for figures and the member table) is the default finals plus the
    tuned finals that differ from them, labelled ``"<loss> (tuned)"``. Every member gets
    ``stage`` (``"trial"``/``"final"``) and ``params`` (the searched knobs' values).
    """
    trial_of: dict[int, dict[str, Any]] = {}
    for entry in record["losses"].values():
        for trial in entry["trials"]:
            for i in trial["members"]:
                trial_of[i] = trial
    first_trial = min(trial_of, default=None)
    best_of = {
        (e["loss"], e["dataset"]): e for e in record["losses"].values()
    }
    trials, default, tuned_only = [], [], []
    for m in members:
        entry = best_of.get((m["loss"], m["dataset"]))
        if m["index"] in trial_of:
            trials.append({**m, "stage": "trial", "params": trial_of[m["index"]]["params"]})
        elif first_trial is None or m["index"] < first_trial:
            default.append({**m, "stage": "final",
                            "params": entry["default_params"] if entry else {}})
        else:
            tuned_only.append({**m, "stage": "final",
                               "params": entry["best_params"] if entry else {}})
    tuned_keys = {(m["loss"], m["dataset"]) for m in tuned_only}
    tuned = tuned_only + [m for m in default if (m["loss"], m["dataset"]) not in tuned_keys]
    tuned.sort(key=lambda m: m["index"])
    shown = default + [{**m, "loss": m["loss"] + TUNED} for m in tuned_only]
    return {"trials": trials, "default": default, "tuned": tuned, "shown": shown}


def tuning_section(
    record: Mapping[str, Any], n_modes: Mapping[str, int | None]
) -> dict[str, Any]:
    """summary.json's ``tuning``: per loss its space, trials, best params and tuning curve
    (:func:`losslab.report.tuning.tuning_curve`: expected best of k trials, the median
    curve and its simultaneous band)."""
    metric = record["metric"]
    minimize = direction(metric) != "max"
    out = {}
    for key, e in record["losses"].items():
        values = [math.nan if t["value"] is None else t["value"] for t in e["trials"]]
        bounds = metric_bounds(metric, n_modes.get(e["dataset"]))
        values = [v if not math.isfinite(v) or bounds[0] <= v <= bounds[1] else math.nan
                  for v in values]
        out[key] = {
            "loss": e["loss"],
            "dataset": e["dataset"],
            "space": e["space"],
            "default_params": e["default_params"],
            "trials": [
                {"params": t["params"], "value": t["value"], "seeds": t["seeds"]}
                for t in e["trials"]
            ],
            "best_trial": e["best_trial"],
            "best_params": e["best_params"],
            "curve": tn.tuning_curve(values, minimize, bounds=bounds),
        }
    return out


def stage_verdicts(ranked: Sequence[dict[str, Any]], metric: str) -> dict[str, dict[str, Any]]:
    """The two verdicts on the tuning metric, in :func:`tuning.verdict_sentence`'s form."""
    out = {}
    for stage in ("default", "tuned"):
        entries = [e for e in ranked if e["stage"] == stage and base_metric(e["metric"]) == metric]
        v = verdict(entries) if entries else {"best": None, "not_separated": []}
        rivals = v.get("not_separated", [])
        # the closest rival's Holm p: among those not separated, else among all others
        if v.get("significant"):
            ps = [e.get("p_vs_best_holm") for e in entries if e["rank"] != 1]
        else:
            ps = [x["p_holm"] for x in rivals]
        ps = [p for p in ps if p is not None]
        out[stage] = {"best": v["best"], "tied": [x["loss"] for x in rivals],
                      "p": max(ps) if ps else None}
    return out


def cost_rows(split: Mapping[str, Any], metric: str) -> list[dict[str, Any]]:
    """One row per final member for :func:`tuning.plot_quality_vs_cost`."""
    rows = []
    for stage in ("default", "tuned"):
        for m in split[stage]:
            value = m["metrics"].get(metric) if m["status"] in SCORED else None
            rows.append({
                "loss": m["loss"], "stage": stage,
                "value": None if value is None or not math.isfinite(value) else value,
                "passes": m.get("cost", {}).get("passes"),
                "seconds": m.get("cost", {}).get("seconds"),
            })
    return rows


def tuning_figures(
    fig_dir: Path, tuning: Mapping[str, Any], metric: str, split: Mapping[str, Any]
) -> list[tuple[Path, str]]:
    minimize = direction(metric) != "max"
    k = max((len(e["trials"]) for e in tuning.values()), default=0)
    return [
        (
            tn.plot_tuning_curves(tuning, metric, minimize, fig_dir / "tuning_curves.png"),
            f"Tuning curves: the {metric} one expects from the best of k trials per loss "
            f"(dashed: expected best, Dodge et al. 2019; solid: median of the best of k with "
            f"its simultaneous {tn.CONFIDENCE:.0%} band, Lourie et al. 2024), k = 1..{k}. "
            "Trial 1 is the paper defaults.",
        ),
        (
            tn.plot_sensitivity(tuning, metric, fig_dir / "tuning_sensitivity.png"),
            f"Sensitivity: every trial's {metric} (mean over its search seeds) against each "
            "searched knob; the defaults and the best trial are marked, diverged trials drawn "
            "at the edge.",
        ),
        (
            tn.plot_quality_vs_cost(
                cost_rows(split, metric), metric, fig_dir / "quality_vs_cost.png"
            ),
            f"Quality against cost for the final members: {metric} against the network "
            "passes spent training (forward or backward of one network over one batch; a "
            "loss with 5 critic steps per generator step pays for them). The equal budget "
            "is the number of generator (or training) steps.",
        ),
    ]


def _fmt(x: Any) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.4g}"
    return escape(str(x))


def _params(p: Mapping[str, Any]) -> str:
    return ", ".join(f"{escape(k)}={_fmt(v)}" for k, v in sorted(p.items())) or "—"


def glance_html(summary: Mapping[str, Any]) -> str:
    """The tuned study's answer, first on the page: the verdict sentence, then each loss at
    defaults and tuned side by side on the tuning metric, with the best parameters."""
    tuning, info = summary["tuning"], summary["tuning_info"]
    metric = info["metric"]
    means = {
        (e["loss"], e["stage"]): e
        for e in summary["ranking"]
        if base_metric(e["metric"]) == metric and DATASET_SEP not in e["metric"]
    }
    rows = []
    for key, e in tuning.items():
        d, t = means.get((e["loss"], "default")), means.get((e["loss"], "tuned"))
        rows.append(
            "<tr><td>" + escape(key) + "</td>"
            + "".join(
                f'<td class="num">{_fmt(x["mean"]) if x else "—"}'
                + (f" (rank {x['rank']})" if x and x.get("rank") else "") + "</td>"
                for x in (d, t)
            )
            + f"<td>{_params(e['default_params'])}</td><td>{_params(e['best_params'])}</td>"
            + f'<td class="num">{e["best_trial"] + 1}</td></tr>'
        )
    better = "higher" if direction(metric) == "max" else "lower"
    return (
        f'<p class="verdict">{escape(info["sentence"])}</p>\n'
        f"<p>{info['trials_per_loss']} trials per loss ({escape(info['sampler'])} search, "
        f"{info['search_seeds']} search seed(s) each, selected on {escape(metric)}, "
        f"{better} is better); the defaults and each loss's best setting were then retrained "
        "on the study's fresh seeds, and only those final members are ranked (paired by "
        "seed). The equal budget is the number of generator (or training) steps per member; "
        "what each member cost is in the quality-against-cost figure.</p>\n"
        "<table><tr><th>loss</th><th>at defaults</th><th>tuned</th><th>default setting</th>"
        "<th>best setting</th><th>best trial</th></tr>\n" + "\n".join(rows) + "\n</table>\n"
    )
