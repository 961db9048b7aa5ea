"""Run a study end to end: config -> plan -> executor -> store -> report."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from losslab.report import build_report
from losslab.study.config import load_config
from losslab.study.executor import run_in_process
from losslab.study.planner import plan
from losslab.study.store import RunStore


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "study"


@dataclass(frozen=True)
class StudyRun:
    summary: dict[str, Any]
    out_dir: Path
    db_path: Path


def run_study(
    config_path: str | Path,
    out: str | Path | None = None,
    db: str | Path | None = None,
    seeds: int | None = None,
    steps: int | None = None,
    resume: bool = False,
    progress: bool = True,
) -> StudyRun:
    """Run the study in ``config_path``; its summary is also written to ``out``.

    ``out`` defaults to ``runs/<study name>``, the store to ``<out>/../losslab.db``.
    With ``resume``, ensembles already in the store are not trained again.
    """
    overrides: dict[str, dict[str, Any]] = {}
    if seeds is not None:
        overrides["study"] = {"seeds": seeds}
    if steps is not None:
        overrides["train"] = {"steps": steps}
    config = load_config(config_path, overrides)
    out_dir = Path(out) if out is not None else Path("runs") / slug(config.study.name)
    out_dir.mkdir(parents=True, exist_ok=True)
    db_path = Path(db) if db is not None else out_dir.resolve().parent / "losslab.db"
    store = RunStore(db_path)
    try:
        study_id = store.open_study(
            config.study.name, str(out_dir.resolve()), config.model_dump(mode="json"), resume
        )
        done = store.completed(study_id)
        tasks = [t for t in plan(config) if not all(m.index in done for m in t.members)]
        total = sum(t.steps for t in tasks)
        with tqdm(
            total=total, unit="step", desc=config.study.name, disable=not progress or None
        ) as bar:
            for rows in run_in_process(tasks, bar.update):
                store.write_members(study_id, rows)
        store.finish_study(study_id)
        return StudyRun(build_report(store, study_id, out_dir), out_dir, db_path)
    finally:
        store.close()
