"""Docstrings cite "DESIGN.md": docs/DESIGN.md exists in the repository, says where the
full document lives, and holds every section a docstring names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_cited_design_section_is_in_docs_design():
    pointer = (ROOT / "docs" / "DESIGN.md").read_text()
    assert "../shared/DESIGN.md" in pointer
    cited = set()
    for path in (ROOT / "src").rglob("*.py"):
        text = " ".join(path.read_text().split())  # a citation may wrap across lines
        cited |= set(re.findall(r'DESIGN\.md,? "([^"]+)"', text))
    assert cited, "no docstring cites a section"
    headings = {h.strip().lower() for h in re.findall(r"^## (.+)$", pointer, re.M)}
    for section in cited:
        assert section.lower() in headings, section
    assert "exit codes" in headings and "summary.json" in headings
