"""The report page: one self-contained HTML file (inline CSS, figures as data URIs).

No JavaScript and no network resource: the file can be mailed or archived as is.
Every string that comes from the user or the run (study name, loss labels,
config values, failure reasons, file names) goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from losslab.errors import BadInput
from losslab.metrics.baselines import NOT_CONVERGED, SCORED
from losslab.metrics.samples import METRIC_INFO
from losslab.metrics.supervised import SUPERVISED_METRIC_INFO
from losslab.report import tuned
from losslab.report.stats import (
    INTERVAL_NOTE,
    MIN_INTERVAL_N,
    base_metric,
    direction,
    range_kind,
    verdicts,
)

METRIC_EXPLANATIONS = {
    "w1": "1-Wasserstein (earth mover's) distance between generated and reference samples.",
    "ks": "Two-sample Kolmogorov-Smirnov statistic: largest gap between the two empirical CDFs.",
    "energy": "Energy distance between generated and reference samples.",
    "mean_error": "Absolute error of the generated mean against the reference mean.",
    "std_error": "Absolute error of the generated standard deviation against the reference's.",
    "modes": "Number of mixture modes captured by at least one high-quality sample.",
    "high_quality": "Fraction of samples within 3 standard deviations of their nearest mode.",
    "reverse_kl": "KL(generated mode histogram || uniform over modes).",
}
# the metrics' own one-line definitions, with each estimator's sample size
METRIC_EXPLANATIONS |= {k: v[0].upper() + v[1:] + "." for k, v in METRIC_INFO.items()}
METRIC_EXPLANATIONS |= {
    k: v[0].upper() + v[1:] + "." for k, v in SUPERVISED_METRIC_INFO.items()
}

METHOD = (
    "Each loss's mean is over its seeds with final metrics (ok and not-converged: a member "
    "that did not beat the trivial baseline still counts), with a 95% interval of the "
    "method stated under each table. "
    "Members of different losses with the same seed share data, initial weights and "
    "noise (common random numbers), so each loss is compared with the best one by a "
    "paired t-test on the per-seed final values (scipy.stats.ttest_rel, two-sided, "
    "seeds where both have a value); p-values are Holm-corrected across the comparisons "
    "within a metric. A loss is called best only if every other loss differs from it at "
    "Holm-adjusted p < 0.05 over at least 3 paired seeds."
)
CATALOGUE = "docs/site"  # where `losslab docs` writes the catalogue, one page per family

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .7em; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 1em; overflow: auto; font-size: 90%; max-height: 28em; }
table.ranking { min-width: 70%; } table.ranking td:nth-child(2) { font-weight: 600; }
table.diagnoses td:nth-child(-n+4) { white-space: nowrap; } td.flagged { color: #b35900; }
p.verdict { background: #f3f6fc; border-left: 4px solid #3b6fd8; padding: .4em .8em; }
.ok { color: #1a7f37; } .diverged { color: #b35900; } .failed { color: #c62828; }
.not-converged { color: #8a6d00; }
.verdict { font-weight: 600; } .note { color: #555; font-size: 90%; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 95%; margin-top: .3em; }
"""


def _fmt(x: Any) -> str:
    return "—" if x is None else f"{float(x):.4g}"


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """Cells are already-escaped HTML; a cell starting with ``<td`` is used as is."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>"
        for row in rows
    )
    attr = f' class="{escape(cls)}"' if cls else ""
    return f"<table{attr}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _num(x: Any) -> str:
    return f'<td class="num">{_fmt(x)}</td>'


def _int(x: Any) -> str:
    return '<td class="num">' + ("—" if x is None else escape(str(x))) + "</td>"


def fmt_p(p: Any) -> str:
    """A p-value for people: 3 decimals, or scientific notation below 0.001."""
    if p is None:
        return "—"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.1e}"


def verdict_text(v: Mapping[str, Any]) -> str:
    """One metric's conclusion as plain text (escape it for the output format)."""
    best, metric = v["best"], v["metric"]
    if best is None:
        return f"No loss has a result on {metric}."
    if v["runner_up"] is None:
        return f"Only {best} has a result on {metric}; there is nothing to compare."
    if v["significant"]:
        return (
            f"{best} is best on {metric} "
            "(paired t-test vs each other loss, Holm-adjusted p < 0.05)."
        )
    parts = [
        f"no significant difference between {best} and {x['loss']} ("
        + (
            "no test: fewer than 2 paired seeds, or identical values on every seed"
            if x["p_holm"] is None
            else f"Holm-adjusted p = {fmt_p(x['p_holm'])}"
        )
        + ")"
        for x in v["not_separated"]
    ]
    return f"{best} has the best mean on {metric}, but " + "; ".join(parts) + "."


