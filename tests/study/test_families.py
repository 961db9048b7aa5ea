"""One study, every generative family: the planner puts each loss where it can train
(EBGAN's autoencoder apart from MLP critics, one energy/diffusion configuration per
ensemble), and the report ranks all of them on the same metrics."""

import json
from pathlib import Path

import pytest

from losslab.cli import main
from losslab.study.config import load_config
from losslab.study.planner import plan
from losslab.train.adversarial import AdversarialTask
from losslab.train.generative import GenerativeTask

CONFIG = """
[study]
name = "families"
seeds = 2

[data]
name = "ring8"
radius = 2.0
std = 0.05

[model]
latent_dim = 2
generator = { hidden = [16], activation = "relu" }
discriminator = { hidden = [16], activation = "relu" }
network = { hidden = [16, 16], activation = "silu" }

[train]
steps = 12
batch_size = 16
eval_every = 6
eval_samples = 200

[[losses]]
name = "nonsaturating-bce"

[[losses]]
name = "ebgan"

[[losses]]
name = "wgan-gp"

[[losses]]
name = "contrastive-divergence"
langevin_steps = 5
eval_steps = 10

[[losses]]
name = "dsm-annealed"
levels = 3
steps_per_level = 5

[[losses]]
name = "ddpm-eps"
timesteps = 10

[[losses]]
name = "ddpm-v"
timesteps = 10
"""


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "families.toml"
    path.write_text(CONFIG)
    return path


def test_planner_groups_members_by_what_they_can_share(config):
    tasks = plan(load_config(config))
    shapes = [
        (type(t).__name__, sorted({m.loss for m in t.members}), len(t.members)) for t in tasks
    ]
    assert shapes == [
        ("AdversarialTask", ["nonsaturating-bce", "wgan-gp"], 4),
        ("AdversarialTask", ["ebgan"], 2),
        ("GenerativeTask", ["contrastive-divergence"], 2),
        ("GenerativeTask", ["dsm-annealed"], 2),
        ("GenerativeTask", ["ddpm-eps"], 2),
        ("GenerativeTask", ["ddpm-v"], 2),
    ]
    indices = sorted(m.index for t in tasks for m in t.members)
    assert indices == list(range(14))
    gen = [t for t in tasks if isinstance(t, GenerativeTask)]
    assert all(t.network.hidden == (16, 16) for t in gen)
    adv = [t for t in tasks if isinstance(t, AdversarialTask)]
    assert all(t.discriminator.hidden == (16,) for t in adv)


def test_mixed_study_ranks_every_family_on_the_same_metrics(tmp_path, config, capsys):
    out = tmp_path / "runs" / "families"
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 0
    # a tiny study: members may be finite but worse than the Gaussian baseline
    assert "14 members (" in capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    assert {m["status"] for m in summary["members"]} <= {"ok", "not-converged"}
    losses = {
        "nonsaturating-bce", "ebgan", "wgan-gp", "contrastive-divergence", "dsm-annealed",
        "ddpm-eps", "ddpm-v",
    }
    for metric in ("w1", "mmd", "modes", "high_quality", "reverse_kl"):
        ranked = {e["loss"] for e in summary["ranking"] if e["metric"] == metric}
        assert ranked == losses, metric
    files = {Path(f["file"]).name for f in summary["figures"]}
    assert {
        "samples_final.png", "critic_contours.png", "compare_losses.png",
        "energies_ebgan.png", "training_contrastive-divergence.png",
        "langevin_contrastive-divergence.png", "training_ddpm-eps.png",
    } <= files
    for name in files:
        assert (out / "figures" / name).stat().st_size > 1000
    html = (out / "report.html").read_text()
    assert "contrastive-divergence" in html and "ddpm-v" in html
