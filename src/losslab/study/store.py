"""The run store: a SQLite database (standard library) holding every study.

Tables::

    studies (id, name, out_dir, config, created, finished, writer)
    members (id, study_id, idx, loss, registry_name, dataset, seed, hparams,
             status, diverged_step, reason, final, cost,
             baseline)                                  -- one row per member
    series  (member_id, name, step, value)              -- per-step training series
    metrics (member_id, step, name, value)              -- sample metrics at checkpoints
    samples (member_id, kind, data)                     -- final generated / reference samples

Each ensemble's members are written in one transaction, so a study killed at
any point leaves only whole ensembles behind; ``--resume`` skips them.

What the store owns (DESIGN.md): a losslab store is marked in its SQLite header
with ``PRAGMA application_id`` = :data:`APPLICATION_ID` (``0x4C4F5353``, "LOSS" in
ASCII) and ``PRAGMA user_version`` = :data:`SCHEMA_VERSION`. A missing or 0-byte
file becomes a store only when opened for writing. Any other file -- not SQLite,
damaged, another application's database -- is refused with :class:`BadInput`
before anything is written to it, so its bytes stay as they were; the one
exception is an unmarked store of an older losslab, recognised by its exact
tables, which is migrated (in one transaction) and marked when opened for
writing. Readers (``report``, ``compare``) open the store read-only.

Study ids are never reused (``AUTOINCREMENT``). A study being written carries its
writer (pid, host, process start) in ``studies.writer``, checked and set in one
``BEGIN IMMEDIATE`` transaction, so a second writer of the same study is refused;
a marker whose process is gone from this host is stale and taken over.
"""

from __future__ import annotations

import io
import json
import os
import socket
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import BadInput
from losslab.metrics.baselines import SCORED

APPLICATION_ID = 0x4C4F5353
"""``PRAGMA application_id`` of a losslab store: the bytes "LOSS" in ASCII."""
SCHEMA_VERSION = 3
"""``PRAGMA user_version`` of a store of this schema. Older, unmarked losslab stores:
0 (members without ``final``), 1 (with it); both are migrated when opened for writing.
Marked schema 2 lacks ``members.baseline`` (the trivial baseline a member was judged
against, :mod:`losslab.metrics.baselines`): the column is added when such a store is
opened for writing (every row kept; its members read ``baseline = {}``), and a schema-2
store is read as it is when opened read-only."""
MARKED_VERSIONS = (2, SCHEMA_VERSION)
"""The schema versions of marked losslab stores this losslab reads."""
BUSY_TIMEOUT = 30.0  # seconds a writer waits for another process's transaction

_STUDIES = """
CREATE TABLE studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, out_dir TEXT NOT NULL,
    config TEXT NOT NULL, created REAL NOT NULL, finished REAL,
    writer TEXT,  -- JSON {pid, host, start} of the process writing the study, else NULL
    tuning TEXT  -- JSON: a tuned study's spaces, trials and chosen settings, else NULL
);
"""
SCHEMA = _STUDIES + """
CREATE TABLE members (
    id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, loss TEXT NOT NULL, registry_name TEXT NOT NULL, dataset TEXT NOT NULL,
    seed INTEGER NOT NULL, hparams TEXT NOT NULL, status TEXT NOT NULL,
    diverged_step INTEGER, reason TEXT NOT NULL DEFAULT '',
    final TEXT NOT NULL DEFAULT '{}',  -- the trainer's final metrics (JSON, null for NaN)
    cost TEXT NOT NULL DEFAULT '{}',  -- JSON {passes, seconds}: what training the member cost
    baseline TEXT NOT NULL DEFAULT '{}',  -- JSON: the trivial baseline it was judged against
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
CREATE INDEX metrics_member ON metrics (member_id);
CREATE TABLE samples (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, data BLOB NOT NULL
);
"""

# The exact tables of the unmarked stores earlier losslab versions wrote (by version).
_LEGACY_MEMBERS = [
    "id", "study_id", "idx", "loss", "registry_name", "dataset", "seed", "hparams", "status",
    "diverged_step", "reason",
]
_LEGACY_TABLES = {
    "studies": ["id", "name", "out_dir", "config", "created", "finished"],
    "series": ["member_id", "name", "step", "value"],
    "metrics": ["member_id", "step", "name", "value"],
    "samples": ["member_id", "kind", "data"],
}
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _blob(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _unblob(b: bytes) -> np.ndarray:
    return np.load(io.BytesIO(b), allow_pickle=False)


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _finite_json(obj: Any) -> Any:
    """``obj`` with every non-finite float as None (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _finite_json(v) for k, v in obj.items()}
    if isinstance(obj, float):
        return _finite_or_none(obj)
    return obj


# -- who is writing -------------------------------------------------------------------
def _process_start(pid: int) -> str | None:
    """The start time of process ``pid`` (Linux: /proc/PID/stat field 22), so that a
    reused pid is not mistaken for the writer; None where it cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def this_writer() -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "start": _process_start(os.getpid())}