def loss_family(registry_name: str) -> str | None:
    """The family of a registered loss, ``None`` if the name is not registered."""
    from losslab.losses import get_loss

    try:
        return get_loss(registry_name).family
    except BadInput:
        return None


def catalogue_href(registry_name: str) -> str | None:
    """Relative link to the loss's catalogue card: ``docs/site/<family>.html#<name>``."""
    family = loss_family(registry_name)
    if family is None:
        return None
    page = "".join(c if c.isalnum() or c == "-" else "-" for c in family.lower())
    return f"{CATALOGUE}/{page}.html#{registry_name}"


def registry_names(members: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Loss label -> registry name, from the summary's members."""
    return {m["loss"]: m.get("registry_name") or m["loss"] for m in members}


def loss_link(label: str, registry: str) -> str:
    href = catalogue_href(registry)
    name = f"<code>{escape(registry)}</code>"
    if href is None:
        return f"{escape(label)} ({name})"
    return f'<a href="{escape(href)}">{escape(label)}</a> ({name})'


def _glance_section(
    members: Sequence[Mapping[str, Any]],
    ranking: Sequence[Mapping[str, Any]] = (),
    lead: str = "",
    stage: str = "default",
) -> str:
    """The answer first: ``lead`` (a tuned study's verdict and defaults-vs-tuned table),
    the losses x metrics matrix of the ``stage`` ranking, then what was run."""
    statuses = [m["status"] for m in members]
    datasets = ", ".join(escape(str(d)) for d in dict.fromkeys(m["dataset"] for m in members))
    losses = ", ".join(loss_link(lbl, reg) for lbl, reg in registry_names(members).items())
    seeds = len({m["seed"] for m in members})
    entries = [e for e in ranking if e.get("stage", "default") == stage]
    return (
        "<h2>At a glance</h2>\n" + lead + metric_matrix(entries, stage) + "<ul>"
        f"<li>data: {datasets or 'none'}</li>"
        f"<li>losses (label and registry name, linked to the catalogue): {losses or 'none'}</li>"
        f"<li>{len(members)} members over {seeds} seeds: {statuses.count('ok')} ok, "
        f"{statuses.count(NOT_CONVERGED)} not converged (no better than the trivial "
        f"baseline), {statuses.count('diverged')} diverged, {statuses.count('failed')} "
        "failed</li></ul>"
    )


def metric_matrix(entries: Sequence[Mapping[str, Any]], stage: str = "default") -> str:
    """Losses x metrics: the mean over seeds; the best loss of each metric in bold, with
    ``*`` when the paired tests separate it from every other loss, and ``≈`` beside each
    loss they could not separate from it (Holm-adjusted p >= 0.05)."""
    if not entries:
        return ""
    metrics = list(dict.fromkeys(e["metric"] for e in entries))
    losses = list(dict.fromkeys(e["loss"] for e in entries))
    cell = {(e["loss"], e["metric"]): e for e in entries}
    decided = verdicts(entries)
    rows = []
    for loss in losses:
        tds = []
        for metric in metrics:
            e, v = cell.get((loss, metric)), decided[metric]
            if e is None or e["mean"] is None:
                tds.append('<td class="num">—</td>')
                continue
            text = _fmt(e["mean"])
            if loss == v["best"]:
                text = f"<strong>{text}</strong>" + ("*" if v["significant"] else "")
            elif any(x["loss"] == loss for x in v["not_separated"]):
                text += " ≈"
            tds.append(f'<td class="num">{text}</td>')
        rows.append(f"<tr><td>{escape(loss)}</td>{''.join(tds)}</tr>")
    head = "".join(
        f"<th>{escape(m)} ({'↑' if direction(m) == 'max' else '↓'})</th>" for m in metrics
    )
    where = "after tuning" if stage == "tuned" else "at the defaults the config gives"
    return (
        f'<p class="note">Every metric, {where}: mean over seeds; bold = best mean, * = '
        "separated from every other loss by the paired tests, ≈ = not separable from the "
        "best (Holm-adjusted p ≥ 0.05); ↑ higher is better, ↓ lower.</p>\n"
        f"<table><tr><th>loss</th>{head}</tr>\n" + "\n".join(rows) + "\n</table>\n"
    )


def _p_cell(e: Mapping[str, Any], key: str) -> str:
    if e["rank"] == 1:
        return '<td class="num note">best</td>'
    return f'<td class="num">{fmt_p(e.get(key))}</td>'


def _diff_cell(e: Mapping[str, Any]) -> str:
    """The effect size beside the p-value: mean paired difference to the best [95% CI]."""
    if e["rank"] == 1:
        return '<td class="num note">best</td>'
    diff = e.get("diff_vs_best")
    if diff is None:
        return '<td class="num">—</td>'
    lo, hi = (e.get("diff_ci95") or [None, None])[:2]
    return f'<td class="num">{float(diff):+.4g} [{_fmt(lo)}, {_fmt(hi)}]</td>'


def interval_note(entries: Sequence[Mapping[str, Any]]) -> str:
    """The sentence under a ranking table: the interval method of its metric and of the
    effect size, with the seed count rule."""
    method = next((e["ci_method"] for e in entries if e.get("ci_method")), None)
    what = f"95% CI: {method}" if method else "95% CI"
    bounded = bool(entries) and range_kind(entries[0]["metric"]) == "bounded"
    diff = (
        "the expanded percentile bootstrap of the paired differences (inside their span)"
        if bounded
        else "its paired t-interval"
    )
    return (
        f"{what}; no interval from fewer than {MIN_INTERVAL_N} seeds. Difference vs best: "
        "mean paired difference (this loss minus the best) over shared seeds with "
        f"{diff}."
    )


def ranking_section(ranking: Sequence[Mapping[str, Any]], title: str = "Rankings") -> str:
    by_metric: dict[str, list[Mapping[str, Any]]] = {}
    for e in ranking:
        by_metric.setdefault(e["metric"], []).append(e)
    decided = verdicts(ranking)
    parts = [
        f"<h2>{escape(title)}</h2>",
        f'<p class="note">{escape(METHOD)}</p>',
        f'<p class="note">{escape(INTERVAL_NOTE)}</p>',
    ]
    if not by_metric:
        parts.append("<p>No ok member has final metrics.</p>")
    for metric, entries in by_metric.items():
        better = "higher" if direction(metric) == "max" else "lower"
        what = METRIC_EXPLANATIONS.get(base_metric(metric), f"Metric {metric}.")
        rows = [
            [
                _int(e["rank"]),
                escape(e["loss"]),
                _num(e["mean"]),
                f'<td class="num">[{_fmt(e["ci95"][0])}, {_fmt(e["ci95"][1])}]</td>',
                _int(e["n"]),
                _diff_cell(e),
                _p_cell(e, "p_vs_best"),
                _p_cell(e, "p_vs_best_holm"),
            ]
            for e in entries
        ]
        head = ["rank", "loss", "mean", "95% CI", "n", "difference vs best [95% CI]",
                "p vs best (paired t)", "Holm-adjusted p"]
        parts += [
            f"<h3>{escape(metric)}</h3>",
            f"<p>{escape(what)} <strong>{better.capitalize()} is better.</strong></p>",
            html_table(head, rows, cls="ranking"),
            f'<p class="note">{escape(interval_note(entries))}</p>',
            f'<p class="verdict">{escape(verdict_text(decided[metric]))}</p>',
        ]
    return "\n".join(parts)


def baseline_section(summary: Mapping[str, Any]) -> str:
    """Beside the rankings: the trivial baseline of each dataset and the members that did
    not beat it (``not-converged``), which stay in every statistic above."""
    baselines = summary.get("baselines") or {}
    if not baselines:
        return ""
    parts = [
        "<h2>Trivial baselines</h2>",
        '<p class="note">A member is <em>not converged</em> when its finite value of the '
        "primary metric does not beat the dataset's trivial baseline for the same seed "
        "(same metric code, evaluation size and seeds). Such members are kept in every "
        "mean, interval and test above.</p>",
    ]
    for dataset, b in baselines.items():
        metric = b.get("metric") or ""
        values = [s["metrics"].get(metric) for s in b.get("seeds", [])]
        shown = ", ".join(_fmt(v) for v in values)
        parts.append(
            f"<p><strong>{escape(str(dataset))}</strong>: baseline "
            f"<em>{escape(str(b.get('baseline')))}</em> — {escape(str(b.get('what')))}; "
            f"{escape(metric)} per seed: {shown}.</p>"
        )
        bad = b.get("not_converged") or []
        if not bad:
            parts.append(f"<p>Every member beat the {escape(str(b.get('baseline')))} "
                         "baseline.</p>")
            continue
        rows = [
            [escape(str(x["loss"])), _int(x["seed"]), _num(x["value"]), _num(x["baseline"])]
            for x in bad
        ]
        head = ["loss", "seed", f"{metric} of the member", f"{metric} of the baseline"]
        parts += [
            f"<h3>Members that did not beat the {escape(str(b.get('baseline')))} baseline "
            f"on {escape(str(dataset))}</h3>",
            html_table(head, rows, cls="not-converged"),
            f'<p class="note">Status <code>{NOT_CONVERGED}</code>; their metrics count in '
            "the rankings.</p>",
        ]
    return "\n".join(parts)


def _members_section(members: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        [
            escape(m["loss"]),
            _int(m["seed"]),
            f'<td class="{escape(m["status"])}">{escape(m["status"])}</td>',
            _num(m["metrics"].get("w1")),
            _num(m["metrics"].get("ks")),
        ]
        for m in members
    ]
    header = ["loss", "seed", "status", "final W1", "final KS"]
    return "<h2>Members</h2>\n" + html_table(header, rows)


def _problems_section(members: Sequence[Mapping[str, Any]]) -> str:
    bad = [m for m in members if m["status"] not in SCORED]
    head = "<h2>Diverged and failed members</h2>\n"
    if not bad:
        return head + "<p>none</p>"
    rows = [
        [
            escape(m["loss"]),
            _int(m["seed"]),
            escape(m["status"]),
            _int(m.get("diverged_step")),
            escape(m.get("reason") or ""),
        ]
        for m in bad
    ]
    return head + html_table(["loss", "seed", "status", "step", "reason"], rows)


def verdict_word(verdict: Any) -> str:
    """A diagnosis verdict for people: a bool reads as "detected" / "not detected"."""
    if isinstance(verdict, bool):
        return "detected" if verdict else "not detected"
    return "" if verdict is None else str(verdict)


def _diagnoses_section(summary: Mapping[str, Any]) -> str:
    """``summary["diagnoses"]``: ``[{loss, seed?, kind, verdict, explanation}]``, if present."""
    if "diagnoses" not in summary:
        return ""
    head = (
        '<h2>Diagnoses</h2>\n<p class="note">What the training signals say, in plain words; '
        "each loss links to its catalogue card (definition, derivation, known failure modes)."
        "</p>\n"
    )
    found = summary["diagnoses"] or []
    if not found:
        return head + "<p>No diagnosis was raised.</p>"
    names = registry_names(summary.get("members", []))
    rows = [
        [
            loss_link(str(d.get("loss", "")), names.get(d.get("loss"), str(d.get("loss", "")))),
            _int(d.get("seed")),
            escape(str(d.get("kind", ""))),
            f'<td class="verdict{" flagged" if d.get("verdict") is True else ""}">'
            f"{escape(verdict_word(d.get('verdict')))}</td>",
            escape(str(d.get("explanation", "")))
            + (
                f'<br><span class="note">{escape(str(d["summary"]))}</span>'
                if d.get("summary")
                else ""
            ),
        ]
        for d in found
    ]
    return head + html_table(["loss", "seed", "kind", "verdict", "explanation"], rows, "diagnoses")


def _figure(path: Path, caption: str) -> str:
    data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(caption)}">'
        f'<figcaption>{escape(caption)} <span class="note">({escape(Path(path).name)})'
        "</span></figcaption></figure>"
    )


