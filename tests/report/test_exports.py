"""TensorBoard and MLflow exports, read back with an independent reader.

TensorBoard: the event files are parsed here from their TFRecord framing with
the Event protobuf. MLflow: read back through MlflowClient from the sqlite store."""

import math
import struct

import numpy as np
import pytest

from losslab.cli import main
from losslab.report import build_report
from losslab.study.store import RunStore

STUDY = "export study"


@pytest.fixture(scope="module")
def run(tmp_path_factory, make_study_store):
    tmp_path = tmp_path_factory.mktemp("exports")
    store, sid = make_study_store(tmp_path, name=STUDY, finish=True)
    summary = build_report(store, sid, tmp_path / "out")
    members = store.members(sid)
    curves = {
        (m["loss"], m["seed"]): {
            **{f"series/{k}": v for k, v in store.series(m["member_id"]).items()},
            **{f"metrics/{k}": v for k, v in store.checkpoints(m["member_id"]).items()},
        }
        for m in members
    }
    store.close()
    return tmp_path, summary, curves


def _finite(steps, values):
    keep = np.isfinite(values)
    return list(np.asarray(steps)[keep]), list(np.asarray(values)[keep])


def _read_events(run_dir):
    """{tag: [(step, value)]} from every event file in run_dir (TFRecord framing)."""
    event_pb2 = pytest.importorskip("tensorboardX.proto.event_pb2")
    scalars = {}
    for path in sorted(run_dir.glob("events.out.tfevents.*")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            (n,) = struct.unpack("<Q", data[pos : pos + 8])
            event = event_pb2.Event.FromString(data[pos + 12 : pos + 12 + n])
            pos += 12 + n + 4  # length, its crc, the record, its crc
            for v in event.summary.value:
                if v.WhichOneof("value") == "simple_value":
                    scalars.setdefault(v.tag, []).append((event.step, v.simple_value))
    return scalars


def test_tensorboard_one_run_per_member_with_steps(run, capsys):
    pytest.importorskip("tensorboardX", reason="tensorboardX is in the test extra")
    tmp_path, summary, curves = run
    tb = tmp_path / "tb"
    assert main(["report", str(tmp_path / "out"), "--tensorboard", str(tb)]) == 0
    assert "tensorboard: 6 runs" in capsys.readouterr().out
    runs = sorted(str(p.parent.relative_to(tb)) for p in tb.rglob("events.out.tfevents.*"))
    assert runs == [f"{loss}/seed{s}" for loss in ("bce", "wgan-gp") for s in range(3)]
    for (loss, seed), member_curves in curves.items():
        scalars = _read_events(tb / loss / f"seed{seed}")
        written = {tag: _finite(*curve) for tag, curve in member_curves.items()}
        written = {tag: c for tag, c in written.items() if c[0]}
        assert set(scalars) == set(written)
        for tag, (steps, values) in written.items():
            got = sorted(scalars[tag])
            assert [s for s, _ in got] == steps
            assert [v for _, v in got] == pytest.approx(values, rel=1e-6)
    diverged = _read_events(tb / "bce" / "seed2")["series/d_loss"]
    assert max(s for s, _ in diverged) == 40  # nothing after the divergence step


def test_mlflow_runs_params_metric_histories_and_figures(run, monkeypatch, capsys):
    pytest.importorskip("mlflow", reason="mlflow is in the test extra")
    from mlflow.tracking import MlflowClient

    tmp_path, summary, curves = run
    elsewhere = tmp_path / "not-here"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", elsewhere.as_uri())  # must be ignored
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.chdir(tmp_path)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["report", str(tmp_path / "out"), "--mlflow", uri]) == 0
    assert "mlflow: 6 runs" in capsys.readouterr().out
    assert not elsewhere.exists() and not (tmp_path / "mlruns").exists()

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name(STUDY)
    runs = {r.info.run_name: r for r in client.search_runs([experiment.experiment_id])}
    assert set(runs) == {f"{loss}/seed{s}" for loss in ("bce", "wgan-gp") for s in range(3)}
    members = {(m["loss"], m["seed"]): m for m in summary["members"]}
    for (loss, seed), member_curves in curves.items():
        r = runs[f"{loss}/seed{seed}"]
        m = members[(loss, seed)]
        assert r.data.params["loss"] == loss and r.data.params["seed"] == str(seed)
        assert r.data.params["hparams.lr"] == "0.001" and r.data.params["hparams.n_critic"] == "1"
        assert r.data.tags["losslab.status"] == m["status"]
        assert r.info.status == ("FAILED" if m["status"] == "failed" else "FINISHED")
        for tag, curve in member_curves.items():
            steps, values = _finite(*curve)
            history = sorted(
                (h.step, h.value) for h in client.get_metric_history(r.info.run_id, tag)
            )
            assert [s for s, _ in history] == steps
            assert [v for _, v in history] == pytest.approx(values)
        finals = {k: v for k, v in m["metrics"].items() if v is not None and math.isfinite(v)}
        logged = {k[len("final/") :]: v for k, v in r.data.metrics.items() if k[:6] == "final/"}
        assert logged == pytest.approx(finals)
        artifacts = {a.path for a in client.list_artifacts(r.info.run_id, "figures")}
        other = "wgan-gp" if loss == "bce" else "bce"
        assert (
            f"figures/losses_{loss}.png" in artifacts and "figures/compare_losses.png" in artifacts
        )
        assert f"figures/losses_{other}.png" not in artifacts
    assert (tmp_path / "mlartifacts").is_dir()  # beside the sqlite file


def test_exports_need_a_finished_study_and_an_explicit_uri(tmp_path, make_study_store, capsys):
    store, sid = make_study_store(tmp_path, finish=False)
    store.close()
    (tmp_path / "out").mkdir()
    assert main(["report", str(tmp_path / "out"), "--tensorboard", str(tmp_path / "tb")]) == 2
    assert "not finished" in capsys.readouterr().err
    store = RunStore(tmp_path / "losslab.db")
    store.finish_study(sid)
    store.close()
    assert main(["report", str(tmp_path / "out"), "--mlflow", "mlflow.db"]) == 2
    assert "explicit URI" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "elsewhere"), "--tensorboard", "tb"]) == 2
    assert "holds no study written to" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "a" / "b"), "--tensorboard", "tb"]) == 2
    assert "no run store" in capsys.readouterr().err