def writer_alive(writer: dict[str, Any]) -> bool:
    """Whether the process that marked a study is still running. A writer on another host
    cannot be checked from here and counts as alive."""
    if writer.get("host") != socket.gethostname():
        return True
    pid = int(writer.get("pid", -1))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    start = writer.get("start")
    return start is None or _process_start(pid) in (None, start)


# -- opening ----------------------------------------------------------------------------
def _uri(path: Path, mode: str) -> str:
    return f"{path.resolve().as_uri()}?mode={mode}"


def _legacy_version(con: sqlite3.Connection) -> int | None:
    """0 or 1 if ``con`` holds exactly the tables of an unmarked older losslab store."""
    names = {
        r[0]
        for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].startswith("sqlite_")
    }
    if names != {*_LEGACY_TABLES, "members"}:
        return None

    def columns(table: str) -> list[str]:
        return [r[1] for r in con.execute(f"PRAGMA table_info({table})")]

    if any(columns(t) != cols for t, cols in _LEGACY_TABLES.items()):
        return None
    members = columns("members")
    if members == _LEGACY_MEMBERS:
        return 0
    if members == [*_LEGACY_MEMBERS, "final"]:
        return 1
    return None


def _header_problem(path: Path, head: bytes, size: int) -> str | None:
    """Why the first 100 bytes of ``path`` are not those of a whole SQLite database."""
    if len(head) < 100 or not head.startswith(_SQLITE_MAGIC):
        return "not an SQLite database"
    page = int.from_bytes(head[16:18], "big")
    page = 65536 if page == 1 else page
    pages = int.from_bytes(head[28:32], "big")
    # the page count in the header is valid when the change counter matches (SQLite docs, 1.3)
    if head[24:28] == head[92:96] and pages and size < pages * page:
        return f"truncated: {size} bytes of the {pages * page} its header declares"
    return None


def inspect_store(path: str | Path, writing: bool) -> int | None:
    """The schema version of the losslab store at ``path``, or None where a new store
    may be created there (no file, or a 0-byte file, and ``writing``).

    Reads only (a read-only connection). Raises :class:`BadInput` naming the file for
    anything that is not a losslab store; the file is left exactly as it was.
    """
    path = Path(path)
    kept = "; it was left unchanged"
    if path.is_dir():
        raise BadInput(f"{path}: is a directory, not a run store (give a file path to --db)")
    if not path.exists():
        if writing:
            return None
        raise BadInput(f"no run store at {path}")
    if not path.is_file():
        raise BadInput(f"{path}: not a regular file; a run store is an SQLite file")
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(100)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the run store ({exc.strerror or exc})") from None
    if size == 0:
        if writing:
            return None
        raise BadInput(f"{path}: an empty file, not a losslab run store")
    problem = _header_problem(path, head, size)
    if problem is not None:
        raise BadInput(f"{path}: not a losslab run store ({problem}){kept}")
    try:
        con = sqlite3.connect(_uri(path, "ro"), uri=True)
    except sqlite3.Error as exc:
        raise BadInput(f"{path}: cannot open the run store ({exc})") from None
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        version = con.execute("PRAGMA user_version").fetchone()[0]
        if app_id == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise BadInput(
                    f"{path}: a run store of a newer losslab (schema {version}; this one "
                    f"reads up to {SCHEMA_VERSION}); upgrade losslab"
                )
            if version not in MARKED_VERSIONS:
                raise BadInput(f"{path}: a losslab run store of unknown schema {version}{kept}")
            return version
        if app_id != 0:
            raise BadInput(
                f"{path}: the SQLite database of another application (application_id "
                f"{app_id:#010x}), not a losslab run store{kept}"
            )
        legacy = _legacy_version(con)
        if legacy is None:
            raise BadInput(f"{path}: an SQLite database, but not a losslab run store{kept}")
        return legacy
    except sqlite3.DatabaseError as exc:
        raise BadInput(f"{path}: not a readable SQLite database ({exc}){kept}") from None
    finally:
        con.close()