def _figures_section(summary: Mapping[str, Any], figures: Sequence[Path]) -> str:
    captions = {Path(f["file"]).name: f["caption"] for f in summary.get("figures", [])}
    parts = ["<h2>Figures</h2>"]
    parts += [_figure(p, captions.get(Path(p).name, Path(p).stem)) for p in figures]
    if not figures:
        parts.append("<p>none</p>")
    return "\n".join(parts)


def _store_line(store_info: Mapping[str, Any]) -> str:
    items = ", ".join(f"{escape(str(k))}: {escape(str(v))}" for k, v in store_info.items())
    return f'<p class="note">Run store — {items}</p>' if items else ""


def _answer_sections(summary: Mapping[str, Any]) -> list[str]:
    """At a glance, then the rankings: a tuned study opens with its verdict sentence and
    each loss at defaults and tuned, then ranks both stages."""
    ranking = summary.get("ranking", [])
    finals = [m for m in summary.get("members", []) if m.get("stage", "final") == "final"]
    if not summary.get("tuning"):
        return [_glance_section(finals, ranking), ranking_section(ranking),
                baseline_section(summary)]
    return [
        _glance_section(finals, ranking, tuned.glance_html(summary), stage="tuned"),
        ranking_section(
            [e for e in ranking if e.get("stage") == "default"], "Rankings at paper defaults"
        ),
        ranking_section(
            [e for e in ranking if e.get("stage") == "tuned"],
            f"Rankings after tuning ({summary['tuning_info']['trials_per_loss']} trials per loss)",
        ),
        baseline_section(summary),
    ]


