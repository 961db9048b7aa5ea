"""The run store touches only what is its own (DESIGN.md, "What the store and the outputs
own"): a file that is not a losslab store is refused and its bytes stay as they were;
readers open the store read-only; study ids are never reused; a second writer of a study
is refused; a finished study is replaced only with --overwrite."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys

import pytest

from losslab.cli import main
from losslab.errors import BadInput
from losslab.study.store import SCHEMA_VERSION, RunStore

# "LOSS" in ASCII, big-endian, as SQLite stores the application id at header offset 68
LOSS = int.from_bytes(b"LOSS", "big")

CONFIG = """
[study]
name = "owned"
seeds = 1

[data]
name = "gaussian"

[model]
latent_dim = 2
generator = { hidden = [4] }
discriminator = { hidden = [4] }

[train]
steps = 4
batch_size = 8
eval_every = 4
eval_samples = 100

[[losses]]
name = "nonsaturating-bce"
"""

# The exact schema an earlier losslab wrote, unmarked (before the `final` column: v0).
LEGACY_V0 = """
CREATE TABLE studies (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, out_dir TEXT NOT NULL, config TEXT NOT NULL,
    created REAL NOT NULL, finished REAL
);
CREATE TABLE members (
    id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, loss TEXT NOT NULL, registry_name TEXT NOT NULL, dataset TEXT NOT NULL,
    seed INTEGER NOT NULL, hparams TEXT NOT NULL, status TEXT NOT NULL,
    diverged_step INTEGER, reason TEXT NOT NULL DEFAULT '',
    UNIQUE (study_id, idx)
);
CREATE TABLE series (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    name TEXT NOT NULL, step INTEGER NOT NULL, value REAL
);
CREATE INDEX series_member ON series (member_id, name);
CREATE TABLE metrics (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    step INTEGER NOT NULL, name TEXT NOT NULL, value REAL
);
CREATE TABLE samples (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, data BLOB NOT NULL
);
"""


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def header_ids(path) -> tuple[int, int]:
    """(application_id, user_version) read from the file's header bytes, not via SQLite."""
    head = path.read_bytes()[:100]
    return int.from_bytes(head[68:72], "big"), int.from_bytes(head[60:64], "big")


def foreign_sqlite(path):
    """A user's own database, with a `members(a, b)` table like the one the issue hit."""
    con = sqlite3.connect(path)
    con.executescript(
        "CREATE TABLE members (a INTEGER, b TEXT);"
        "INSERT INTO members VALUES (1, 'mine'), (2, 'also mine');"
        "CREATE TABLE studies (x);"
    )
    con.commit()
    con.close()
    return path


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "owned.toml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def finished(tmp_path, config):
    """A finished study in tmp_path/out, its store tmp_path/store.db."""
    out, db = tmp_path / "out", tmp_path / "store.db"
    assert main(["run", str(config), "--out", str(out), "--db", str(db), "--quiet"]) == 0
    return out, db


# -- foreign files are refused and left byte for byte -------------------------------------
@pytest.mark.parametrize("command", ["run", "report", "compare"])
def test_a_foreign_sqlite_file_is_refused_and_unchanged(tmp_path, config, capsys, command):
    db = foreign_sqlite(tmp_path / "mine.db")
    before = digest(db)
    argv = {
        "run": ["run", str(config), "--out", str(tmp_path / "o"), "--db", str(db), "--quiet"],
        "report": ["report", "--db", str(db)],
        "compare": ["compare", "a", "b", "--db", str(db)],
    }[command]
    assert main(argv) == 2
    err = one_error_line(capsys)
    assert str(db) in err and "not a losslab run store" in err
    assert digest(db) == before
    rows = sqlite3.connect(db).execute("SELECT a, b FROM members ORDER BY a").fetchall()
    assert rows == [(1, "mine"), (2, "also mine")]


def test_another_applications_database_is_refused_and_unchanged(tmp_path, capsys):
    db = tmp_path / "app.db"
    con = sqlite3.connect(db)
    con.execute("PRAGMA application_id = 12345")
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    before = digest(db)
    with pytest.raises(BadInput, match="another application"):
        RunStore(db)
    assert digest(db) == before


