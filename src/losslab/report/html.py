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

from losslab.report.stats import direction, verdicts

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

RULE = (
    "Rule: a loss is called best on a metric only if its 95% confidence interval "
    "(Student t over seeds) does not overlap the runner-up's; otherwise no "
    "significant difference is claimed."
)

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #444; padding-bottom: .2em; }
h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .7em; text-align: left; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 90%; }
.ok { color: #1a7f37; } .diverged { color: #b35900; } .failed { color: #c62828; }
.verdict { font-weight: 600; } .note { color: #555; font-size: 90%; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { color: #444; font-size: 95%; margin-top: .3em; }
"""


def _fmt(x: Any) -> str:
    return "—" if x is None else f"{float(x):.4g}"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Cells are already-escaped HTML; a cell starting with ``<td`` is used as is."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join(
        "<tr>" + "".join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _num(x: Any) -> str:
    return f'<td class="num">{_fmt(x)}</td>'


def _int(x: Any) -> str:
    return '<td class="num">' + ("—" if x is None else escape(str(x))) + "</td>"


def _verdict_line(v: Mapping[str, Any]) -> str:
    best, second = v["best"], v["runner_up"]
    if best is None:
        return "No loss has a result on this metric."
    if second is None:
        return f"Only {escape(best)} has a result on this metric."
    if v["significant"]:
        return f"Best: {escape(best)} (its 95% CI does not overlap {escape(second)}'s)."
    return f"No significant difference between {escape(best)} and {escape(second)}."


def _ranking_section(ranking: Sequence[Mapping[str, Any]]) -> str:
    by_metric: dict[str, list[Mapping[str, Any]]] = {}
    for e in ranking:
        by_metric.setdefault(e["metric"], []).append(e)
    decided = verdicts(ranking)
    parts = ["<h2>Rankings</h2>", f'<p class="note">{escape(RULE)}</p>']
    if not by_metric:
        parts.append("<p>No ok member has final metrics.</p>")
    for metric, entries in by_metric.items():
        better = "higher" if direction(metric) == "max" else "lower"
        what = METRIC_EXPLANATIONS.get(metric, f"Metric {metric}.")
        rows = [
            [
                _int(e["rank"]),
                escape(e["loss"]),
                _num(e["mean"]),
                f'<td class="num">[{_fmt(e["ci95"][0])}, {_fmt(e["ci95"][1])}]</td>',
                _int(e["n"]),
            ]
            for e in entries
        ]
        parts += [
            f"<h3>{escape(metric)}</h3>",
            f"<p>{escape(what)} <strong>{better.capitalize()} is better.</strong></p>",
            _table(["rank", "loss", "mean", "95% CI", "n"], rows),
            f'<p class="verdict">{_verdict_line(decided[metric])}</p>',
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
    return "<h2>Members</h2>\n" + _table(["loss", "seed", "status", "final W1", "final KS"], rows)


def _problems_section(members: Sequence[Mapping[str, Any]]) -> str:
    bad = [m for m in members if m["status"] != "ok"]
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
    return head + _table(["loss", "seed", "status", "step", "reason"], rows)


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


def render_html(
    summary: Mapping[str, Any], figures: Sequence[Path], store_info: Mapping[str, Any]
) -> str:
    """The report page as a string (see :func:`write_html`)."""
    name = escape(str(summary["study"]))
    config = json.dumps(summary.get("config", {}), indent=2, sort_keys=True, default=str)
    body = [
        f"<h1>losslab report: {name}</h1>",
        _store_line(store_info),
        "<h2>Study configuration</h2>",
        f"<pre>{escape(config)}</pre>",
        _ranking_section(summary.get("ranking", [])),
        _members_section(summary.get("members", [])),
        _problems_section(summary.get("members", [])),
        _figures_section(summary, figures),
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
