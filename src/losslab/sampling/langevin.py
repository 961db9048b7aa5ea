r"""Langevin MCMC for an ensemble: plain (with a separate noise knob and gradient clip) and
annealed over noise levels.

Tensors follow the member axis convention ``[S, B, d]``. Member ``s`` draws its noise
from ``generators[s]`` alone (``torch.randn(B, d, generator=generators[s])``, stacked),
so its chain never depends on which ensemble it runs in.

The update of :func:`langevin` is

.. math::

    x_{k+1} = x_k + \eta\, \operatorname{clip}_c\big(\nabla_x \log p(x_k)\big) + \tau\, \xi_k,
    \qquad \xi_k \sim \mathcal N(0, I),

with step size :math:`\eta` and noise scale :math:`\tau` as two knobs. With
:math:`\tau = \sqrt{2\eta}` and no clip it is the unadjusted Langevin algorithm (ULA),
whose stationary law tends to :math:`p \propto e^{-E}` as :math:`\eta \to 0` (for
:math:`E = \|x\|^2/2` it is :math:`\mathcal N(0, I/(1-\eta/2))` exactly). A general
:math:`\tau` is ULA with step :math:`h = \tau^2/2` on the tempered energy :math:`E/T`,
:math:`T = \tau^2 / (2\eta)`: it samples :math:`p^{1/T}`. Du & Mordatch (2019) and
Nijkamp et al. (2019, "short-run" MCMC) use a noise far below :math:`\sqrt{2\eta}` on
purpose (e.g. :math:`\eta = 10`, :math:`\tau = 0.005`, so :math:`T \approx 10^{-6}`): a
nearly noiseless descent on the energy that the model learns to shape, traded against
being a faithful sampler of :math:`p_\theta`.

:func:`annealed_langevin` is Algorithm 1 of Song & Ermon (2019), "Generative Modeling by
Estimating Gradients of the Data Distribution", with the final denoising step of Song &
Ermon (2020), "Improved Techniques for Training Score-Based Generative Models", and
Jolicoeur-Martineau et al. (2021), "Adversarial score matching and improved sampling for
image generation".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeAlias

from losslab._lazy import torch
from losslab.rng import per_member

if TYPE_CHECKING:
    from torch import Tensor

Score: TypeAlias = "Callable[[Tensor], Tensor]"


def _check_ensemble(x: Tensor, generators: Sequence[torch.Generator]) -> None:
    if x.dim() < 3:
        raise ValueError(f"expected x of shape [S, B, d], got {tuple(x.shape)}")
    if len(generators) != x.shape[0]:
        raise ValueError(f"{len(generators)} generators for {x.shape[0]} members")


def langevin(
    score: Score,
    x: Tensor,
    steps: int,
    step_size: float,
    noise: float,
    generators: Sequence[torch.Generator],
    grad_clip: float | None = None,
) -> tuple[Tensor, Tensor]:
    r"""Run ``steps`` Langevin updates from ``x`` and return ``(x_final, grad_norms)``.

    For :math:`k = 1..K`:

    .. math::

        g_k = \nabla_x \log p(x_{k-1}) = \texttt{score}(x_{k-1}), \qquad
        x_k = x_{k-1} + \eta\, \operatorname{clip}(g_k, -c, c) + \tau\, \xi_k,

    with :math:`\eta` = ``step_size``, :math:`\tau` = ``noise``, the elementwise clip
    applied only when ``grad_clip`` = :math:`c` is given and > 0, and
    :math:`\xi_k \sim \mathcal N(0, I)` drawn per member from ``generators[s]`` (drawn
    even when ``noise`` is 0, so the random stream does not depend on the knob).
    ``noise = sqrt(2 * step_size)`` without clip is ULA targeting :math:`p`; a smaller
    noise targets the colder :math:`p^{1/T}`, :math:`T = \tau^2/(2\eta)` (see the module
    docstring).

    ``x``: ``[S, B, d]``; ``score(x)`` returns :math:`\nabla_x \log p = -\nabla_x E`,
    same shape (see :func:`energy_score`). Returns ``x_final`` detached (no graph) and
    ``grad_norms`` ``[steps, S]``: per step, the batch mean of each sample's L2 norm of the
    *unclipped* :math:`g_k` (Nijkamp et al. 2019's gradient-magnitude diagnostic).
    """
    _check_ensemble(x, generators)
    if steps < 0:
        raise ValueError(f"steps = {steps} must be >= 0")
    clip = grad_clip is not None and grad_clip > 0
    x = x.detach()
    grad_norms = x.new_empty(steps, x.shape[0])
    shape, dtype = x.shape[1:], x.dtype

    def draw(gen: torch.Generator) -> Tensor:
        return torch.randn(shape, generator=gen, device=gen.device, dtype=dtype)

    for k in range(steps):
        g = score(x).detach()
        if g.shape != x.shape:
            raise ValueError(f"score returned {tuple(g.shape)} for x of {tuple(x.shape)}")
        grad_norms[k] = g.flatten(2).norm(dim=2).mean(dim=1)
        if clip:
            g = g.clamp(-grad_clip, grad_clip)
        x = x + step_size * g + noise * per_member(generators, draw, x.device)
    return x, grad_norms


def energy_score(energy: Callable[[Tensor], Tensor]) -> Score:
    r"""The score :math:`-\nabla_x E(x)` of an energy ``E: [S, B, d] -> [S, B]``.

    Computed with ``torch.autograd.grad`` of :math:`\sum_{s,b} E_s(x_{s,b})` with respect
    to a detached copy of ``x`` only (``create_graph=False``), so no parameter's ``.grad``
    is touched and nothing is kept for backprop. The sum gives each sample its own
    gradient as long as ``E`` treats samples independently (no batch statistics).
    Works inside ``torch.no_grad()``: gradient recording is switched on just for the call.
    """

    def score(x: Tensor) -> Tensor:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            e = energy(x)
            if e.shape != x.shape[:2]:
                raise ValueError(f"energy returned {tuple(e.shape)}, expected {tuple(x.shape[:2])}")
            (grad,) = torch.autograd.grad(e.sum(), x, create_graph=False)
        return -grad

    return score


def annealed_langevin(
    score: Callable[[Tensor, int], Tensor],
    x: Tensor,
    sigmas: Sequence[float] | Tensor,
    steps_per_level: int,
    step_eps: float,
    generators: Sequence[torch.Generator],
    denoise: bool = True,
) -> Tensor:
    r"""Annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1), then one denoising step.

    For levels :math:`i = 1..L` with :math:`\sigma_1 > \dots > \sigma_L` (``sigmas``),
    :math:`\alpha_i = \epsilon\, \sigma_i^2 / \sigma_L^2` (:math:`\epsilon` = ``step_eps``)
    and ``steps_per_level`` = :math:`T` updates each:

    .. math::

        x \leftarrow x + \tfrac{\alpha_i}{2}\, s_\theta(x, \sigma_i) + \sqrt{\alpha_i}\, z,
        \qquad z \sim \mathcal N(0, I),

    i.e. :func:`langevin` with ``step_size`` :math:`\alpha_i/2` and ``noise``
    :math:`\sqrt{\alpha_i}` (ULA at every level). Scaling :math:`\alpha_i \propto
    \sigma_i^2` keeps the signal-to-noise ratio of the update the same at every level.
    ``score(x, i)`` is the score at level index ``i`` (0-based into ``sigmas``).

    If ``denoise``: a final Tweedie step :math:`x \leftarrow x + \sigma_L^2\,
    s_\theta(x, \sigma_L)`, the posterior mean :math:`\mathbb E[x_0 \mid x]` under
    :math:`x = x_0 + \sigma_L z` (Song & Ermon 2020; Jolicoeur-Martineau et al. 2021). It
    removes the last level's noise, which otherwise stays in the samples.

    ``x``: ``[S, B, d]`` start (e.g. uniform noise); returns the samples, detached.
    """
    levels = [float(s) for s in sigmas]
    if not levels:
        raise ValueError("sigmas is empty")
    if any(a <= b for a, b in zip(levels, levels[1:], strict=False)) or levels[-1] <= 0:
        raise ValueError(f"sigmas must be positive and strictly decreasing, got {levels}")
    last = levels[-1]
    x = x.detach()
    for i, sigma in enumerate(levels):
        alpha = step_eps * sigma**2 / last**2
        x, _ = langevin(
            lambda y, i=i: score(y, i),
            x,
            steps_per_level,
            alpha / 2,
            math.sqrt(alpha),
            generators,
        )
    if denoise:
        x = x + last**2 * score(x, len(levels) - 1).detach()
    return x.detach()
