"""The run store: a SQLite database (standard library) holding every study.

Tables::

    studies (id, name, out_dir, config, created, finished)
    members (id, study_id, idx, loss, registry_name, dataset, seed, hparams,
             status, diverged_step, reason)             -- one row per member
    series  (member_id, name, step, value)              -- per-step training series
    metrics (member_id, step, name, value)              -- sample metrics at checkpoints
    samples (member_id, kind, data)                     -- final generated / reference samples

Each ensemble's members are written in one transaction, so a study killed at
any point leaves only whole ensembles behind; ``--resume`` skips them.
"""

from __future__ import annotations

import io
import json
import sqlite3
import time
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import BadInput

SCHEMA = """
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, out_dir TEXT NOT NULL, config TEXT NOT NULL,
    created REAL NOT NULL, finished REAL
);
CREATE TABLE IF NOT EXISTS members (
    id INTEGER PRIMARY KEY, study_id INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL, loss TEXT NOT NULL, registry_name TEXT NOT NULL, dataset TEXT NOT NULL,
    seed INTEGER NOT NULL, hparams TEXT NOT NULL, status TEXT NOT NULL,
    diverged_step INTEGER, reason TEXT NOT NULL DEFAULT '',
    final TEXT NOT NULL DEFAULT '{}',  -- the trainer's final metrics (JSON, null for NaN)
    UNIQUE (study_id, idx)
);
CREATE TABLE IF NOT EXISTS series (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    name TEXT NOT NULL, step INTEGER NOT NULL, value REAL
);
CREATE INDEX IF NOT EXISTS series_member ON series (member_id, name);
CREATE TABLE IF NOT EXISTS metrics (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    step INTEGER NOT NULL, name TEXT NOT NULL, value REAL
);
CREATE INDEX IF NOT EXISTS metrics_member ON metrics (member_id);
CREATE TABLE IF NOT EXISTS samples (
    member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind TEXT NOT NULL, data BLOB NOT NULL
);
"""


def _blob(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()


def _unblob(b: bytes) -> np.ndarray:
    return np.load(io.BytesIO(b), allow_pickle=False)


def _finite_or_none(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


class RunStore:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.executescript(SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(members)")}
        if "final" not in columns:  # a store written before final metrics had a column
            with self.db:
                self.db.execute("ALTER TABLE members ADD COLUMN final TEXT NOT NULL DEFAULT '{}'")

    def close(self) -> None:
        self.db.close()

    # -- writing -----------------------------------------------------------------
    def open_study(self, name: str, out_dir: str, config: dict[str, Any], resume: bool) -> int:
        """The study to write into. ``resume`` reuses an unfinished study with the same
        config and output folder; otherwise an earlier study in ``out_dir`` is replaced."""
        config_json = json.dumps(config, sort_keys=True)
        row = self.db.execute(
            "SELECT id, config FROM studies WHERE out_dir = ? ORDER BY id DESC LIMIT 1", (out_dir,)
        ).fetchone()
        if resume and row is not None:
            if row[1] != config_json:
                raise BadInput(
                    f"--resume: the config differs from the study stored for {out_dir}; "
                    "run without --resume to start over"
                )
            return int(row[0])
        with self.db:
            if row is not None:
                self.db.execute("DELETE FROM studies WHERE out_dir = ?", (out_dir,))
            cur = self.db.execute(
                "INSERT INTO studies (name, out_dir, config, created) VALUES (?, ?, ?, ?)",
                (name, out_dir, config_json, time.time()),
            )
        return int(cur.lastrowid)

    def completed(self, study_id: int) -> set[int]:
        rows = self.db.execute("SELECT idx FROM members WHERE study_id = ?", (study_id,))
        return {r[0] for r in rows}

    def write_members(self, study_id: int, rows: Iterable[dict[str, Any]]) -> None:
        """Write members with their series, metrics and samples in one transaction.

        Each row: ``idx, loss, registry_name, dataset, seed, hparams, status,
        diverged_step, reason, series_steps, series{name: values},
        checkpoint_steps, checkpoints{name: values}, samples{kind: array}``.
        """
        with self.db:
            for r in rows:
                cur = self.db.execute(
                    "INSERT INTO members (study_id, idx, loss, registry_name, dataset, seed,"
                    " hparams, status, diverged_step, reason, final)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        with self.db:
            self.db.execute("UPDATE studies SET finished = ? WHERE id = ?", (time.time(), study_id))

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
        """Members in study order, each with the final metrics its trainer reported
        (empty unless the member is ok)."""
        rows = self.db.execute(
            "SELECT id, idx, loss, registry_name, dataset, seed, hparams, status, diverged_step,"
            " reason, final FROM members WHERE study_id = ? ORDER BY idx",
            (study_id,),
        ).fetchall()
        keys = ("member_id", "index", "loss", "registry_name", "dataset", "seed", "hparams",
                "status", "diverged_step", "reason", "metrics")
        out = []
        for row in rows:
            m = dict(zip(keys, row, strict=True))
            m["hparams"] = json.loads(m["hparams"])
            final = json.loads(m["metrics"]) if m["status"] == "ok" else {}
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