@pytest.mark.parametrize(
    "content",
    [b"a,b\n1,2\n", b"SQLite format 3\x00" + b"\x00" * 200, b"\x00" * 4096],
    ids=["csv", "sqlite-magic-then-garbage", "zeros"],
)
def test_a_file_that_is_not_sqlite_is_refused_and_unchanged(tmp_path, config, capsys, content):
    db = tmp_path / "x.db"
    db.write_bytes(content)
    for argv in (
        ["run", str(config), "--out", str(tmp_path / "o"), "--db", str(db), "--quiet"],
        ["report", "--db", str(db)],
    ):
        assert main(argv) == 2
        assert str(db) in one_error_line(capsys)
        assert db.read_bytes() == content


def test_a_truncated_store_is_refused_and_unchanged(tmp_path, finished, capsys):
    _, db = finished
    cut = tmp_path / "cut.db"
    cut.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    before = digest(cut)
    assert main(["report", "--db", str(cut)]) == 2
    assert "truncated" in one_error_line(capsys)
    with pytest.raises(BadInput, match="truncated"):
        RunStore(cut)
    assert digest(cut) == before


def test_a_directory_as_db_is_refused(tmp_path, config, capsys):
    argv = ["run", str(config), "--out", str(tmp_path / "o"), "--db", str(tmp_path), "--quiet"]
    assert main(argv) == 2
    assert "is a directory" in one_error_line(capsys)


def test_an_empty_file_is_not_a_store_for_readers(tmp_path, capsys):
    db = tmp_path / "empty.db"
    db.touch()
    assert main(["report", "--db", str(db)]) == 2
    assert "empty" in one_error_line(capsys)
    assert main(["compare", "a", "b", "--db", str(db)]) == 2
    one_error_line(capsys)
    assert db.stat().st_size == 0


def test_an_empty_file_becomes_a_marked_store_when_written(tmp_path, config):
    db = tmp_path / "empty.db"
    db.touch()
    assert main(["run", str(config), "--out", str(tmp_path / "o"), "--db", str(db), "--quiet"]) == 0
    assert header_ids(db) == (LOSS, SCHEMA_VERSION)


def test_a_new_store_is_marked_with_application_id_and_schema_version(finished):
    _, db = finished
    assert header_ids(db) == (LOSS, SCHEMA_VERSION)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA application_id").fetchone()[0] == 0x4C4F5353
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- readers only read ------------------------------------------------------------------
def test_report_and_compare_leave_a_store_byte_for_byte(tmp_path, finished, capsys):
    out, db = finished
    before = digest(db)
    assert main(["report", "--db", str(db)]) == 0
    assert main(["compare", "owned", "owned", "--db", str(db)]) == 0
    assert main(["report", str(out)]) == 0
    capsys.readouterr()
    assert digest(db) == before
    assert not (tmp_path / "store.db-journal").exists()


