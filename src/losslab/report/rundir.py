"""A finished run directory (``summary.json`` + ``figures/``) as the source of its reports.

``losslab report RUN_DIR`` regenerates ``report.html`` or ``report.md`` from
these files alone; no run store is needed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from losslab.errors import BadInput

FORMATS = ("html", "md")
TABLE_FORMATS = ("csv", "parquet")  # members and ranking tables (losslab.report.tables)


def load_summary(run_dir: str | Path) -> dict[str, Any]:
    """``RUN_DIR/summary.json`` as a dict; :class:`BadInput` if it is missing or not a summary."""
    path = Path(run_dir) / "summary.json"
    if not path.is_file():
        raise BadInput(f"{run_dir}: no summary.json there (is it a study's --out folder?)")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadInput(f"{path}: not readable JSON ({exc})") from None
    if not isinstance(summary, dict) or not {"study", "members", "ranking"} <= set(summary):
        raise BadInput(f"{path}: not a losslab summary (needs study, members, ranking)")
    check_summary(summary, path)
    return summary


def _number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def check_summary(summary: dict[str, Any], path: str | Path) -> None:
    """The types the reports and ``compare`` read from a summary; a hand-edited file with
    a wrong type is :class:`BadInput` naming the field, not a crash while rendering."""

    def bad(where: str, want: str) -> None:
        raise BadInput(f"{path}: {where} must be {want} (was the file edited by hand?)")

    def objects(key: str) -> list[dict[str, Any]]:
        value = summary.get(key, [])
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            bad(key, "a list of objects")
        return value

    if not isinstance(summary["study"], str):
        bad("study", "a string")
    for key in ("config", "tuning", "notes", "tuning_info"):
        if summary.get(key) is not None and not isinstance(summary[key], dict):
            bad(key, "an object")
    objects("figures")
    objects("diagnoses")
    for i, m in enumerate(objects("members")):
        for key in ("loss", "status", "dataset", "registry_name", "reason", "stage"):
            if key in m and m[key] is not None and not isinstance(m[key], str):
                bad(f"members[{i}].{key}", "a string")
        for key in ("seed", "index", "diverged_step"):
            if m.get(key) is not None and (not isinstance(m[key], int) or isinstance(m[key], bool)):
                bad(f"members[{i}].{key}", "an integer")
        metrics = m.get("metrics", {})
        if not isinstance(metrics, dict) or not all(
            v is None or _number(v) for v in metrics.values()
        ):
            bad(f"members[{i}].metrics", "an object of numbers")
    for i, e in enumerate(objects("ranking")):
        for key in ("loss", "metric"):
            if not isinstance(e.get(key), str):
                bad(f"ranking[{i}].{key}", "a string")
        for key, value in e.items():
            if (key == "mean" or key.startswith("p_")) and value is not None and not _number(value):
                bad(f"ranking[{i}].{key}", "a number or null")
        if e.get("rank") is not None and (not isinstance(e["rank"], int) or
                                           isinstance(e["rank"], bool)):
            bad(f"ranking[{i}].rank", "an integer or null")
        ci = e.get("ci95", [None, None])
        if not isinstance(ci, list) or len(ci) != 2 or not all(v is None or _number(v) for v in ci):
            bad(f"ranking[{i}].ci95", "[low, high] (numbers or null)")


def figure_files(run_dir: str | Path, summary: dict[str, Any]) -> list[Path]:
    """The figures ``summary["figures"]`` lists that exist under ``run_dir``, in report order.

    Only plain names under ``figures/`` are accepted, so a hand-edited summary
    cannot point the report at files elsewhere.
    """
    out = []
    for f in summary.get("figures", []):
        rel = Path(str(f.get("file", "")))
        if rel.parent != Path("figures") or rel.suffix != ".png":
            continue
        path = Path(run_dir) / rel
        if path.is_file():
            out.append(path)
    return out


def regenerate(run_dir: str | Path, fmt: str = "html") -> Path:
    """Write ``RUN_DIR/report.html`` (``fmt="html"``) or ``RUN_DIR/report.md`` (``"md"``)."""
    from losslab.report.html import write_html
    from losslab.report.markdown import write_markdown

    run_dir = Path(run_dir)
    summary = load_summary(run_dir)
    if fmt not in FORMATS:
        raise BadInput(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    try:
        if fmt == "html":
            return write_html(
                run_dir / "report.html",
                summary,
                figure_files(run_dir, summary),
                {"regenerated from": "summary.json"},
            )
        return write_markdown(run_dir / "report.md", summary, figure_files(run_dir, summary))
    except (TypeError, KeyError, ValueError, AttributeError, IndexError) as exc:
        # the summary passed the type checks but still does not render: its content is off
        raise BadInput(
            f"{run_dir / 'summary.json'}: cannot build a report from it "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
        ) from None
