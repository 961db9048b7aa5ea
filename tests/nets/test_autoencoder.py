"""EBGAN's autoencoder discriminator: member s is a plain encoder/decoder pair of
nn.Linear layers initialised from the same generator, and its energy is the
per-sample mean squared reconstruction error."""

import torch
from torch import nn

from losslab.nets import EnsembleAutoencoder

SIZES_ENC = [3, 8, 2]
SIZES_DEC = [2, 8, 3]


def plain(sizes, generator):
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        lin = nn.Linear(a, b)
        with torch.no_grad():
            nn.init.kaiming_uniform_(lin.weight, a=5**0.5, generator=generator)
            bound = 1 / a**0.5
            nn.init.uniform_(lin.bias, -bound, bound, generator=generator)
        layers += [lin, nn.Tanh()]
    return nn.Sequential(*layers[:-1])


def test_energy_and_codes_match_a_plain_autoencoder():
    gens = [torch.Generator().manual_seed(s) for s in (5, 6)]
    ae = EnsembleAutoencoder(3, [8], 2, "tanh", gens)
    x = torch.randn(2, 10, 3, generator=torch.Generator().manual_seed(0))
    energy, codes = ae.energy_and_codes(x)
    for s, seed in enumerate((5, 6)):
        g = torch.Generator().manual_seed(seed)
        enc, dec = plain(SIZES_ENC, g), plain(SIZES_DEC, g)
        c = enc(x[s])
        expected = nn.functional.mse_loss(dec(c), x[s], reduction="none").mean(-1)
        torch.testing.assert_close(codes[s], c)
        torch.testing.assert_close(energy[s], expected)
    assert ae(x).shape == (2, 10, 1)
    assert len(ae.parameter_list()) == 8  # 2 linear layers each way, weight + bias
