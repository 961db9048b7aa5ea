"""Readers only read: ``report RUN_DIR --tensorboard`` (an export) leaves the store's bytes
as they were, even an older unmarked store, which only a writer migrates."""

from __future__ import annotations

import hashlib

import pytest

from losslab.cli import main


def test_an_export_leaves_the_store_byte_for_byte(tmp_path, make_study_store, capsys):
    pytest.importorskip("tensorboardX")
    store, _ = make_study_store(tmp_path, finish=True)
    store.close()
    db = tmp_path / "losslab.db"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    (tmp_path / "out").mkdir()
    assert main(["report", str(tmp_path / "out"), "--tensorboard", str(tmp_path / "tb")]) == 0
    capsys.readouterr()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
