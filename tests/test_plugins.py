"""Plug-in losses (losslab.plugins): a user's file registers a loss that takes part in a
study, the report, ``losslab list`` and ``losslab explain`` like a built-in one; broken
plug-ins exit 2 with one line naming the file; packages register through the
``losslab.losses`` entry-point group."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

import losslab
from losslab import plugins
from losslab.cli import main
from losslab.errors import BadInput
from losslab.losses import registry
from losslab.losses.knobs import broadcast_knob

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = '''
"""A least-squares variant with a knob: real scores to +m, fake scores to -m."""
import losslab
from losslab.losses.knobs import broadcast_knob
from losslab.plugins import Hyperparameter, Search


def disc(*, real_scores, fake_scores, margin):
    m = broadcast_knob(margin, real_scores)
    return 0.5 * ((real_scores - m) ** 2).mean(1) + 0.5 * ((fake_scores + m) ** 2).mean(1)


def gen(*, fake_scores, margin):
    return 0.5 * ((fake_scores - broadcast_knob(margin, fake_scores)) ** 2).mean(1)


losslab.register_loss(
    "{name}",
    family="adversarial",
    terms={{"discriminator": disc, "generator": gen}},
    formula=r"\\mathcal{{L}}_D = \\tfrac12 E[(D(x)-m)^2] + \\tfrac12 E[(D(G(z))+m)^2]",
    why="least squares with symmetric targets",
    hyperparameters={{
        "margin": Hyperparameter(1.0, "target magnitude", low=1e-3,
                                 search=Search.log_uniform(0.1, 10.0)),
    }},
)
'''

CONFIG = """
plugins = ["{plugin}"]

[study]
name = "plugin-study"
seeds = 2
seed = 0

[data]
name = "gaussian"

[model]
latent_dim = 2
generator = {{ hidden = [8] }}
discriminator = {{ hidden = [8] }}

[train]
steps = 50
batch_size = 16
eval_every = 25
eval_samples = 200

[[losses]]
name = "{loss}"
margin = 2.0

