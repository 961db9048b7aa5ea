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


class EnsembleBatchNorm(nn.Module):
    r"""Batch normalisation per member over the batch axis (Ioffe & Szegedy 2015).

    .. math::

        y_{s,b} = \gamma_s \frac{x_{s,b} - \mu_s}{\sqrt{\sigma^2_s + \epsilon}} + \beta_s,
        \qquad \mu_s, \sigma^2_s \text{ over } b

    In training mode the statistics are member s's batch statistics (biased
    variance, as ``nn.BatchNorm1d``) and running estimates are updated with
    ``momentum``; in eval mode the running estimates are used. Members never
    share statistics.
    """

    def __init__(self, n_members: int, features: int, momentum: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(n_members, 1, features))
        self.bias = nn.Parameter(torch.zeros(n_members, 1, features))
        self.register_buffer("running_mean", torch.zeros(n_members, 1, features))
        self.register_buffer("running_var", torch.ones(n_members, 1, features))

    def forward(self, x: torch.Tensor, members: slice | None = None) -> torch.Tensor:
        sl = members if members is not None else slice(None)
        if self.training:
            mean = x.mean(1, keepdim=True)
            var = x.var(1, keepdim=True, unbiased=False)
            with torch.no_grad():
                n = x.shape[1]
                unbiased = var * (n / max(n - 1, 1))
                self.running_mean[sl].lerp_(mean, self.momentum)
                self.running_var[sl].lerp_(unbiased, self.momentum)
        else:
            mean, var = self.running_mean[sl], self.running_var[sl]
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight[sl] + self.bias[sl]


class EnsembleMLP(nn.Module):
    """S multilayer perceptrons ``sizes[0] -> ... -> sizes[-1]``.

    Between layers: ``activation``, optionally preceded by batch normalisation
    (``batch_norm``), or, with ``maxout = k > 1``, maxout units (Goodfellow et
    al. 2013): each hidden layer computes ``k`` linear pieces per unit and keeps
    their maximum (the activation is then not used). ``init`` is ``"pytorch"``
    (``nn.Linear``'s default) or ``"normal"``: weights ~ N(0, init_std^2), biases 0.
    ``generators[s]`` initialises member s (all of its layers, in order).
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str,
        generators: Sequence[torch.Generator],
        batch_norm: bool = False,
        maxout: int = 1,
        init: str = "pytorch",
        init_std: float = 0.02,
    ):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; known: {sorted(ACTIVATIONS)}")
        self.n_members = len(generators)
        self.activation = ACTIVATIONS[activation]
        self.maxout = maxout
        n_layers = len(sizes) - 1
        widths = [b * (maxout if i < n_layers - 1 else 1) for i, b in enumerate(sizes[1:])]
        self.layers = nn.ModuleList(
            EnsembleLinear(self.n_members, a, w) for a, w in zip(sizes[:-1], widths, strict=True)
        )
        self.norms = nn.ModuleList(
            EnsembleBatchNorm(self.n_members, b) for b in sizes[1:-1] if batch_norm
        )
        for s, g in enumerate(generators):
            for layer in self.layers:
                if init == "pytorch":
                    layer.reset_member(s, g)
                elif init == "normal":
                    with torch.no_grad():
                        w = torch.empty(layer.in_features, layer.out_features)
                        layer.weight[s].copy_(nn.init.normal_(w, 0.0, init_std, generator=g))
                        layer.bias[s].zero_()
                else:
                    raise ValueError(f"unknown init {init!r}")

    def forward(self, x: torch.Tensor, members: slice | None = None) -> torch.Tensor:
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = layer(x, members)
            if i == last:
                break
            if self.maxout > 1:
                x = x.unflatten(-1, (-1, self.maxout)).amax(-1)
                continue
            if self.norms:
                x = self.norms[i](x, members)
            x = self.activation(x)
        return x

    def parameter_list(self) -> list[torch.Tensor]:
        """Parameters in a fixed order, layer by layer: weight, bias[, norm weight, norm bias]."""
        return [p for group in self.parameter_groups() for p in group]

    def parameter_groups(self) -> list[list[torch.Tensor]]:
        """The parameters of each layer (its linear map and the normalisation after it)."""
        groups = [[layer.weight, layer.bias] for layer in self.layers]
        for i, norm in enumerate(self.norms):
            groups[i] += [norm.weight, norm.bias]
        return groups
