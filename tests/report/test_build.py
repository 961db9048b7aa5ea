import base64
import json
import re
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pytest

from losslab.report import build_report
from losslab.report.figures import plot_histograms, slugify

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
METRICS = ("w1", "ks", "energy", "mean_error", "std_error")
DIVERGED_STEP = 40  # as in conftest.make_row
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def built(tmp_path_factory, make_study_store):
    tmp_path = tmp_path_factory.mktemp("report")
    store, sid = make_study_store(tmp_path)
    out = tmp_path / "out"
    summary = build_report(store, sid, out)
    store.close()
    return out, summary


def _strict_loads(text):
    def reject(token):
        raise ValueError(f"non-strict JSON constant {token}")

    return json.loads(text, parse_constant=reject)


def test_summary_json_is_strict_and_has_the_schema(built):
    out, summary = built
    loaded = _strict_loads((out / "summary.json").read_text())
    assert loaded == summary
    assert loaded["study"] == "tiny study"
    assert loaded["config"]["losses"][1] == {"name": "wgan-gp"}
    assert len(loaded["members"]) == 6
    for m in loaded["members"]:
        assert {
            "loss",
            "dataset",
            "seed",
            "status",
            "metrics",
            "index",
            "diverged_step",
            "reason",
            "registry_name",
        } <= set(m)
        assert m["status"] in {"ok", "diverged", "failed"}
        assert all(v is None or isinstance(v, float) for v in m["metrics"].values())
    ok = [m for m in loaded["members"] if m["status"] == "ok"]
    assert len(ok) == 4 and all(set(m["metrics"]) == set(METRICS) for m in ok)
    diverged = next(m for m in loaded["members"] if m["status"] == "diverged")
    assert diverged["diverged_step"] == DIVERGED_STEP and diverged["metrics"] == {}
    for e in loaded["ranking"]:
        assert {"loss", "metric", "mean", "ci95", "n", "rank"} <= set(e)
        assert len(e["ci95"]) == 2
    w1 = [e for e in loaded["ranking"] if e["metric"] == "w1"]
    assert sorted(e["loss"] for e in w1) == ["bce", "wgan-gp"]
    assert all(e["n"] == 2 for e in w1)  # the diverged and failed seeds are not counted


def test_ranking_mean_matches_final_checkpoints(built):
    _, summary = built
    for e in (e for e in summary["ranking"] if e["metric"] == "w1"):
        finals = [
            m["metrics"]["w1"]
            for m in summary["members"]
            if m["loss"] == e["loss"] and m["status"] == "ok"
        ]
        assert e["mean"] == pytest.approx(np.mean(finals))


def test_all_figures_are_valid_pngs(built):
    out, summary = built
    expected = {
        "losses_bce.png",
        "losses_wgan-gp.png",
        "gradients_bce.png",
        "gradients_wgan-gp.png",
        "compare_losses.png",
        "histograms.png",
        "final_w1.png",
        "final_ks.png",
    }
    written = {p.name for p in (out / "figures").glob("*.png")}
    assert expected <= written
    assert {Path(f["file"]).name for f in summary["figures"]} == expected
    for name in expected:
        path = out / "figures" / name
        assert path.read_bytes()[:8] == PNG_SIGNATURE
        image = mpimg.imread(path)
        assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 300
        assert float(np.std(image[..., :3])) > 0.01  # not a blank canvas


def test_report_html_is_self_contained(built):
    out, summary = built
    html = (out / "report.html").read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "<script" not in html.lower()
    assert html.count('src="data:image/png;base64,') == len(summary["figures"])
    for f in summary["figures"]:
        encoded = base64.b64encode((out / f["file"]).read_bytes()).decode("ascii")
        assert f"data:image/png;base64,{encoded}" in html


def test_report_html_lists_diverged_and_failed_members(built):
    out, _ = built
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html.split("Diverged and failed members", 1)[1].split("<h2>", 1)[0]
    assert "diverged" in section and f">{DIVERGED_STEP}<" in section
    assert "loss became NaN" in section
    assert "failed" in section and "RuntimeError: boom &lt;b&gt;bold&lt;/b&gt;" in section
    assert "tiny study" in html


def test_user_strings_are_escaped(tmp_path, make_study_store):
    store, sid = make_study_store(tmp_path, name=f"study {EVIL}", labels=(EVIL, "plain"))
    out = tmp_path / "out"
    summary = build_report(store, sid, out)
    store.close()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert EVIL not in html and "<script" not in html.lower()
    for f in summary["figures"]:
        assert re.fullmatch(r"figures/[a-z0-9_-]+\.png", f["file"])
    assert _strict_loads((out / "summary.json").read_text())["study"] == f"study {EVIL}"


def test_slugify_is_safe_and_unique():
    slugs = slugify(["WGAN-GP", "wgan gp", "wgan_gp", "", "Hinge (β=1)"])
    assert list(slugs.values()) == ["wgan-gp", "wgan-gp-2", "wgan-gp-3", "loss", "hinge-1"]
    assert all(re.fullmatch(r"[a-z0-9-]+", s) for s in slugs.values())


def test_histograms_skip_data_that_is_not_one_dimensional(tmp_path):
    rng = np.random.default_rng(0)
    panels = {"a": (rng.normal(size=(50, 2)), rng.normal(size=(50, 2)))}
    assert plot_histograms(tmp_path / "h.png", panels) is None
    assert not (tmp_path / "h.png").exists()
