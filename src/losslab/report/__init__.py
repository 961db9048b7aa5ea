"""Reports of a study: summary.json, figures and a self-contained HTML page."""

from __future__ import annotations

from typing import Any

__all__ = ["build_report"]


def __getattr__(name: str) -> Any:
    # Lazy, so that building the command line (losslab.report.commands) does not
    # import matplotlib, scipy and torch for every subcommand.
    if name == "build_report":
        from losslab.report.build import build_report

        return build_report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
