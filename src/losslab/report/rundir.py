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
    return summary


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
    if fmt == "html":
        return write_html(
            run_dir / "report.html",
            summary,
            figure_files(run_dir, summary),
            {"regenerated from": "summary.json"},
        )
    if fmt == "md":
        return write_markdown(run_dir / "report.md", summary, figure_files(run_dir, summary))
    raise BadInput(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
