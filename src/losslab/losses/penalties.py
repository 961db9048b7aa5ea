r"""Penalties: extra terms a trainer adds to a loss that declares it accepts them.

A penalty is a pure function returning one value per ensemble member (``Tensor[S]``);
the trainer multiplies it by the weight the loss names in its ``training`` dict
(e.g. ``wgan-gp``: ``{"gradient_penalty": "gp_weight"}``) and adds it to the critic loss.
The weight, like any numeric knob, is a number or a per-member ``[S]`` tensor
(:mod:`losslab.losses.knobs`); it scales the penalty's ``[S]`` result, so it broadcasts as
it is and the penalties themselves take no knob.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

__all__ = ["gradient_penalty"]


def gradient_penalty(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, eps: Tensor
) -> Tensor:
    r"""WGAN-GP's two-sided gradient penalty at uniform interpolates (Gulrajani et al. 2017).

    .. math::

        \hat x_{s,b} = \epsilon_{s,b}\, x_{s,b} + (1 - \epsilon_{s,b})\, \tilde x_{s,b},
        \qquad
        \mathrm{GP}_s = \frac{1}{B}\sum_{b=1}^{B}
            \big(\lVert \nabla_{\hat x} f_s(\hat x_{s,b}) \rVert_2 - 1\big)^2

    Args:
        critic: maps ``[S, B, ...]`` to scores ``[S, B]`` (or ``[S, B, 1]``); member ``s``
            scores its own slice with its own weights.
        real: real samples ``[S, B, d]`` (any trailing shape ``[S, B, ...]`` works; the norm
            runs over all trailing axes).
        fake: generated samples, same shape. They are detached here: the penalty is a
            term of the critic's loss only and never reaches the generator.
        eps: interpolation weights ``[S, B, 1]`` (broadcastable to ``real``), drawn
            uniformly from ``[0, 1]`` by the caller, which owns the member's RNG.

    Returns:
        ``Tensor[S]``, differentiable with respect to the critic's parameters (the input
        gradient is taken with ``create_graph=True``, so the caller's ``backward`` is a
        double backward).

    One ``autograd.grad`` call on ``critic(x_hat).sum()`` gives every per-sample gradient
    at once because each score ``f_s(x_hat[s, b])`` depends only on its own sample and
    member: the derivative of the sum with respect to ``x_hat[s, b]`` is then exactly
    ``grad f_s(x_hat[s, b])``. A critic that mixes samples (batch normalisation) or members
    breaks this, and the WGAN-GP paper forbids batch norm in the critic for the same reason.

    Reference: Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), *Improved Training
    of Wasserstein GANs*, eq. (3).
    """
    if real.shape != fake.shape or real.dim() < 3:
        raise ValueError(
            "real and fake must share one shape [S, B, ...], got "
            f"{tuple(real.shape)} and {tuple(fake.shape)}"
        )
    # enable_grad: the penalty can also be evaluated for logging inside torch.no_grad().
    with torch.enable_grad():
        x_hat = (eps * real + (1.0 - eps) * fake).detach().requires_grad_(True)
        scores = critic(x_hat)
        if scores.dim() == 3 and scores.shape[-1] == 1:
            scores = scores.squeeze(-1)
        if scores.shape != x_hat.shape[:2]:
            raise ValueError(
                f"critic must return scores [S, B] = {tuple(x_hat.shape[:2])}, "
                f"got {tuple(scores.shape)}"
            )
        (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
        norms = torch.linalg.vector_norm(grad.flatten(2), dim=2)  # [S, B]
        return ((norms - 1.0) ** 2).mean(dim=1)
