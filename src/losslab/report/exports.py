"""Replay a finished study from the run store into TensorBoard or MLflow.

One run per member, named ``<loss>/seed<k>``, so the seeds of a loss overlay in
either tool. Both exporters read the store only; they are optional extras:
``pip install 'losslab[tensorboard]'`` (tensorboardX) and
``pip install 'losslab[mlflow]'``. Scalars carry the training step:

- ``series/<name>``: per-step training series (D/G losses, gradient norms, ...);
- ``metrics/<name>``: sample metrics at the checkpoints;
- MLflow also gets ``final/<name>`` (the last checkpoint, ok members only),
  params ``loss, registry_name, dataset, seed, status, hparams.<name>`` and the
  study's figures as artifacts under ``figures/``.

Non-finite values (after a member diverged) are not written. Exporting twice
into the same place adds a second copy of every run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from losslab.errors import BadInput
from losslab.report.figures import slugify
from losslab.study.store import RunStore

MLFLOW_BATCH = {"metrics": 1000, "params": 100, "tags": 100}  # MLflow's per-request limits


def open_finished_study(run_dir: str | Path, db: str | Path | None = None) -> tuple[RunStore, int]:
    """The store (``db``, default ``RUN_DIR/../losslab.db``) and ``run_dir``'s finished study."""
    out_dir = Path(run_dir).resolve()
    db_path = Path(db) if db is not None else out_dir.parent / "losslab.db"
    if not db_path.is_file():
        raise BadInput(f"no run store at {db_path} (give --db PATH)")
    store = RunStore(db_path, readonly=True)  # an export only reads the store
    found = [s for s in store.studies() if s["out_dir"] == str(out_dir)]
    if not found:
        store.close()
        raise BadInput(f"{db_path} holds no study written to {out_dir}")
    if found[-1]["finished"] is None:
        store.close()
        raise BadInput(f"the study in {out_dir} is not finished; complete it with `--resume`")
    return store, int(found[-1]["id"])


def _points(curves: dict[str, tuple[np.ndarray, np.ndarray]], group: str) -> Iterator[tuple]:
    for name, (steps, values) in curves.items():
        for step, value in zip(steps, values, strict=True):
            if np.isfinite(value):
                yield f"{group}/{name}", float(value), int(step)


def _member_lines(m: dict[str, Any]) -> str:
    lines = [f"{k}: {m[k]}" for k in ("loss", "registry_name", "dataset", "seed", "status")]
    lines += [f"hparams.{k}: {v}" for k, v in sorted(m["hparams"].items())]
    if m["status"] != "ok":
        lines += [f"step: {m['diverged_step']}", f"reason: {m['reason']}"]
    return "\n\n".join(lines)


def export_tensorboard(store: RunStore, study_id: int, log_dir: str | Path) -> list[Path]:
    """Write one TensorBoard run per member under ``log_dir/<loss slug>/seed<k>``."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        raise BadInput(
            "--tensorboard needs tensorboardX: pip install 'losslab[tensorboard]'"
        ) from None
    members = store.members(study_id)
    slugs = slugify(m["loss"] for m in members)
    written = []
    for m in members:
        run_dir = Path(log_dir) / slugs[m["loss"]] / f"seed{m['seed']}"
        writer = SummaryWriter(logdir=str(run_dir))
        try:
            for group, curves in (
                ("series", store.series(m["member_id"])),
                ("metrics", store.checkpoints(m["member_id"])),
            ):
                for tag, value, step in _points(curves, group):
                    writer.add_scalar(tag, value, step)
            writer.add_text("member", _member_lines(m))
        finally:
            writer.close()
        written.append(run_dir)
    return written


def _artifact_root(uri: str) -> str | None:
    # Without this, MLflow puts artifacts in ./mlruns of whatever folder it runs in.
    if uri.startswith("sqlite:///"):
        return (Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts").as_uri()
    return None


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _figures_of(label_slug: str, slugs: Sequence[str], figures: Sequence[Path]) -> list[Path]:
    """A loss's own figures (``*_<its slug>.png``) and the study-wide ones."""

    def owner(path: Path) -> str | None:
        return next((s for s in slugs if path.stem.endswith(f"_{s}")), None)

    return [f for f in figures if owner(f) in (None, label_slug)]


def export_mlflow(
    store: RunStore, study_id: int, uri: str, figures: Sequence[Path] = ()
) -> list[str]:
    """Log one MLflow run per member into the experiment named after the study; returns run ids.

    ``uri`` is passed to :class:`mlflow.tracking.MlflowClient` as is (``MLFLOW_TRACKING_URI``
    is not consulted), e.g. ``sqlite:///runs/mlflow.db``; with a sqlite URI the
    artifacts go to ``mlartifacts/`` beside the database.
    """
    if "://" not in uri and not uri.startswith("file:"):
        raise BadInput(f"--mlflow {uri!r}: give an explicit URI, e.g. sqlite:///runs/mlflow.db")
    try:
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.tracking import MlflowClient
    except ImportError:
        raise BadInput("--mlflow needs mlflow: pip install 'losslab[mlflow]'") from None
    client = MlflowClient(tracking_uri=uri)
    study = store.study(study_id)
    experiment = client.get_experiment_by_name(study["name"])
    exp_id = (
        experiment.experiment_id
        if experiment is not None
        else client.create_experiment(study["name"], artifact_location=_artifact_root(uri))
    )
    members = store.members(study_id)
    slugs = slugify(m["loss"] for m in members)
    now = int(time.time() * 1000)
    run_ids = []
    for m in members:
        tags = {"losslab.study": study["name"], "losslab.status": m["status"]}
        if m["status"] != "ok":
            tags.update({"losslab.step": str(m["diverged_step"]), "losslab.reason": m["reason"]})
        run = client.create_run(exp_id, run_name=f"{m['loss']}/seed{m['seed']}", tags=tags)
        rid = run.info.run_id
        params = {k: m[k] for k in ("loss", "registry_name", "dataset", "seed", "status")}
        params.update({f"hparams.{k}": v for k, v in m["hparams"].items()})
        mid = m["member_id"]
        points = [
            *_points(store.series(mid), "series"),
            *_points(store.checkpoints(mid), "metrics"),
        ]
        points += [(f"final/{k}", float(v), 0) for k, v in m["metrics"].items() if np.isfinite(v)]
        batches = {
            "params": [Param(k, str(v)) for k, v in params.items()],
            "metrics": [Metric(k, v, now, step) for k, v, step in points],
            "tags": [RunTag("losslab.member", str(m["index"]))],
        }
        for kind, items in batches.items():
            for chunk in _chunks(items, MLFLOW_BATCH[kind]):
                client.log_batch(rid, **{kind: chunk})
        for path in _figures_of(slugs[m["loss"]], list(slugs.values()), figures):
            client.log_artifact(rid, str(path), artifact_path="figures")
        client.set_terminated(rid, "FAILED" if m["status"] == "failed" else "FINISHED")
        run_ids.append(rid)
    return run_ids