def test_a_readonly_store_cannot_be_written(finished):
    _, db = finished
    store = RunStore(db, readonly=True)
    try:
        assert [s["name"] for s in store.studies()] == ["owned"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store.db.execute("DELETE FROM studies")
    finally:
        store.close()


# -- older losslab stores: read as they are, migrated only when written -------------------
def legacy_store(path, with_final: bool):
    con = sqlite3.connect(path)
    con.executescript(LEGACY_V0)
    if with_final:
        con.execute("ALTER TABLE members ADD COLUMN final TEXT NOT NULL DEFAULT '{}'")
    con.execute(
        "INSERT INTO studies VALUES (7, 'old', '/old/out', '{}', 1.0, 2.0)"
    )
    con.execute(
        "INSERT INTO members (id, study_id, idx, loss, registry_name, dataset, seed, hparams,"
        " status, diverged_step, reason) VALUES (1, 7, 0, 'l', 'l', 'd', 0, '{}', 'ok', NULL, '')"
    )
    con.execute("INSERT INTO series VALUES (1, 'g_loss', 1, 0.5)")
    con.commit()
    con.close()
    return path


@pytest.mark.parametrize("with_final", [False, True], ids=["v0", "v1"])
def test_an_older_losslab_store_is_read_unchanged_and_migrated_when_written(
    tmp_path, with_final
):
    db = legacy_store(tmp_path / "old.db", with_final)
    before = digest(db)
    reader = RunStore(db, readonly=True)
    assert [m["loss"] for m in reader.members(7)] == ["l"]
    reader.close()
    assert digest(db) == before

    writer = RunStore(db)
    writer.close()
    assert header_ids(db) == (LOSS, SCHEMA_VERSION)
    con = sqlite3.connect(db)
    assert con.execute("SELECT id, name, finished FROM studies").fetchall() == [(7, "old", 2.0)]
    assert con.execute("SELECT value FROM series").fetchall() == [(0.5,)]
    assert {"final", "baseline"} <= {r[1] for r in con.execute("PRAGMA table_info(members)")}
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    # the members' foreign key still names studies: deleting the study cascades
    con.execute("PRAGMA foreign_keys = ON")
    con.execute("DELETE FROM studies WHERE id = 7")
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 0
    con.commit()
    con.close()
    store = RunStore(db)  # and ids are not reused after the migration either
    sid = store.open_study("new", "/new/out", {}, resume=False)
    store.close()
    assert sid == 8


# -- ids, writers, overwrite ------------------------------------------------------------
def test_study_ids_are_never_reused(tmp_path):
    store = RunStore(tmp_path / "s.db")
    a = store.open_study("a", "/o/a", {}, resume=False)
    b = store.open_study("b", "/o/b", {}, resume=False)
    store.release(b)
    store.db.execute("DELETE FROM studies WHERE id = ?", (b,))
    c = store.open_study("c", "/o/c", {}, resume=False)
    store.close()
    assert a < b < c


def test_a_second_writer_of_the_same_study_is_refused(tmp_path):
    db = tmp_path / "s.db"
    first = RunStore(db)
    first.open_study("s", "/o", {"x": 1}, resume=False)
    second = RunStore(db)
    with pytest.raises(BadInput, match="is being written by process"):
        second.open_study("s", "/o", {"x": 1}, resume=False)
    with pytest.raises(BadInput, match="is being written by process"):
        second.open_study("s", "/o", {"x": 1}, resume=True)
    first.close()  # an unfinished study's mark goes with its writer
    assert second.open_study("s", "/o", {"x": 1}, resume=True) >= 1
    second.close()


def test_a_stale_writer_mark_is_taken_over(tmp_path):
    db = tmp_path / "s.db"
    store = RunStore(db)
    sid = store.open_study("s", "/o", {}, resume=False)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mark = json.loads(store.db.execute("SELECT writer FROM studies").fetchone()[0])
    mark.update(pid=dead.pid, start=None)
    store.db.execute("UPDATE studies SET writer = ?", (json.dumps(mark),))
    store._held.clear()
    other = RunStore(db)
    assert other.open_study("s", "/o", {}, resume=True) == sid
    other.close()
    store.close()


def test_replacing_a_finished_study_needs_overwrite(tmp_path, config, finished, capsys):
    out, db = finished
    argv = ["run", str(config), "--out", str(out), "--db", str(db), "--quiet"]
    before = sqlite3.connect(db).execute("SELECT id FROM studies").fetchall()
    assert main(argv) == 2
    err = one_error_line(capsys)
    assert "--overwrite" in err and "owned" in err
    assert sqlite3.connect(db).execute("SELECT id FROM studies").fetchall() == before
    assert main([*argv, "--overwrite"]) == 0
    after = sqlite3.connect(db).execute("SELECT id FROM studies").fetchall()
    assert len(after) == 1 and after[0][0] > before[0][0]


def test_two_concurrent_runs_on_one_store(tmp_path):
    """The second run of the same study is refused with one line while the first trains;
    the first finishes and the store is sound."""
    import os
    import shutil
    import time

    config = tmp_path / "busy.toml"
    config.write_text(CONFIG.replace("steps = 4", "steps = 5000").replace("eval_every = 4",
                                                                          "eval_every = 5000"))
    out, db = tmp_path / "out", tmp_path / "store.db"
    losslab = shutil.which("losslab") or pytest.skip("the losslab console script is not installed")
    argv = [losslab, "run", str(config), "--out", str(out), "--db", str(db), "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    deadline = time.time() + 120
    marked = False
    while not marked and first.poll() is None and time.time() < deadline:
        time.sleep(0.1)
        if db.exists():
            try:
                con = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)
                marked = con.execute(
                    "SELECT COUNT(*) FROM studies WHERE writer IS NOT NULL"
                ).fetchone()[0] == 1
                con.close()
            except sqlite3.Error:
                pass
    assert marked, first.communicate()
    second = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
    assert first.poll() is None, "the first run ended before the second was tried"
    assert second.returncode == 2, second.stderr
    assert len(second.stderr.strip().splitlines()) == 1, second.stderr
    assert "is being written by process" in second.stderr and "Traceback" not in second.stderr
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT COUNT(*), MAX(finished IS NOT NULL), MAX(writer) FROM studies"
                       ).fetchone() == (1, 1, None)
    assert con.execute("SELECT COUNT(*) FROM members").fetchone()[0] == 1


