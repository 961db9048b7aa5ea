"""The report as GitHub Markdown: ``RUN_DIR/report.md`` beside ``RUN_DIR/figures/*.png``.

Same content as the HTML page (see :mod:`losslab.report.html`), for pasting
into an issue, a pull request or a wiki. Figures are referenced by relative
path (``figures/x.png``), so the file travels together with its ``figures/``
folder. Every user-supplied string (study name, loss labels, data set names,
reasons, captions) goes through :func:`md_escape`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from losslab.metrics.baselines import NOT_CONVERGED, SCORED
from losslab.report.html import (
    METHOD,
    METRIC_EXPLANATIONS,
    catalogue_href,
    fmt_p,
    interval_note,
    registry_names,
    verdict_text,
    verdict_word,
)
from losslab.report.stats import INTERVAL_NOTE, base_metric, direction, verdicts

SPECIAL = frozenset("\\`*_[]<>|&~#!")


def md_escape(text: Any) -> str:
    """``text`` as inert Markdown: one line, every special character backslash-escaped.

    Escapes ``\\ ` * _ [ ] < > | & ~ # !`` (CommonMark lets any ASCII punctuation
    be escaped), so a name can neither open a tag, a link, emphasis or code, nor
    end a table cell.
    """
    one_line = " ".join(str(text).split())
    return "".join("\\" + c if c in SPECIAL else c for c in one_line)


def md_table(
    head: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()
) -> str:
    """A GitHub table; cells are already-escaped Markdown, ``numeric`` columns right-aligned."""
    rule = ["---:" if i in numeric else "---" for i in range(len(head))]
    lines = [head, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _fmt(x: Any) -> str:
    return "—" if x is None else f"{float(x):.4g}"


def _int(x: Any) -> str:
    return "—" if x is None else md_escape(x)


def flatten(config: Any, prefix: str = "") -> dict[str, str]:
    """Nested config as ``{"train.steps": "20", "losses[0].name": "wgan-gp", ...}``."""
    if isinstance(config, Mapping):
        items = [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in config.items()]
    elif isinstance(config, list) and config:
        items = [(f"{prefix}[{i}]", v) for i, v in enumerate(config)]
    else:
        return {prefix: config if isinstance(config, str) else json.dumps(config, default=str)}
    out: dict[str, str] = {}
    for key, value in items:
        out.update(flatten(value, key))
    return out


def _loss_link(label: str, registry: str) -> str:
    href = catalogue_href(registry)
    name = f"{md_escape(label)} ({md_escape(registry)})"
    return name if href is None else f"[{name}]({quote(href, safe='/#.-_')})"


def _glance(members: Sequence[Mapping[str, Any]]) -> list[str]:
    statuses = [m["status"] for m in members]
    datasets = ", ".join(md_escape(d) for d in dict.fromkeys(m["dataset"] for m in members))
    losses = ", ".join(_loss_link(lbl, reg) for lbl, reg in registry_names(members).items())
    seeds = len({m["seed"] for m in members})
    return [
        "## At a glance",
        "",
        f"- data: {datasets or 'none'}",
        f"- losses (label and registry name, linked to the catalogue): {losses or 'none'}",
        f"- {len(members)} members over {seeds} seeds: {statuses.count('ok')} ok, "
        f"{statuses.count(NOT_CONVERGED)} not converged (no better than the trivial "
        f"baseline), {statuses.count('diverged')} diverged, {statuses.count('failed')} failed",
    ]


def _diff(e: Mapping[str, Any]) -> str:
    if e["rank"] == 1:
        return "best"
    if e.get("diff_vs_best") is None:
        return "—"
    lo, hi = (e.get("diff_ci95") or [None, None])[:2]
    return f"{float(e['diff_vs_best']):+.4g} [{_fmt(lo)}, {_fmt(hi)}]"


def ranking_table(entries: Sequence[Mapping[str, Any]]) -> str:
    """One metric's ranking entries as a Markdown table, its interval method under it."""
    rows = [
        [
            _int(e["rank"]),
            md_escape(e["loss"]),
            _fmt(e["mean"]),
            f"[{_fmt(e['ci95'][0])}, {_fmt(e['ci95'][1])}]",
            _int(e["n"]),
            _diff(e),
            "best" if e["rank"] == 1 else fmt_p(e.get("p_vs_best")),
            "best" if e["rank"] == 1 else fmt_p(e.get("p_vs_best_holm")),
        ]
        for e in entries
    ]
    head = ["rank", "loss", "mean", "95% CI", "n", "difference vs best [95% CI]",
            "p vs best (paired t)", "Holm-adjusted p"]
    table = md_table(head, rows, numeric=(0, 2, 3, 4, 5, 6, 7))
    return table + "\n\n" + md_escape(interval_note(entries))


def _rankings(ranking: Sequence[Mapping[str, Any]]) -> list[str]:
    by_metric: dict[str, list[Mapping[str, Any]]] = {}
    for e in ranking:
        by_metric.setdefault(e["metric"], []).append(e)
    decided = verdicts(ranking)
    out = ["## Rankings", "", md_escape(METHOD), "", md_escape(INTERVAL_NOTE)]
    if not by_metric:
        out += ["", "No ok member has final metrics."]
    for metric, entries in by_metric.items():
        better = "Higher" if direction(metric) == "max" else "Lower"
        what = METRIC_EXPLANATIONS.get(base_metric(metric), f"Metric {metric}.")
        out += [
            "",
            f"### {md_escape(metric)}",
            "",
            f"{md_escape(what)} **{better} is better.**",
            "",
            ranking_table(entries),
            "",
            f"**{md_escape(verdict_text(decided[metric]))}**",
        ]
    return out


def _baselines(summary: Mapping[str, Any]) -> list[str]:
    """Beside the rankings: each dataset's trivial baseline and the members that did not
    beat it (kept in the statistics)."""
    baselines = summary.get("baselines") or {}
    if not baselines:
        return []
    out = [
        "## Trivial baselines",
        "",
        "A member is *not converged* when its finite value of the primary metric does not "
        "beat the dataset's trivial baseline for the same seed (same metric code, "
        "evaluation size and seeds). Such members are kept in every mean, interval and "
        "test above.",
    ]
    for dataset, b in baselines.items():
        metric = b.get("metric") or ""
        values = ", ".join(_fmt(s["metrics"].get(metric)) for s in b.get("seeds", []))
        name = md_escape(str(b.get("baseline")))
        out += [
            "",
            f"**{md_escape(str(dataset))}**: baseline *{name}* — "
            f"{md_escape(str(b.get('what')))}; {md_escape(metric)} per seed: {values}.",
        ]
        bad = b.get("not_converged") or []
        if not bad:
            out += ["", f"Every member beat the {name} baseline."]
            continue
        rows = [
            [md_escape(str(x["loss"])), _int(x["seed"]), _fmt(x["value"]), _fmt(x["baseline"])]
            for x in bad
        ]
        head = ["loss", "seed", f"{metric} of the member", f"{metric} of the baseline"]
        out += [
            "",
            f"### Members that did not beat the {name} baseline on {md_escape(str(dataset))}",
            "",
            md_table(head, rows, numeric=(1, 2, 3)),
            "",
            f"Status `{NOT_CONVERGED}`; their metrics count in the rankings.",
        ]
    return out


def _diagnoses(summary: Mapping[str, Any]) -> list[str]:
    if "diagnoses" not in summary:
        return []
    out = ["## Diagnoses", ""]
    found = summary["diagnoses"] or []
    if not found:
        return [*out, "No diagnosis was raised."]
    names = registry_names(summary.get("members", []))
    rows = [
        [
            _loss_link(str(d.get("loss", "")), names.get(d.get("loss"), str(d.get("loss", "")))),
            _int(d.get("seed")),
            md_escape(d.get("kind", "")),
            md_escape(verdict_word(d.get("verdict"))),
            md_escape(d.get("explanation", ""))
            + (f" ({md_escape(d['summary'])})" if d.get("summary") else ""),
        ]
        for d in found
    ]
    return [*out, md_table(["loss", "seed", "kind", "verdict", "explanation"], rows, (1,))]


def _members(members: Sequence[Mapping[str, Any]]) -> list[str]:
    rows = [
        [
            md_escape(m["loss"]),
            _int(m["seed"]),
            md_escape(m["status"]),
            _fmt(m["metrics"].get("w1")),
            _fmt(m["metrics"].get("ks")),
        ]
        for m in members
    ]
    bad = [
        [
            md_escape(m["loss"]),
            _int(m["seed"]),
            md_escape(m["status"]),
            _int(m.get("diverged_step")),
            md_escape(m.get("reason") or ""),
        ]
        for m in members
        if m["status"] not in SCORED
    ]
    head = ["loss", "seed", "status", "final W1", "final KS"]
    return [
        "## Members",
        "",
        md_table(head, rows, numeric=(1, 3, 4)),
        "",
        "## Diverged and failed members",
        "",
        md_table(["loss", "seed", "status", "step", "reason"], bad, (1, 3)) if bad else "none",
    ]


def _figures(summary: Mapping[str, Any], figures: Sequence[Path]) -> list[str]:
    captions = {Path(f["file"]).name: f["caption"] for f in summary.get("figures", [])}
    out = ["## Figures"]
    for path in figures:
        name = Path(path).name
        caption = md_escape(captions.get(name, Path(path).stem))
        out += ["", f"![{caption}](figures/{quote(name)})", "", f"*{caption}*"]
    if not figures:
        out += ["", "none"]
    return out


def render_markdown(summary: Mapping[str, Any], figures: Sequence[Path]) -> str:
    """The report as a Markdown string (see :func:`write_markdown`)."""
    config = [[md_escape(k), md_escape(v)] for k, v in flatten(summary.get("config", {})).items()]
    members = summary.get("members", [])
    lines = [
        f"# losslab report: {md_escape(summary['study'])}",
        "",
        *_glance(members),
        "",
        "## Study configuration",
        "",
        md_table(["setting", "value"], config) if config else "none",
        "",
        *_rankings(summary.get("ranking", [])),
        "",
        *_baselines(summary),
        "",
        *_diagnoses(summary),
        "",
        *_members(members),
        "",
        *_figures(summary, figures),
    ]
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def write_markdown(path: Path, summary: Mapping[str, Any], figures: Sequence[Path]) -> Path:
    """Write ``summary`` (the summary.json dict) as Markdown to ``path``.

    ``figures`` are PNGs under ``path.parent / "figures"``, referenced as
    ``figures/<name>`` and captioned from ``summary["figures"]``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(summary, figures), encoding="utf-8")
    return path
