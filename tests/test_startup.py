"""Start-up: ``losslab list``, ``explain``, ``docs`` and ``--help`` read the cards only and do
not import torch (about 2 s of a 2.4 s ``losslab list``); computing a loss still does,
and the lazily imported torch computes exactly what torch computes."""

import subprocess
import sys

import pytest

CHECK = """
import sys
from losslab.cli import main
try:
    code = main({argv!r})
except SystemExit as stop:  # --help exits
    code = stop.code
print("torch imported:", "torch" in sys.modules, "exit:", code)
"""


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "--names"],
        ["list"],
        ["explain", "wgan-gp"],
        ["explain", "ddpm-eps"],
        ["explain", "gaussian-nll"],
        ["--help"],
        ["run", "--help"],
    ],
)
def test_reading_cards_does_not_import_torch(argv):
    done = subprocess.run(
        [sys.executable, "-c", CHECK.format(argv=argv)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.strip().endswith("torch imported: False exit: 0"), done.stderr[-2000:]


def test_the_lazy_stand_in_computes_with_real_torch():
    import torch

    from losslab._lazy import F, no_grad
    from losslab._lazy import torch as lazy

    x = torch.randn(5, 3, dtype=torch.float64, requires_grad=True)
    assert lazy.Tensor is torch.Tensor and F.softplus is torch.nn.functional.softplus
    assert torch.allclose(F.softplus(x), torch.log1p(torch.exp(x)), rtol=1e-15, atol=0)

    @no_grad
    def double(t):
        return 2 * t

    y = double(x)
    assert not y.requires_grad and torch.equal(y, 2 * x.detach())