[[losses]]
name = "lsgan"
"""


@pytest.fixture(autouse=True)
def clean_registry():
    """Every test leaves the registry as it found it (plug-ins register process-wide)."""
    registry.all_losses()
    saved = (
        dict(registry._REGISTRY),
        dict(plugins._SOURCES),
        dict(plugins._LOADED),
        plugins._entry_points_loaded,
    )
    yield
    registry._REGISTRY.clear()
    registry._REGISTRY.update(saved[0])
    plugins._SOURCES.clear()
    plugins._SOURCES.update(saved[1])
    plugins._LOADED.clear()
    plugins._LOADED.update(saved[2])
    plugins._entry_points_loaded = saved[3]


def write_plugin(folder: Path, name: str = "margin-ls", file: str = "my_loss.py") -> Path:
    path = folder / file
    path.write_text(PLUGIN.format(name=name))
    return path


def test_a_plugin_loss_runs_in_a_study_and_shows_everywhere(tmp_path, capsys):
    write_plugin(tmp_path)
    cfg = tmp_path / "study.toml"
    cfg.write_text(CONFIG.format(plugin="my_loss.py", loss="margin-ls"))  # relative path
    out, db = tmp_path / "run", tmp_path / "store.db"
    assert main(["run", str(cfg), "--out", str(out), "--db", str(db), "--quiet"]) == 0

    summary = json.loads((out / "summary.json").read_text())
    members = [m for m in summary["members"] if m["loss"] == "margin-ls"]
    assert len(members) == 2  # two seeds
    assert all(m["status"] in ("ok", "not-converged") for m in members)
    assert all(m["hparams"]["margin"] == 2.0 for m in members)
    assert {r["loss"] for r in summary["ranking"]} >= {"margin-ls", "lsgan"}
    assert "margin-ls" in (out / "report.html").read_text()

    capsys.readouterr()
    plugin = str(tmp_path / "my_loss.py")
    assert main(["list", "--names", "--plugin", plugin]) == 0
    assert "margin-ls" in capsys.readouterr().out.split()
    assert main(["explain", "margin-ls", "--plugin", plugin]) == 0
    text = capsys.readouterr().out
    assert "least squares with symmetric targets" in text
    assert r"\tfrac12 E[(D(x)-m)^2]" in text
    assert "log-uniform [0.1, 10]" in text
    assert plugin in text


def test_a_plugin_loss_is_tuned_over_its_search_range(tmp_path):
    write_plugin(tmp_path)
    cfg = tmp_path / "study.toml"
    cfg.write_text(CONFIG.format(plugin="my_loss.py", loss="margin-ls"))
    out = tmp_path / "run"
    argv = ["run", str(cfg), "--out", str(out), "--db", str(tmp_path / "s.db"), "--quiet"]
    assert main([*argv, "--seeds", "1", "--steps", "10", "--tune", "3"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    margins = {m["hparams"]["margin"] for m in summary["members"] if "margin" in m["hparams"]}
    assert len(margins) > 1  # trials drew other margins than the config's
    assert all(0.1 <= m <= 10.0 for m in margins - {2.0})


def test_register_loss_from_python_and_use_it_functionally():
    from losslab.plugins import Hyperparameter

    def loss(*, prediction, targets, power):
        return (targets - prediction[..., 0]).abs().pow(broadcast_knob(power, targets)).mean(1)

    losslab.register_loss(
        "abs-power",
        family="regression",
        terms={"loss": loss},
        formula=r"\ell = |y - \hat y|^p",
        why="a tail knob",
        hyperparameters={"power": Hyperparameter(1.5, "p", low=1.0, high=2.0)},
    )
    assert losslab.losses.get_loss("abs-power").family == "regression"
    p, t = torch.tensor([0.0, 1.0, 3.0]), torch.tensor([1.0, 1.0, 1.0])
    value = losslab.loss("abs-power", power=2.0)(p, t)
    assert value.item() == pytest.approx((1 + 0 + 4) / 3)  # plain arithmetic
    assert losslab.loss("abs-power")(p, t).item() == pytest.approx((1 + 0 + 2**1.5) / 3)


BROKEN = {
    "import-error": ("import not_a_module_anywhere_42\n", "failed to import: ModuleNotFoundError"),
    "syntax-error": ("def broken(:\n", "failed to import: SyntaxError"),
    "taken-name": (PLUGIN.format(name="lsgan"), "'lsgan': the name is taken by a built-in loss"),
    "wrong-shape": (  # the mean over members [B], not over the batch [S]
        PLUGIN.format(name="bad-shape").replace(
            "return 0.5 * ((real_scores - m) ** 2).mean(1) + 0.5 * ((fake_scores + m) ** 2)"
            ".mean(1)",
            "return ((real_scores - m) ** 2 + (fake_scores + m) ** 2).mean(0)",
        ),
        "must return one value per member [S] = [2] for inputs real_scores[2, 5], "
        "fake_scores[2, 5], got [5]",
    ),
    "bad-signature": (
        PLUGIN.format(name="bad-sig")
        .replace("def disc(*, real_scores, fake_scores, margin)", "def disc(*, real, fake, margin)")
        .replace("(real_scores - m)", "(real - m)")
        .replace("(fake_scores + m)", "(fake + m)")
        .replace("broadcast_knob(margin, real_scores)", "broadcast_knob(margin, real)"),
        "does not fit a adversarial loss: it must take real_scores, fake_scores",
    ),
    "scalar-knob-only": (
        PLUGIN.format(name="scalar-knob").replace(
            "m = broadcast_knob(margin, real_scores)", "m = float(margin)"
        ),
        "with per-member knobs [S]",
    ),
    "no-formula": (
        re.sub(r'formula=r".*",', 'formula="",', PLUGIN.format(name="no-formula")),
        "'no-formula': the card needs a non-empty formula",
    ),
    "energy-family": (
        PLUGIN.format(name="an-ebm").replace('family="adversarial"', 'family="energy"'),
        "family 'energy' is not open to plug-ins",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_plugin_exits_2_with_one_line_naming_the_file(tmp_path, capsys, case):
    source, problem = BROKEN[case]
    path = tmp_path / f"{case}.py"
    path.write_text(source)
    before = set(registry._REGISTRY)
    assert main(["list", "--plugin", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert str(path) in err
    assert problem in err
    assert "Traceback" not in err
    assert set(registry._REGISTRY) == before  # nothing half-registered

    # the same through a study config: refused before anything trains
    cfg = tmp_path / "study.toml"
    cfg.write_text(CONFIG.format(plugin=path.name, loss="lsgan").replace("margin = 2.0", ""))
    assert main(["run", str(cfg), "--out", str(tmp_path / "run"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and problem in err
    assert str(cfg) in err
    assert not (tmp_path / "run").exists()


def test_a_missing_plugin_file_or_module_is_one_line(tmp_path, capsys):
    assert main(["list", "--plugin", str(tmp_path / "nope.py")]) == 2
    assert "file not found" in capsys.readouterr().err
    assert main(["list", "--plugin", "no_such_plugin_module_42"]) == 2
    err = capsys.readouterr().err
    assert "no module named 'no_such_plugin_module_42'" in err and err.count("\n") == 1


def test_register_loss_refuses_a_malformed_card():
    def loss(*, logits, targets):
        return logits.sum((1, 2)) * 0 + targets.float().mean(1)

    with pytest.raises(BadInput, match="kebab-case"):
        losslab.register_loss(
            "My_Loss", family="classification", terms={"loss": loss}, formula="x", why="y"
        )
    with pytest.raises(BadInput, match="non-empty why"):
        losslab.register_loss(
            "my-loss", family="classification", terms={"loss": loss}, formula="x", why=" "
        )
    with pytest.raises(BadInput, match="has the terms loss"):
        losslab.register_loss(
            "my-loss", family="classification", terms={"discriminator": loss}, formula="x", why="y"
        )
    with pytest.raises(BadInput, match="neither an input of a classification loss"):
        losslab.register_loss(
            "my-loss",
            family="classification",
            terms={"loss": lambda *, logits, targets, gamma: logits},
            formula="x",
            why="y",
        )
    assert "my-loss" not in registry._REGISTRY


def test_a_plugin_file_runs_the_same_in_a_process_pool(tmp_path):
    """Spawned pool workers load the parent's plug-ins again; the numbers do not depend on
    the executor."""
    write_plugin(tmp_path)
    cfg = tmp_path / "study.toml"
    cfg.write_text(CONFIG.format(plugin="my_loss.py", loss="margin-ls"))
    rows = {}
    for executor, extra in (("in-process", []), ("pool", ["--workers", "1"])):
        out = tmp_path / executor
        argv = ["run", str(cfg), "--out", str(out), "--db", str(tmp_path / f"{executor}.db")]
        argv += ["--quiet", "--seeds", "1", "--steps", "10", "--executor", executor, *extra]
        assert main(argv) == 0
        summary = json.loads((out / "summary.json").read_text())
        rows[executor] = {m["loss"]: m["metrics"] for m in summary["members"]}
    assert rows["pool"] == rows["in-process"]


def test_an_entry_point_registers_a_package_loss(tmp_path):
    """A package declaring ``[project.entry-points."losslab.losses"]`` is loaded when the
    registry first loads, in a fresh process, without --plugin."""
    (tmp_path / "ep_losses.py").write_text(PLUGIN.format(name="ep-margin-ls"))
    dist = tmp_path / "ep_losses-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: ep-losses\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[losslab.losses]\nmargin = ep_losses\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src")])}
    code = "from losslab.cli import main; raise SystemExit(main(['list', '--names']))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "ep-margin-ls" in proc.stdout.split()

    # a broken one: exit 2, one line naming the entry point
    (tmp_path / "ep_losses.py").write_text(PLUGIN.format(name="hinge"))
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1
    assert "entry point 'margin'" in proc.stderr and "taken" in proc.stderr


def test_entry_points_load_in_process(tmp_path, monkeypatch):
    (tmp_path / "ep_inproc.py").write_text(PLUGIN.format(name="ep-inproc"))
    monkeypatch.syspath_prepend(str(tmp_path))

    class FakeEntryPoint:
        name, value = "inproc", "ep_inproc"

        def load(self):
            import importlib

            return importlib.import_module("ep_inproc")

    import importlib.metadata

    monkeypatch.setattr(
        importlib.metadata,
        "entry_points",
        lambda group=None: [FakeEntryPoint()] if group == plugins.ENTRY_POINT_GROUP else [],
    )
    plugins._entry_points_loaded = False
    assert registry.get_loss("ep-inproc").family == "adversarial"
    assert plugins.plugin_source("ep-inproc") == "ep_inproc (entry point 'inproc')"


def test_examples_plugins_register_and_race_configs_validate():
    from losslab.study.config import load_config

    for cfg in sorted((ROOT / "examples" / "plugins").glob("*.toml")):
        config = load_config(cfg)
        assert config.plugins
    assert registry.get_loss("margin-lsgan").family == "adversarial"
    assert registry.get_loss("taylor-ce").family == "classification"
    # taylor-ce with order 1 is 1 - p_y (MAE on the probability), by hand
    z = torch.tensor([[2.0, 0.0, -1.0]])
    p = torch.softmax(z, dim=-1)[0, 0]
    got = losslab.loss("taylor-ce", order=1)(z, torch.tensor([0]))
    assert got.item() == pytest.approx(1 - p.item())


def test_plugin_module_docstring_example_registers(tmp_path):
    """The example in losslab.plugins' docstring is a working plug-in."""
    doc = plugins.__doc__
    start = doc.index("    import losslab")
    end = doc.index("The terms each family")
    (tmp_path / "doc_plugin.py").write_text(textwrap.dedent(doc[start:end]))
    assert plugins.load_plugin(tmp_path / "doc_plugin.py") == ["margin-lsgan"]