def at_a_glance(summary: Mapping[str, Any]) -> str:
    """The report's "At a glance" section alone, as an HTML fragment (a notebook's view
    of a study: :meth:`losslab.api.Study._repr_html_`)."""
    return _answer_sections(summary)[0]


def render_html(
    summary: Mapping[str, Any], figures: Sequence[Path], store_info: Mapping[str, Any]
) -> str:
    """The report page as a string (see :func:`write_html`)."""
    name = escape(str(summary["study"]))
    config = json.dumps(summary.get("config", {}), indent=2, sort_keys=True, default=str)
    body = [
        f"<h1>losslab report: {name}</h1>",
        _store_line(store_info),
        *_answer_sections(summary),
        _diagnoses_section(summary),
        _members_section(summary.get("members", [])),
        _problems_section(summary.get("members", [])),
        _figures_section(summary, figures),
        "<h2>Study configuration</h2>",
        f"<pre>{escape(config)}</pre>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>losslab report: {name}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_html(
    path: Path, summary: Mapping[str, Any], figures: list[Path], store_info: Mapping[str, Any]
) -> Path:
    """Write the self-contained report page for ``summary`` (the summary.json dict).

    ``figures`` are PNG files embedded as base64 data URIs, captioned from
    ``summary["figures"]`` (``[{"file", "caption"}]``) where listed;
    ``store_info`` (e.g. database path, study id) is shown as a note.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(summary, figures, store_info), encoding="utf-8")
    return path
