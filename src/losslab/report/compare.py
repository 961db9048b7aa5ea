"""Two studies side by side: their ranking tables on the metrics they share.

A study is named by its run directory (holding ``summary.json``) or by its
``name`` / ``id`` in the run store. The comparison is a text table for the
terminal, or a Markdown / self-contained HTML file (``--out``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from losslab.errors import BadInput
from losslab.outputs import check_out_file
from losslab.report.html import CSS, METHOD, fmt_p, verdict_text
from losslab.report.markdown import flatten, md_escape, md_table
from losslab.report.rundir import load_summary
from losslab.report.stats import direction, ranking, verdicts

DEFAULT_DB = Path("runs") / "losslab.db"
HEAD = ("rank", "mean", "95% CI", "Holm p")


@dataclass(frozen=True)
class Study:
    name: str
    source: str
    config: dict[str, Any]
    ranking: list[dict[str, Any]]


def load_study(ref: str, db: str | Path | None = None) -> Study:
    """A run directory with ``summary.json``, else a study name or id in the store ``db``."""
    path = Path(ref)
    if (path / "summary.json").is_file():
        s = load_summary(path)
        return Study(str(s["study"]), str(path), s.get("config", {}), s["ranking"])
    from losslab.study.store import RunStore

    db_path = Path(db) if db is not None else DEFAULT_DB
    if not db_path.exists():
        raise BadInput(
            f"{ref!r} is not a run directory with summary.json, and there is no run store "
            f"at {db_path} to look it up in (give --db PATH)"
        )
    store = RunStore(db_path, readonly=True)
    try:
        sid = store.find_study(ref)
        if sid is None:
            known = ", ".join(repr(s["name"]) for s in store.studies()) or "none"
            raise BadInput(f"no study {ref!r} in {db_path} (studies there: {known})")
        study = store.study(sid)
        ranked = ranking(store.members(sid))
    finally:
        store.close()
    return Study(study["name"], f"{db_path} #{sid}", study["config"], ranked)


def shared_metrics(a: Study, b: Study, metric: str | None = None) -> list[str]:
    """Metrics ranked in both studies (in ``a``'s order), or just ``metric``."""
    in_a = list(dict.fromkeys(e["metric"] for e in a.ranking))
    in_b = {e["metric"] for e in b.ranking}
    shared = [m for m in in_a if m in in_b]
    if metric is not None:
        if metric not in shared:
            raise BadInput(
                f"--metric {metric!r} is not ranked in both studies "
                f"(shared: {', '.join(shared) or 'none'})"
            )
        return [metric]
    if not shared:
        raise BadInput(f"{a.name!r} and {b.name!r} rank no metric in common")
    return shared


def side_by_side(a: Study, b: Study, metric: str) -> list[list[str]]:
    """Rows ``[loss, A rank, A mean, A CI, A Holm p, B rank, ...]``, as plain text."""
    cells: dict[str, list[str]] = {}
    for i, study in enumerate((a, b)):
        for e in (e for e in study.ranking if e["metric"] == metric):
            row = cells.setdefault(e["loss"], ["—"] * 2 * len(HEAD))
            row[i * len(HEAD) : (i + 1) * len(HEAD)] = _cells(e)
    return [[loss, *row] for loss, row in cells.items()]


def _cells(e: Mapping[str, Any]) -> list[str]:
    def f(x: Any) -> str:
        return "—" if x is None else f"{x:.4g}"

    p = "best" if e["rank"] == 1 else fmt_p(e.get("p_vs_best_holm"))
    rank = "—" if e["rank"] is None else str(e["rank"])
    return [rank, f(e["mean"]), f"[{f(e['ci95'][0])}, {f(e['ci95'][1])}]", p]


def config_differences(a: Study, b: Study) -> list[tuple[str, str, str]]:
    """``(setting, value in A, value in B)`` for every flattened setting that differs."""
    fa, fb = flatten(a.config), flatten(b.config)
    keys = list(dict.fromkeys([*fa, *fb]))
    return [(k, fa.get(k, "—"), fb.get(k, "—")) for k in keys if fa.get(k) != fb.get(k)]


def _method(study: Study, metric: str) -> str:
    found = (e.get("ci_method") for e in study.ranking if e["metric"] == metric)
    return next((m for m in found if m), None) or (
        "Student-t interval (a study written before intervals kept to the metric's range)"
    )


def interval_line(a: Study, b: Study, metric: str) -> str:
    """The interval method under a side-by-side table (each study's, where they differ)."""
    ma, mb = _method(a, metric), _method(b, metric)
    return f"95% CI: {ma}" if ma == mb else f"95% CI: A {ma}; B {mb}"


def _blocks(a: Study, b: Study, metrics: Sequence[str]):
    """Per metric: title, column names, rows (plain text), both verdicts and the line
    naming the interval method."""
    va, vb = verdicts(a.ranking), verdicts(b.ranking)
    for metric in metrics:
        better = "higher" if direction(metric) == "max" else "lower"
        head = ["loss", *[f"A {h}" for h in HEAD], *[f"B {h}" for h in HEAD]]
        says = [f"A: {verdict_text(va[metric])}", f"B: {verdict_text(vb[metric])}"]
        rows = side_by_side(a, b, metric)
        yield f"{metric} ({better} is better)", head, rows, says, interval_line(a, b, metric)


def render_text(a: Study, b: Study, metrics: Sequence[str]) -> str:
    """Aligned plain-text tables for the terminal."""
    lines = [f"A = {a.name}  ({a.source})", f"B = {b.name}  ({b.source})"]
    for title, head, rows, says, method in _blocks(a, b, metrics):
        widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
        fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
        lines += ["", title, fmt.format(*head), fmt.format(*("-" * w for w in widths))]
        lines += [fmt.format(*r) for r in rows] + [method] + says
    diffs = config_differences(a, b)
    if diffs:
        lines += ["", "config differences (A vs B):"]
        lines += [f"  {k}: {va} vs {vb}" for k, va, vb in diffs]
    return "\n".join(lines) + "\n"


def render_markdown(a: Study, b: Study, metrics: Sequence[str]) -> str:
    lines = [
        f"# losslab compare: {md_escape(a.name)} vs {md_escape(b.name)}",
        "",
        f"- A = {md_escape(a.name)} ({md_escape(a.source)})",
        f"- B = {md_escape(b.name)} ({md_escape(b.source)})",
        "",
        md_escape(METHOD),
    ]
    for title, head, rows, says, method in _blocks(a, b, metrics):
        table = md_table(head, [[md_escape(c) for c in r] for r in rows], range(1, len(head)))
        lines += ["", f"## {md_escape(title)}", "", table, "", md_escape(method), ""]
        lines += [f"- {md_escape(s)}" for s in says]
    diffs = config_differences(a, b)
    if diffs:
        rows = [[md_escape(c) for c in d] for d in diffs]
        lines += ["", "## Config differences", "", md_table(["setting", "A", "B"], rows)]
    return "\n".join(lines) + "\n"


def _html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def render_html(a: Study, b: Study, metrics: Sequence[str]) -> str:
    title = f"losslab compare: {escape(a.name)} vs {escape(b.name)}"
    body = [
        f"<h1>{title}</h1>",
        f"<ul><li>A = {escape(a.name)} ({escape(a.source)})</li>"
        f"<li>B = {escape(b.name)} ({escape(b.source)})</li></ul>",
        f'<p class="note">{escape(METHOD)}</p>',
    ]
    for heading, head, rows, says, method in _blocks(a, b, metrics):
        body += [f"<h2>{escape(heading)}</h2>", _html_table(head, rows)]
        body += [f'<p class="note">{escape(method)}</p>']
        body += [f'<p class="verdict">{escape(s)}</p>' for s in says]
    diffs = config_differences(a, b)
    if diffs:
        body += ["<h2>Config differences</h2>", _html_table(["setting", "A", "B"], diffs)]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def compare(
    ref_a: str,
    ref_b: str,
    db: str | Path | None = None,
    metric: str | None = None,
    out: str | Path | None = None,
) -> str:
    """The text comparison of two studies; also written to ``out`` (``.md`` or ``.html``)."""
    renderers = {".md": render_markdown, ".html": render_html}
    if out is not None:  # checked before anything is read
        out = Path(out)
        if out.suffix.lower() not in renderers:
            raise BadInput(f"--out {out}: expected a .md or .html file")
        check_out_file(out, inputs=[p for p in (ref_a, ref_b, db) if p is not None])
    a, b = load_study(ref_a, db), load_study(ref_b, db)
    metrics = shared_metrics(a, b, metric)
    if out is not None:
        out.write_text(renderers[out.suffix.lower()](a, b, metrics), encoding="utf-8")
    return render_text(a, b, metrics)
