"""`losslab list` in 80 columns: no line wider, every why sentence whole (issue 17)."""

from __future__ import annotations

import re

from losslab.catalogue import list_table
from losslab.losses import all_losses


def _first_sentence(text: str) -> str:
    """Plain: up to the first '. ' (or the whole text)."""
    text = " ".join(text.split())
    m = re.search(r"\.\s", text)
    return text[: m.start() + 1] if m else text


def test_eighty_columns_keep_the_why_whole():
    specs = all_losses()
    table = list_table(specs, width=80)
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 80
    flat = " ".join(" ".join(table.split()).split("\n"))
    for spec in specs:
        words = _first_sentence(spec.card.why).split()[:12]
        assert " ".join(words) in flat, spec.name


def test_wide_terminals_keep_one_line_per_loss():
    specs = all_losses("regression")
    lines = list_table(specs, width=200).splitlines()
    assert len(lines) == 2 + len(specs)
