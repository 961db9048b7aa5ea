"""The optimal-discriminator probe reproduces Arjovsky & Bottou's finding on a small
config: against a fresh discriminator trained to near-optimality, the minimax
generator gradient falls by orders of magnitude, the -log D gradient does not."""

import json

from losslab.cli import main
from losslab.study.probe import run_probe

CONFIG = """
[study]
name = "probe"
seeds = 3

[data]
name = "gaussian"
mean = 4.0
std = 0.5

[model]
latent_dim = 2
generator = { hidden = [16, 16] }
discriminator = { hidden = [16, 16] }

[train]
batch_size = 64

[optimizer]   # the probe's discriminator trains with the members' optimiser
name = "adam"
lr = 1e-3
betas = [0.5, 0.999]

[[losses]]
name = "nonsaturating-bce"
"""


def test_minimax_gradient_vanishes_and_nonsaturating_does_not(tmp_path):
    path = tmp_path / "probe.toml"
    path.write_text(CONFIG)
    summary = run_probe(path, tmp_path / "out", after=[0], d_iters=3000, progress=False)
    by_cost = {r["cost"]: r for r in summary["results"]}
    minimax, nonsat = by_cost["minimax-bce"], by_cost["nonsaturating-bce"]
    # every seed: the minimax norm ends >= 2 orders of magnitude below its peak
    assert min(minimax["orders_fallen"]) >= 2.0, minimax["orders_fallen"]
    # ... while the -log D norm does not fall: it ends within a factor 2 of its peak and far
    # above where it started
    assert max(nonsat["orders_fallen"]) < 0.3, nonsat["orders_fallen"]
    assert all(e > 10 * s for s, e in zip(nonsat["start"], nonsat["end"], strict=True))
    assert min(minimax["final_discriminator_accuracy"]) > 0.99
    saved = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert saved["results"][0]["curve_geometric_mean"]
    assert (tmp_path / "out" / "figures" / "probe_vanishing.png").stat().st_size > 5000


def test_probe_cli_rejects_bad_ages(tmp_path, capsys):
    path = tmp_path / "probe.toml"
    path.write_text(CONFIG)
    assert main(["probe", "vanishing", str(path), "--after", "0,x"]) == 2
    assert "--after" in capsys.readouterr().err