def check_writable_store(path: str | Path) -> int | None:
    """:func:`inspect_store` for writing, plus: the store's folder can be created and
    written (SQLite writes a journal beside the file) and an existing store is writable.
    Creates nothing but the folder."""
    path = Path(path)
    version = inspect_store(path, writing=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"--db {path}: cannot create its folder ({exc.strerror or exc})") from None
    if path.exists() and not os.access(path, os.W_OK):
        raise BadInput(f"--db {path}: the run store is not writable")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise BadInput(f"--db {path}: its folder is not writable (SQLite writes a journal there)")
    return version


def _create(con: sqlite3.Connection) -> None:
    con.execute("BEGIN IMMEDIATE")
    try:
        if con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            con.execute("COMMIT")  # another process created it meanwhile
            return
        for statement in SCHEMA.split(";"):
            if statement.strip():
                con.execute(statement)
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _migrate(con: sqlite3.Connection, version: int) -> None:
    """An unmarked older losslab store -> this schema, marked, in one transaction
    (foreign keys off while ``studies`` is rebuilt with AUTOINCREMENT and ``writer``)."""
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("BEGIN IMMEDIATE")
    try:
        if con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID:
            con.execute("COMMIT")  # another process migrated it meanwhile
            return
        if version == 0:
            con.execute("ALTER TABLE members ADD COLUMN final TEXT NOT NULL DEFAULT '{}'")
        con.execute("ALTER TABLE members ADD COLUMN cost TEXT NOT NULL DEFAULT '{}'")
        con.execute(_ADD_BASELINE)
        # SQLite's recipe for changing a table (new table, copy, drop, rename), so the
        # members' foreign key keeps naming `studies`
        con.execute(_STUDIES.replace("CREATE TABLE studies", "CREATE TABLE studies_new"))
        con.execute(
            "INSERT INTO studies_new (id, name, out_dir, config, created, finished)"
            " SELECT id, name, out_dir, config, created, finished FROM studies"
        )
        con.execute("DROP TABLE studies")
        con.execute("ALTER TABLE studies_new RENAME TO studies")
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("PRAGMA foreign_keys = ON")


_ADD_BASELINE = "ALTER TABLE members ADD COLUMN baseline TEXT NOT NULL DEFAULT '{}'"


def _upgrade(con: sqlite3.Connection, version: int) -> None:
    """A marked store of schema ``version`` (2) -> this schema, in one transaction: only
    columns are added, so every row stays as it was."""
    con.execute("BEGIN IMMEDIATE")
    try:
        if con.execute("PRAGMA user_version").fetchone()[0] != version:
            con.execute("COMMIT")  # another process upgraded it meanwhile
            return
        con.execute(_ADD_BASELINE)
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


