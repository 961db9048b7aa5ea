r"""Flow matching: the conditional probability path, its velocity, and the ODE samplers.

Lipman, Chen, Ben-Hamu, Nickel & Le (2023), *Flow Matching for Generative Modeling*;
Liu, Gong & Liu (2023), *Flow Straight and Fast: Learning to Generate and Transfer Data
with Rectified Flow*.

**Time convention** (Lipman et al.'s): :math:`t = 0` is noise :math:`x_0 \sim
\mathcal N(0, I)` and :math:`t = 1` is data :math:`x_1`. The optimal-transport path with
minimum width :math:`\sigma_{\min}` (Lipman et al. eq. 20, written with the noise
:math:`x_0` in place of their :math:`\epsilon`) is

.. math::

    \psi_t(x_0 \mid x_1) = \big(1 - (1-\sigma_{\min})\,t\big)\,x_0 + t\,x_1,
    \qquad
    u_t = \frac{d}{dt}\psi_t = x_1 - (1-\sigma_{\min})\,x_0,

a straight line whose velocity does not depend on :math:`t`. :math:`\sigma_{\min} = 0` is
rectified flow's linear interpolation :math:`x_t = t\,x_1 + (1-t)\,x_0` with velocity
:math:`x_1 - x_0` (Liu et al. 2023).

**Ensembles.** Tensors are laid out ``[S, B, d]`` (member axis first); member ``s``
draws its starting noise from ``generators[s]`` alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.rng import per_member

if TYPE_CHECKING:
    from torch import Tensor

__all__ = ["SAMPLERS", "flow_path", "flow_target", "integrate", "sample_flow"]

SAMPLERS = ("euler", "heun")


def _time(t: Tensor | float, like: Tensor) -> Tensor:
    """``t`` broadcast against ``like [S, B, d]``: a number, ``[S, B]`` or ``[S, B, 1]``."""
    t = torch.as_tensor(t, dtype=like.dtype, device=like.device)
    if t.dim() == like.dim() - 1:
        t = t.unsqueeze(-1)
    return t


def flow_path(noise: Tensor, data: Tensor, t: Tensor | float, sigma_min: float = 0.0) -> Tensor:
    r""":math:`x_t = (1 - (1-\sigma_{\min})t)\,x_0 + t\,x_1` for noise :math:`x_0` and data
    :math:`x_1` of one shape ``[S, B, d]``; ``t`` a number or one time per sample ``[S, B]``."""
    t = _time(t, data)
    return (1 - (1 - sigma_min) * t) * noise + t * data


def flow_target(noise: Tensor, data: Tensor, sigma_min: float = 0.0) -> Tensor:
    r"""The conditional velocity :math:`u_t = x_1 - (1-\sigma_{\min})\,x_0`, the
    :math:`t`-derivative of :func:`flow_path` (the same for every :math:`t`)."""
    return data - (1 - sigma_min) * noise


def integrate(
    velocity: Callable[[Tensor, float], Tensor], x: Tensor, steps: int, method: str = "euler"
) -> Tensor:
    r"""Solve :math:`\dot x = v(x, t)` from :math:`t = 0` to :math:`t = 1` in ``steps``
    equal steps :math:`h = 1/\text{steps}`.

    * ``"euler"``: :math:`x_{k+1} = x_k + h\,v(x_k, t_k)`, one evaluation per step, error
      :math:`O(h)`.
    * ``"heun"`` (the explicit trapezoid, Karras et al. 2022's second-order sampler
      without the noise): :math:`\tilde x = x_k + h\,v(x_k, t_k)`,
      :math:`x_{k+1} = x_k + \tfrac h2\big(v(x_k, t_k) + v(\tilde x, t_{k+1})\big)`, two
      evaluations per step, error :math:`O(h^2)`.

    ``velocity(x, t)`` takes ``x [S, n, d]`` and a python float ``t``; returns the final
    ``x``, detached.
    """
    if method not in SAMPLERS:
        raise ValueError(f"unknown flow sampler {method!r}; expected one of {SAMPLERS}")
    if steps < 1:
        raise ValueError(f"the number of sampling steps must be >= 1, got {steps}")
    h = 1.0 / steps
    with torch.no_grad():
        for k in range(steps):
            t = k * h
            v = velocity(x, t)
            if method == "euler":
                x = x + h * v
            else:
                x_next = x + h * v
                x = x + 0.5 * h * (v + velocity(x_next, t + h))
    return x.detach()


def sample_flow(
    velocity: Callable[[Tensor, float], Tensor],
    shape: tuple[int, int, int],
    steps: int,
    method: str,
    generators: Sequence[torch.Generator],
    device: torch.device | str | None = None,
) -> Tensor:
    r"""Samples ``[S, n, d]``: :math:`x_0 \sim \mathcal N(0, I)` per member from its own
    generator, carried to :math:`t = 1` by :func:`integrate`."""
    S, n, d = shape
    if len(generators) != S:
        raise ValueError(f"{len(generators)} generators for {S} members")
    x = per_member(generators, lambda g: torch.randn(n, d, generator=g), device)
    return integrate(velocity, x, steps, method)
