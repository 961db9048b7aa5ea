"""Shared fixtures: a run store filled with a small fake study (no training)."""

import numpy as np
import pytest

from losslab.study.store import RunStore

SERIES_NAMES = (
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "d_accuracy",
    "d_penalty",
    "d_grad_norm",
    "g_grad_norm",
    "g_grad_mean",
    "g_layer_grad_norm/0",
    "g_layer_grad_norm/1",
)
METRICS = ("w1", "ks", "energy", "mean_error", "std_error")
STEPS = np.arange(5, 101, 5)
CHECKPOINTS = [0, 50, 100]
DIVERGED_STEP = 40


def make_row(idx, loss, seed, status="ok", registry="nonsaturating-bce"):
    rng = np.random.default_rng(idx)
    reference = rng.normal(0.0, 1.0, size=(200, 1))
    row = {
        "idx": idx,
        "loss": loss,
        "registry_name": registry,
        "dataset": "gaussian",
        "seed": seed,
        "hparams": {"lr": 1e-3, "n_critic": 1},
        "status": status,
        "diverged_step": None,
        "reason": "",
        "metrics": {},
        "series_steps": [],
        "series": {},
        "checkpoint_steps": [],
        "checkpoints": {},
        "samples": {"generated": None, "reference": reference},
    }
    if status == "failed":
        row["reason"] = "RuntimeError: boom <b>bold</b>"
        row["samples"] = {"generated": None, "reference": None}
        return row
    decay = np.exp(-STEPS / 50.0)
    series = {name: 0.5 + decay + 0.05 * rng.normal(size=STEPS.size) for name in SERIES_NAMES}
    series["g_grad_mean"] = 0.1 * decay * rng.normal(size=STEPS.size)
    series["d_accuracy"] = np.clip(0.5 + 0.3 * decay, 0, 1)
    metrics = {m: [1.0, 0.4 + 0.1 * rng.random(), 0.1 + 0.1 * rng.random()] for m in METRICS}
    if status == "diverged":
        row["diverged_step"], row["reason"] = DIVERGED_STEP, "loss became NaN"
        for v in series.values():
            v[STEPS > DIVERGED_STEP] = np.nan
        metrics = {m: [1.0, np.nan, np.nan] for m in METRICS}
    else:
        row["samples"]["generated"] = rng.normal(0.1, 1.1, size=(200, 1))
    row.update(series_steps=STEPS, series=series, checkpoint_steps=CHECKPOINTS, checkpoints=metrics)
    if status == "ok":  # the trainer's final metrics are the last checkpoint's
        row["metrics"] = {m: values[-1] for m, values in metrics.items()}
    return row


def make_store(tmp_path, name="tiny study", labels=("bce", "wgan-gp"), finish=False):
    store = RunStore(tmp_path / "losslab.db")
    config = {"study": {"name": name, "seed": 0}, "losses": [{"name": n} for n in labels]}
    sid = store.open_study(name, str(tmp_path / "out"), config, resume=False)
    rows = [
        make_row(0, labels[0], 0),
        make_row(1, labels[0], 1),
        make_row(2, labels[0], 2, status="diverged"),
        make_row(3, labels[1], 0, registry="wgan-gp"),
        make_row(4, labels[1], 1, registry="wgan-gp"),
        make_row(5, labels[1], 2, status="failed", registry="wgan-gp"),
    ]
    store.write_members(sid, rows)
    if finish:
        store.finish_study(sid)
    return store, sid


@pytest.fixture(scope="session")
def make_study_store():
    """``make_store(tmp_path, name=..., labels=(a, b), finish=False) -> (store, study_id)``:
    6 members written to ``tmp_path/out``: 2 ok + 1 diverged of ``a``, 2 ok + 1 failed of ``b``."""
    return make_store
