"""guide.html says "to come" only while a candidate's family has not arrived (issue 17)."""

from __future__ import annotations

from losslab.catalogue.guide import GUIDE, guide_body
from losslab.losses import all_losses


def test_to_come_only_for_missing_candidates(tmp_path):
    (tmp_path / "examples").mkdir()
    registry = {s.name: s for s in all_losses()}
    candidates = [name for row in GUIDE for name, _ in row.candidates]
    assert all(name in registry for name in candidates)  # every family has arrived
    assert "to come" not in guide_body(registry, tmp_path, tmp_path)
    fewer = {k: v for k, v in registry.items() if k != candidates[0]}
    page = guide_body(fewer, tmp_path, tmp_path)
    assert "to come" in page and "not in the catalogue yet" in page
