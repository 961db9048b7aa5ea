r"""Ensemble layers: S independent networks evaluated as one batched computation.

Parameters are stacked on a leading member axis: a linear layer holds
``weight[S, in, out]`` and ``bias[S, 1, out]`` and maps ``x[S, B, in]`` to

.. math::

    y_s = x_s W_s + b_s \qquad (s = 1..S)

with one ``torch.baddbmm``. Nothing couples members: member s's output and
gradients depend only on member s's parameters and inputs, so plain autograd
(including ``create_graph=True`` for gradient penalties) works per member.

Member s is initialised from its own ``torch.Generator`` exactly as PyTorch
initialises ``nn.Linear(in, out)``: weight ~ kaiming-uniform with
:math:`a=\sqrt5` (i.e. :math:`U(-1/\sqrt{in}, 1/\sqrt{in})`), then bias
~ :math:`U(-1/\sqrt{in}, 1/\sqrt{in})`, layer by layer. An ``nn.Sequential``
initialised the same way from the same seed is therefore member s's twin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

ACTIVATIONS = {
    "relu": torch.relu,
    "leaky_relu": lambda x: torch.nn.functional.leaky_relu(x, 0.2),
    "tanh": torch.tanh,
    "elu": torch.nn.functional.elu,
    "silu": torch.nn.functional.silu,
    "softplus": torch.nn.functional.softplus,
}


def init_linear_(weight: torch.Tensor, bias: torch.Tensor, generator: torch.Generator) -> None:
    """Initialise an ``nn.Linear``-shaped ``weight[out, in]``, ``bias[out]`` in place."""
    nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
    bound = 1.0 / math.sqrt(weight.shape[1])
    nn.init.uniform_(bias, -bound, bound, generator=generator)


class EnsembleLinear(nn.Module):
    """S linear layers ``in -> out`` applied member-wise with one batched matmul."""

    def __init__(self, n_members: int, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = nn.Parameter(torch.empty(n_members, in_features, out_features))
        self.bias = nn.Parameter(torch.empty(n_members, 1, out_features))

    def reset_member(self, s: int, generator: torch.Generator) -> None:
        """Initialise member ``s`` as ``nn.Linear`` would, from ``generator``."""
        w = torch.empty(self.out_features, self.in_features)
        b = torch.empty(self.out_features)
        init_linear_(w, b, generator)
        with torch.no_grad():
            self.weight[s].copy_(w.T)
            self.bias[s, 0].copy_(b)

    def forward(self, x: torch.Tensor, members: slice | None = None) -> torch.Tensor:
        """``x[S', B, in] -> [S', B, out]``; ``members`` selects a contiguous subset."""
        if members is None:
            return torch.baddbmm(self.bias, x, self.weight)
        return torch.baddbmm(self.bias[members], x, self.weight[members])


class EnsembleMLP(nn.Module):
    """S multilayer perceptrons ``sizes[0] -> ... -> sizes[-1]``, activation between layers.

    ``generators[s]`` initialises member s (all of its layers, in order).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str,
        generators: Sequence[torch.Generator],
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {sorted(ACTIVATIONS)}")
        self.n_members = len(generators)
        self.activation = ACTIVATIONS[activation]
        self.layers = nn.ModuleList(
            EnsembleLinear(self.n_members, a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
        )
        for s, g in enumerate(generators):
            for layer in self.layers:
                layer.reset_member(s, g)

    def forward(self, x: torch.Tensor, members: slice | None = None) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x, members)
            if i < last:
                x = self.activation(x)
        return x

    def parameter_list(self) -> list[torch.Tensor]:
        """Parameters in a fixed order: layer 0 weight, layer 0 bias, layer 1 weight, ..."""
        return [p for layer in self.layers for p in (layer.weight, layer.bias)]
