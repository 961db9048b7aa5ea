"""Reports of a study: summary.json, figures and a self-contained HTML page."""

from losslab.report.build import build_report

__all__ = ["build_report"]