def test_a_plugin_loss_runs_through_losslab_run(tmp_path):
    """The same study from Python: losslab.run on the config file, and on a dict whose
    plug-in path is absolute."""
    write_plugin(tmp_path)
    cfg = tmp_path / "study.toml"
    cfg.write_text(CONFIG.format(plugin="my_loss.py", loss="margin-ls"))
    study = losslab.run(cfg, out=tmp_path / "run", db=tmp_path / "s.db", steps=10)
    members = study.members
    assert sorted(members["loss"].unique()) == ["lsgan", "margin-ls"]
    assert len(members) == 4  # 2 losses x 2 seeds
    import tomllib

    raw = tomllib.loads(cfg.read_text())
    raw["plugins"] = [str(tmp_path / "my_loss.py")]
    raw["study"]["name"] = "plugin-study-dict"
    study = losslab.run(raw, out=tmp_path / "run-dict", db=tmp_path / "s.db", steps=10)
    assert "margin-ls" in set(study.members["loss"])


def test_a_plugin_module_name_loads_from_the_command_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "my_plugin_module.py").write_text(PLUGIN.format(name="module-margin-ls"))
    monkeypatch.syspath_prepend(str(tmp_path))
    assert main(["list", "--names", "--plugin", "my_plugin_module"]) == 0
    assert "module-margin-ls" in capsys.readouterr().out.split()
    assert plugins.plugin_source("module-margin-ls") == "my_plugin_module"
    assert plugins.load_plugin("my_plugin_module") == ["module-margin-ls"]  # once only