class RunStore:
    """A losslab run store. ``readonly``: opened with ``mode=ro`` (``report``, ``compare``),
    so nothing can be written, migrated or created; an older unmarked store is read as it is.
    """

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        self._held: set[int] = set()  # studies this object marked as their writer
        if readonly:
            version = inspect_store(self.path, writing=False)
            self.version = SCHEMA_VERSION if version is None else version
            self.db = sqlite3.connect(_uri(self.path, "ro"), uri=True, isolation_level=None)
            return
        version = check_writable_store(self.path)
        try:
            self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        except sqlite3.Error as exc:
            raise BadInput(f"--db {self.path}: cannot open it ({exc})") from None
        self.db.execute("PRAGMA foreign_keys = ON")
        if version is None:
            _create(self.db)
        elif version < MARKED_VERSIONS[0]:
            _migrate(self.db, version)
        elif version < SCHEMA_VERSION:
            _upgrade(self.db, version)
        self.version = SCHEMA_VERSION

    def close(self) -> None:
        for study_id in list(self._held):
            self.release(study_id)
        self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction, its write lock taken at the start (``BEGIN IMMEDIATE``)."""
        if self.readonly:
            raise RuntimeError(f"{self.path} was opened read-only")
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- writing -----------------------------------------------------------------
    def open_study(
        self,
        name: str,
        out_dir: str,
        config: dict[str, Any],
        resume: bool,
        overwrite: bool = False,
    ) -> int:
        """The study to write into, marked as written by this process.

        ``resume`` reuses the study stored for ``out_dir`` (same config); otherwise an
        unfinished earlier study there is replaced, a finished one only with
        ``overwrite``. A study another live process is writing is refused.
        """
        config_json = json.dumps(config, sort_keys=True)
        me = json.dumps(this_writer(), sort_keys=True)
        with self._transaction():
            row = self.db.execute(
                "SELECT id, config, finished, writer, name FROM studies WHERE out_dir = ?"
                " ORDER BY id DESC LIMIT 1",
                (out_dir,),
            ).fetchone()
            if row is not None and row[3] is not None:
                writer = json.loads(row[3])
                if writer_alive(writer):
                    raise BadInput(
                        f"{out_dir}: study {row[4]!r} is being written by process "
                        f"{writer.get('pid')} on {writer.get('host')} (run store {self.path}); "
                        "wait for it to finish or use another --out"
                    )
            if resume and row is not None:
                if row[1] != config_json:
                    raise BadInput(
                        f"--resume: the config differs from the study stored for {out_dir}; "
                        "run without --resume to start over"
                    )
                self.db.execute("UPDATE studies SET writer = ? WHERE id = ?", (me, row[0]))
                study_id = int(row[0])
            else:
                if row is not None and row[2] is not None and not overwrite:
                    raise BadInput(
                        f"{out_dir} already holds the finished study {row[4]!r} (#{row[0]} in "
                        f"{self.path}); pass --overwrite to replace it, or choose another --out"
                    )
                if row is not None:
                    self.db.execute("DELETE FROM studies WHERE out_dir = ?", (out_dir,))
                cur = self.db.execute(
                    "INSERT INTO studies (name, out_dir, config, created, writer)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (name, out_dir, config_json, time.time(), me),
                )
                study_id = int(cur.lastrowid)
        self._held.add(study_id)
        return study_id

    def release(self, study_id: int) -> None:
        """Clear this process's writer mark on the study (the study stays as it is)."""
        self._held.discard(study_id)
        with self._transaction():
            self.db.execute(
                "UPDATE studies SET writer = NULL WHERE id = ? AND writer = ?",
                (study_id, json.dumps(this_writer(), sort_keys=True)),
            )

    def completed(self, study_id: int) -> set[int]:
        rows = self.db.execute("SELECT idx FROM members WHERE study_id = ?", (study_id,))
        return {r[0] for r in rows}

    def write_members(self, study_id: int, rows: Iterable[dict[str, Any]]) -> None:
        """Write members with their series, metrics and samples in one transaction.

        Each row: ``idx, loss, registry_name, dataset, seed, hparams, status,
        diverged_step, reason, series_steps, series{name: values},
        checkpoint_steps, checkpoints{name: values}, samples{kind: array}``.
        """
        with self._transaction():
            for r in rows:
                cur = self.db.execute(
                    "INSERT INTO members (study_id, idx, loss, registry_name, dataset, seed,"
                    " hparams, status, diverged_step, reason, final, cost, baseline)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        study_id,
                        r["idx"],
                        r["loss"],
                        r["registry_name"],
                        r["dataset"],
                        r["seed"],
                        json.dumps(r["hparams"], sort_keys=True),
                        r["status"],
                        r["diverged_step"],
                        r["reason"],
                        json.dumps({k: _finite_or_none(v) for k, v in r["metrics"].items()}),
                        json.dumps(r.get("cost", {})),
                        json.dumps(_finite_json(r.get("baseline", {})), sort_keys=True),
                    ),
                )
                mid = cur.lastrowid
                steps = [int(s) for s in r["series_steps"]]
                self.db.executemany(
                    "INSERT INTO series VALUES (?, ?, ?, ?)",
                    (
                        (mid, name, st, _finite_or_none(v))
                        for name, values in r["series"].items()
                        for st, v in zip(steps, values, strict=True)
                    ),
                )
                self.db.executemany(
                    "INSERT INTO metrics VALUES (?, ?, ?, ?)",
                    (
                        (mid, int(st), name, _finite_or_none(v))
                        for name, values in r["checkpoints"].items()
                        for st, v in zip(r["checkpoint_steps"], values, strict=True)
                    ),
                )
                self.db.executemany(
                    "INSERT INTO samples VALUES (?, ?, ?)",
                    ((mid, kind, _blob(a)) for kind, a in r["samples"].items() if a is not None),
                )

    def finish_study(self, study_id: int) -> None:
        """Mark the study finished and no longer being written."""
        with self._transaction():
            self.db.execute(
                "UPDATE studies SET finished = ?, writer = NULL WHERE id = ?",
                (time.time(), study_id),
            )
        self._held.discard(study_id)

    def set_tuning(self, study_id: int, record: dict[str, Any]) -> None:
        """Keep a tuned study's record (spaces, trials, chosen settings) with the study."""
        with self._transaction():
            self.db.execute(
                "UPDATE studies SET tuning = ? WHERE id = ?",
                (json.dumps(record, sort_keys=True, allow_nan=True), study_id),
            )

    def tuning(self, study_id: int) -> dict[str, Any] | None:
        """The tuning record of a tuned study, else None."""
        if self.version < 2:
            return None
        row = self.db.execute("SELECT tuning FROM studies WHERE id = ?", (study_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    # -- reading -----------------------------------------------------------------
    def studies(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT s.id, s.name, s.out_dir, s.created, s.finished, COUNT(m.id) FROM studies s"
            " LEFT JOIN members m ON m.study_id = s.id GROUP BY s.id ORDER BY s.id"
        )
        keys = ("id", "name", "out_dir", "created", "finished", "members")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def study(self, study_id: int) -> dict[str, Any]:
        row = self.db.execute(
            "SELECT name, out_dir, config FROM studies WHERE id = ?", (study_id,)
        ).fetchone()
        if row is None:
            raise KeyError(study_id)
        return {"id": study_id, "name": row[0], "out_dir": row[1], "config": json.loads(row[2])}

    def find_study(self, ref: str | Path) -> int | None:
        """The study a user means by ``ref``: its id, its output folder, or its name.

        An integer string is tried as an id first; then the folder (resolved, as
        the runner stores it); then the name (the latest study of that name).
        ``None`` if nothing matches.
        """
        text = str(ref)
        if text.isdigit():
            row = self.db.execute("SELECT id FROM studies WHERE id = ?", (int(text),)).fetchone()
            if row is not None:
                return int(row[0])
        for sql, value in (
            ("SELECT id FROM studies WHERE out_dir = ?", str(Path(text).resolve())),
            ("SELECT id FROM studies WHERE name = ?", text),
        ):
            row = self.db.execute(sql + " ORDER BY id DESC LIMIT 1", (value,)).fetchone()
            if row is not None:
                return int(row[0])
        return None

    def is_finished(self, study_id: int) -> bool:
        row = self.db.execute("SELECT finished FROM studies WHERE id = ?", (study_id,)).fetchone()
        return row is not None and row[0] is not None

    def members(self, study_id: int) -> list[dict[str, Any]]:
        """Members in study order, each with the final metrics its trainer reported (empty
        unless the member is ``ok`` or ``not-converged``) and the baseline it was judged
        against (``{}`` in stores older than schema 3)."""
        final = "final" if self.version >= 1 else "'{}'"  # a version-0 store, read-only
        cost = "cost" if self.version >= 2 else "'{}'"  # an older one, read-only
        baseline = "baseline" if self.version >= 3 else "'{}'"
        rows = self.db.execute(
            "SELECT id, idx, loss, registry_name, dataset, seed, hparams, status, diverged_step,"
            f" reason, {final}, {cost}, {baseline} FROM members WHERE study_id = ? ORDER BY idx",
            (study_id,),
        ).fetchall()
        keys = ("member_id", "index", "loss", "registry_name", "dataset", "seed", "hparams",
                "status", "diverged_step", "reason", "metrics", "cost", "baseline")
        out = []
        for row in rows:
            m = dict(zip(keys, row, strict=True))
            m["hparams"] = json.loads(m["hparams"])
            m["cost"] = json.loads(m["cost"])
            m["baseline"] = json.loads(m["baseline"])
            final = json.loads(m["metrics"]) if m["status"] in SCORED else {}
            m["metrics"] = {k: (float("nan") if v is None else v) for k, v in final.items()}
            out.append(m)
        return out

    def series(self, member_id: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self._curves(
            "SELECT name, step, value FROM series WHERE member_id = ? ORDER BY name, step",
            member_id,
        )

    def checkpoints(self, member_id: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self._curves(
            "SELECT name, step, value FROM metrics WHERE member_id = ? ORDER BY name, step",
            member_id,
        )

    def samples(self, member_id: int) -> dict[str, np.ndarray]:
        rows = self.db.execute("SELECT kind, data FROM samples WHERE member_id = ?", (member_id,))
        return {kind: _unblob(data) for kind, data in rows}

    def _curves(self, sql: str, member_id: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        acc: dict[str, tuple[list[int], list[float]]] = defaultdict(lambda: ([], []))
        for name, step, value in self.db.execute(sql, (member_id,)):
            acc[name][0].append(step)
            acc[name][1].append(np.nan if value is None else value)
        return {n: (np.array(s), np.array(v, dtype=float)) for n, (s, v) in acc.items()}
