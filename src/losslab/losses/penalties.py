r"""Penalties: extra terms a trainer adds to the critic loss of a loss that declares them.

A loss declares its penalties in its ``training`` dict as ``{"penalties": {name: weight
knob}}`` (e.g. ``wgan-gp``: ``{"gradient-penalty": "gp_weight"}``); :data:`PENALTIES` maps
each name to a :class:`Penalty`, a pure term returning one value per ensemble member
(``Tensor[S]``). The trainer adds ``weight * penalty`` for each declared penalty to the
critic loss. The weight, like any numeric knob, is a number or a per-member ``[S]`` tensor
(:mod:`losslab.losses.knobs`); it scales the penalty's ``[S]`` result, so it broadcasts as
it is. A penalty that has a knob of its own (DRAGAN's noise scale ``c``) takes it by keyword
from the loss's knobs, broadcast per member like a loss term's.

Every penalty has one signature, ``fn(critic, real, fake, **draws, **knobs)``:

* ``critic`` maps ``[S, B, ...]`` to scores ``[S, B]`` (or ``[S, B, 1]``), member ``s``
  scoring its own slice with its own weights;
* ``real``, ``fake``: samples ``[S, B, ...]`` (detached here: a penalty is a term of the
  critic's loss only and never reaches the generator);
* ``draws``: the random numbers the penalty needs, named in :attr:`Penalty.needs` and drawn
  by the caller (which owns each member's RNG) uniformly from ``[0, 1)``, in the order
  ``needs`` lists them: ``eps`` ``[S, B, 1]`` (one number per sample), ``noise``
  ``[S, B, ...]`` (one per coordinate, the samples' shape).

Every gradient is taken with ``create_graph=True`` (the caller's ``backward`` is a double
backward) through one ``autograd.grad`` call on ``critic(x).sum()``: this gives every
per-sample gradient at once because each score ``f_s(x[s, b])`` depends only on its own
sample and member. A critic that mixes samples (batch normalisation) breaks this.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from losslab._lazy import torch
from losslab.losses.knobs import Knob, broadcast_knob

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "PENALTIES",
    "Penalty",
    "declared_penalties",
    "dragan_penalty",
    "gradient_penalty",
    "one_sided_penalty",
    "r1_penalty",
    "r2_penalty",
]

Critic: TypeAlias = "Callable[[Tensor], Tensor]"


def _check(real: Tensor, fake: Tensor) -> None:
    if real.shape != fake.shape or real.dim() < 3:
        raise ValueError(
            "real and fake must share one shape [S, B, ...], got "
            f"{tuple(real.shape)} and {tuple(fake.shape)}"
        )


def _input_gradient_norms(critic: Critic, x: Tensor) -> Tensor:
    """``||grad_x f_s(x[s, b])||_2`` for every member and sample, ``[S, B]``, with a graph."""
    # enable_grad: a penalty can also be evaluated for logging inside torch.no_grad().
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        scores = critic(x)
        if scores.dim() == 3 and scores.shape[-1] == 1:
            scores = scores.squeeze(-1)
        if scores.shape != x.shape[:2]:
            raise ValueError(
                f"critic must return scores [S, B] = {tuple(x.shape[:2])}, "
                f"got {tuple(scores.shape)}"
            )
        (grad,) = torch.autograd.grad(scores.sum(), x, create_graph=True)
        return torch.linalg.vector_norm(grad.flatten(2), dim=2)


def gradient_penalty(critic: Critic, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    r"""WGAN-GP's two-sided gradient penalty at uniform interpolates (Gulrajani et al. 2017).

    .. math::

        \hat x_{s,b} = \epsilon_{s,b}\, x_{s,b} + (1 - \epsilon_{s,b})\, \tilde x_{s,b},
        \qquad
        \mathrm{GP}_s = \frac{1}{B}\sum_{b=1}^{B}
            \big(\lVert \nabla_{\hat x} f_s(\hat x_{s,b}) \rVert_2 - 1\big)^2

    ``eps``: interpolation weights ``[S, B, 1]`` drawn uniformly from ``[0, 1)``. Returns
    ``Tensor[S]``. The WGAN-GP paper forbids batch norm in the critic (see the module doc).

    Reference: Gulrajani, Ahmed, Arjovsky, Dumoulin, Courville (2017), *Improved Training
    of Wasserstein GANs*, eq. (3).
    """
    _check(real, fake)
    norms = _input_gradient_norms(critic, eps * real + (1.0 - eps) * fake)
    return ((norms - 1.0) ** 2).mean(dim=1)


def one_sided_penalty(critic: Critic, real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    r"""WGAN-LP's one-sided (Lipschitz) penalty at uniform interpolates (Petzka et al. 2018).

    .. math::

        \mathrm{LP}_s = \frac{1}{B}\sum_{b=1}^{B}
            \max\big(0,\ \lVert \nabla_{\hat x} f_s(\hat x_{s,b}) \rVert_2 - 1\big)^2,
        \qquad \hat x = \epsilon x + (1 - \epsilon)\tilde x

    Zero wherever every gradient norm is at most 1: it enforces the Lipschitz constraint
    ``||grad f|| <= 1`` without pushing small norms up. ``eps`` as for
    :func:`gradient_penalty`; returns ``Tensor[S]``.

    Reference: Petzka, Fischer, Lukovnikov (2018), *On the regularization of Wasserstein
    GANs* (ICLR 2018).
    """
    _check(real, fake)
    norms = _input_gradient_norms(critic, eps * real + (1.0 - eps) * fake)
    return torch.clamp(norms - 1.0, min=0.0).pow(2).mean(dim=1)


def r1_penalty(critic: Critic, real: Tensor, fake: Tensor) -> Tensor:
    r"""The zero-centred R1 penalty on real data (Mescheder et al. 2018), without its weight.

    .. math::

        R_1(s) = \frac{1}{2}\cdot\frac{1}{B}\sum_{b=1}^{B}
            \lVert \nabla_x D_s(x_{s,b}) \rVert_2^2, \qquad x \sim p_{\text{data}}

    The trainer multiplies by the loss's weight :math:`\gamma`, giving the paper's
    :math:`\frac{\gamma}{2}\mathbb{E}\lVert\nabla D(x)\rVert^2`. ``D`` is the logit.
    ``fake`` is not used. Returns ``Tensor[S]``.

    Reference: Mescheder, Geiger, Nowozin (2018), *Which Training Methods for GANs do
    actually Converge?*, eq. (9).
    """
    _check(real, fake)
    return 0.5 * _input_gradient_norms(critic, real).pow(2).mean(dim=1)


def r2_penalty(critic: Critic, real: Tensor, fake: Tensor) -> Tensor:
    r"""The zero-centred R2 penalty on generated data (Mescheder et al. 2018, eq. 10).

    .. math::

        R_2(s) = \frac{1}{2}\cdot\frac{1}{B}\sum_{b=1}^{B}
            \lVert \nabla_{\tilde x} D_s(\tilde x_{s,b}) \rVert_2^2, \qquad \tilde x \sim p_g

    ``real`` is not used. Returns ``Tensor[S]``.
    """
    _check(real, fake)
    return 0.5 * _input_gradient_norms(critic, fake).pow(2).mean(dim=1)


def dragan_penalty(
    critic: Critic, real: Tensor, fake: Tensor, eps: Tensor, noise: Tensor, c: Knob = 0.5
) -> Tensor:
    r"""DRAGAN's penalty around the real data (Kodali et al. 2017).

    .. math::

        \hat x_{s,b} = x_{s,b} + \epsilon_{s,b}\, c\, \sigma_s\, u_{s,b}, \qquad
        \mathrm{DRAGAN}_s = \frac{1}{B}\sum_{b=1}^{B}
            \big(\lVert \nabla_{\hat x} D_s(\hat x_{s,b}) \rVert_2 - 1\big)^2

    with :math:`\sigma_s` the (population) standard deviation of member ``s``'s real batch,
    over all its elements (numpy's ``X.std()``), :math:`u \sim U[0,1)^d` (``noise``, the
    samples' shape) and
    :math:`\epsilon \sim U[0,1)` (``eps`` ``[S, B, 1]``): the perturbation of the authors'
    released code (``X + 0.5 * X.std() * random(X.shape)``, then a uniform point on the
    segment to it), which StudioGAN and most re-implementations follow; the paper writes
    it as :math:`\delta \sim \mathcal N(0, cI)`. ``c`` is a number or a per-member ``[S]``
    knob. ``fake`` is not used. Returns ``Tensor[S]``.

    Reference: Kodali, Abernethy, Hays, Kira (2017), *On Convergence and Stability of GANs*,
    and the authors' released code.
    """
    _check(real, fake)
    sigma = real.flatten(1).std(dim=1, correction=0).reshape(-1, *([1] * (real.dim() - 1)))
    x_hat = real + eps * broadcast_knob(c, real) * sigma * noise
    norms = _input_gradient_norms(critic, x_hat)
    return ((norms - 1.0) ** 2).mean(dim=1)


@dataclass(frozen=True)
class Penalty:
    """A registered penalty: its term and the uniform ``[0, 1)`` draws it takes, in the
    order they are drawn from the member's ``penalty`` stream (``"eps"``: ``[S, B, 1]``;
    ``"noise"``: the samples' shape)."""

    fn: Callable[..., Tensor]
    needs: tuple[str, ...] = ()

    def knobs(self) -> tuple[str, ...]:
        """The knobs the term takes by keyword (beyond critic, samples and draws)."""
        fixed = {"critic", "real", "fake", *self.needs}
        return tuple(p for p in inspect.signature(self.fn).parameters if p not in fixed)


#: The penalties a loss may declare, by name.
PENALTIES: dict[str, Penalty] = {
    "gradient-penalty": Penalty(gradient_penalty, needs=("eps",)),
    "one-sided": Penalty(one_sided_penalty, needs=("eps",)),
    "r1": Penalty(r1_penalty),
    "r2": Penalty(r2_penalty),
    "dragan": Penalty(dragan_penalty, needs=("eps", "noise")),
}


def declared_penalties(training: Mapping[str, Any]) -> dict[str, str]:
    """The penalties a loss's ``training`` dict declares, ``{penalty name: weight knob}``,
    in declaration order (which is the order their draws are made).

    ``training["penalties"]`` is the one way to declare them. The older single key
    ``training["gradient_penalty"] = knob`` (plug-ins written before penalties composed) is
    read as ``{"gradient-penalty": knob}``. Unknown names raise ``ValueError``.
    """
    out = dict(training.get("penalties", {}))
    legacy = training.get("gradient_penalty")
    if legacy is not None:
        out.setdefault("gradient-penalty", legacy)
    unknown = sorted(set(out) - set(PENALTIES))
    if unknown:
        raise ValueError(f"unknown penalties {unknown} (known: {', '.join(PENALTIES)})")
    return out
