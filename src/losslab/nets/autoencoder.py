r"""The autoencoder discriminator of EBGAN (Zhao, Mathieu & LeCun 2017), as an ensemble.

Member s encodes ``x`` to a code :math:`c = \mathrm{Enc}_s(x)` of ``code_dim``
numbers (an MLP ``d -> hidden -> code_dim``, linear at the code) and decodes it
back (``code_dim -> reversed(hidden) -> d``). Its energy is the per-sample mean
squared reconstruction error

.. math::

    D_s(x) = \frac{1}{d} \lVert \mathrm{Dec}_s(\mathrm{Enc}_s(x)) - x \rVert_2^2 ,

low on data the autoencoder has learnt to reconstruct. Called like an
:class:`~losslab.nets.EnsembleMLP` discriminator it returns ``[S, B, 1]``, so the
adversarial trainer treats the energy as the discriminator's score;
:meth:`energy_and_codes` also returns the codes, for the pulling-away term.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from losslab.nets.ensemble import EnsembleMLP


class EnsembleAutoencoder(nn.Module):
    def __init__(
        self,
        dim: int,
        hidden: Sequence[int],
        code_dim: int,
        activation: str,
        generators: Sequence[torch.Generator],
        **mlp_options,
    ):
        super().__init__()
        # the encoder's layers are initialised first, then the decoder's, from the
        # same per-member generators
        self.encoder = EnsembleMLP([dim, *hidden, code_dim], activation, generators, **mlp_options)
        self.decoder = EnsembleMLP(
            [code_dim, *reversed(hidden), dim], activation, generators, **mlp_options
        )

    def energy_and_codes(
        self, x: torch.Tensor, members: slice | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Energies ``[S, B]`` and codes ``[S, B, code_dim]`` of ``x [S, B, d]``."""
        codes = self.encoder(x, members)
        energy = (self.decoder(codes, members) - x).pow(2).mean(-1)
        return energy, codes

    def forward(self, x: torch.Tensor, members: slice | None = None) -> torch.Tensor:
        return self.energy_and_codes(x, members)[0].unsqueeze(-1)

    def parameter_groups(self) -> list[list[torch.Tensor]]:
        return self.encoder.parameter_groups() + self.decoder.parameter_groups()

    def parameter_list(self) -> list[torch.Tensor]:
        return [p for group in self.parameter_groups() for p in group]