def marked_v2_store(path):
    """A marked schema-2 store (losslab before the baselines), one study of one member."""
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE studies (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,
            out_dir TEXT NOT NULL, config TEXT NOT NULL, created REAL NOT NULL,
            finished REAL, writer TEXT, tuning TEXT);
        CREATE TABLE members (id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL
            REFERENCES studies(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
            loss TEXT NOT NULL, registry_name TEXT NOT NULL, dataset TEXT NOT NULL,
            seed INTEGER NOT NULL, hparams TEXT NOT NULL, status TEXT NOT NULL,
            diverged_step INTEGER, reason TEXT NOT NULL DEFAULT '',
            final TEXT NOT NULL DEFAULT '{}', cost TEXT NOT NULL DEFAULT '{}',
            UNIQUE (study_id, idx));
        CREATE TABLE series (member_id INTEGER NOT NULL, name TEXT NOT NULL,
            step INTEGER NOT NULL, value REAL);
        CREATE TABLE metrics (member_id INTEGER NOT NULL, step INTEGER NOT NULL,
            name TEXT NOT NULL, value REAL);
        CREATE TABLE samples (member_id INTEGER NOT NULL, kind TEXT NOT NULL,
            data BLOB NOT NULL);
        INSERT INTO studies VALUES (3, 'v2', '/x', '{}', 1.0, 2.0, NULL, NULL);
        INSERT INTO members VALUES (1, 3, 0, 'l', 'mse', 'd', 0, '{}', 'ok', NULL, '',
            '{"w1": 0.25}', '{"passes": 4}');
        INSERT INTO series VALUES (1, 'loss', 0, 0.5);
        """
    )
    con.execute(f"PRAGMA application_id = {LOSS}")
    con.execute("PRAGMA user_version = 2")
    con.commit()
    con.close()
    return path


def test_a_schema_2_store_is_read_as_it_is_and_upgraded_without_losing_a_row(tmp_path):
    """Schema 3 adds members.baseline: a reader leaves a schema-2 store's bytes alone, a
    writer adds the column in place and every row, value and id stays."""
    db = marked_v2_store(tmp_path / "v2.db")
    before = digest(db)
    reader = RunStore(db, readonly=True)
    (m,) = reader.members(3)
    assert (m["metrics"], m["cost"], m["baseline"]) == ({"w1": 0.25}, {"passes": 4}, {})
    reader.close()
    assert digest(db) == before and header_ids(db) == (LOSS, 2)

    writer = RunStore(db)
    (m,) = writer.members(3)
    assert (m["metrics"], m["cost"], m["baseline"]) == ({"w1": 0.25}, {"passes": 4}, {})
    writer.close()
    assert header_ids(db) == (LOSS, SCHEMA_VERSION) == (LOSS, 3)
    con = sqlite3.connect(db)
    assert con.execute("SELECT id, name, finished FROM studies").fetchall() == [(3, "v2", 2.0)]
    assert con.execute("SELECT value FROM series").fetchall() == [(0.5,)]
    assert con.execute("SELECT baseline FROM members").fetchall() == [("{}",)]
    con.close()
