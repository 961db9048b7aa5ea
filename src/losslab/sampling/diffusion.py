r"""DDPM: the noise schedule, the forward (noising) process and the ancestral sampler.

Ho, Jain & Abbeel (2020), *Denoising Diffusion Probabilistic Models*; the cosine
schedule is Nichol & Dhariwal (2021), *Improved Denoising Diffusion Probabilistic
Models*; v-prediction is Salimans & Ho (2022), *Progressive Distillation for Fast
Sampling of Diffusion Models*.

**Index convention.** A timestep ``t`` is 0-based, ``t in {0, ..., T-1}``; ``t = 0`` is
Ho et al.'s :math:`x_1` (one noising step from the data) and ``t = T-1`` is their
:math:`x_T`. With :math:`\alpha_t = 1-\beta_t` and
:math:`\bar\alpha_t = \prod_{s\le t}\alpha_s`,

.. math::

    q(x_t \mid x_{t-1}) = \mathcal N\big(\sqrt{1-\beta_t}\,x_{t-1},\ \beta_t I\big),
    \qquad
    q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\,x_0,\ (1-\bar\alpha_t) I\big).

Schedules are float64 (a product of up to a thousand factors close to 1); the
coefficients that multiply data are cast to the data's dtype.

**Ensembles.** Tensors are laid out ``[S, B, d]`` (member axis first) and member ``s``
draws its noise from ``generators[s]`` alone, so a member's numbers never depend on the
ensemble it runs in.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from losslab._lazy import no_grad, torch
from losslab.rng import per_member

if TYPE_CHECKING:
    from torch import Tensor

__all__ = [
    "PREDICTIONS",
    "SCHEDULES",
    "alphas_bar",
    "ancestral_sample",
    "beta_schedule",
    "prediction_target",
    "q_sample",
    "q_step",
    "timestep_embedding",
    "to_eps",
]

SCHEDULES = ("linear", "cosine")
PREDICTIONS = ("eps", "x0", "v")
MAX_BETA = 0.999  # Nichol & Dhariwal: beta_t = 1 would make x_t independent of x_{t-1}
COSINE_OFFSET = 0.008  # Nichol & Dhariwal's s


def beta_schedule(kind: str, T: int) -> Tensor:
    r"""The variances :math:`\beta_0, \dots, \beta_{T-1}` of the forward steps (float64).

    * ``"linear"``: Ho et al.'s :math:`10^{-4} \dots 0.02` in :math:`T = 1000` equal steps,
      both ends scaled by :math:`1000/T` for other :math:`T` (the "scaled linear" schedule
      of Nichol & Dhariwal's code), so that :math:`\sum_t\beta_t` and hence
      :math:`\bar\alpha_{T-1} \approx e^{-\sum_t \beta_t} \approx 4\cdot10^{-5}` stay put
      when :math:`T` shrinks. Clipped at 0.999 (which matters only for :math:`T \le 20`).
    * ``"cosine"``: Nichol & Dhariwal eq. 17,

      .. math::

          \bar\alpha_t = \frac{f(t+1)}{f(0)},\quad
          f(u) = \cos^2\Big(\frac{u/T + s}{1 + s}\cdot\frac{\pi}{2}\Big),\ s = 0.008,
          \qquad \beta_t = \min\Big(1 - \frac{\bar\alpha_t}{\bar\alpha_{t-1}},\ 0.999\Big)

      (:math:`f(t+1)` because index ``t`` is Ho's step :math:`t+1`). The clip keeps the
      last step, where :math:`f(T) = 0`, from destroying the signal in one go.

    Raises ``ValueError`` on an unknown ``kind`` or ``T < 1``.
    """
    if T < 1:
        raise ValueError(f"the number of diffusion steps T must be >= 1, got {T}")
    if kind == "linear":
        scale = 1000.0 / T
        betas = torch.linspace(1e-4 * scale, 0.02 * scale, T, dtype=torch.float64)
    elif kind == "cosine":
        u = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((u + COSINE_OFFSET) / (1 + COSINE_OFFSET) * (math.pi / 2)) ** 2
        betas = 1.0 - f[1:] / f[:-1]
    else:
        known = ", ".join(repr(k) for k in SCHEDULES)
        raise ValueError(f"unknown noise schedule {kind!r} (known: {known})")
    return betas.clamp(max=MAX_BETA)


def alphas_bar(betas: Tensor) -> Tensor:
    r"""The fraction of the signal's variance kept after step ``t``, float64.

    .. math::

        \bar\alpha_t = \prod_{s=0}^{t}(1 - \beta_s)
    """
    return torch.cumprod(1.0 - betas.to(torch.float64), dim=0)


def _coefficient(values: Tensor, t: Tensor | int, like: Tensor) -> Tensor:
    """``values[t]`` shaped to broadcast against ``like`` (trailing axes added), in its dtype.

    ``t`` indexes ``like``'s leading axes: ``[S, B]`` (or ``[S, 1]``, or a scalar) for data
    ``[S, B, d]``.
    """
    t = torch.as_tensor(t, dtype=torch.long, device=values.device)
    picked = values[t]
    if picked.dim() > like.dim():
        raise ValueError(
            f"timesteps of shape {tuple(t.shape)} have more axes than the data {tuple(like.shape)}"
        )
    picked = picked.reshape(picked.shape + (1,) * (like.dim() - picked.dim()))
    return picked.to(device=like.device, dtype=like.dtype)


def q_sample(x0: Tensor, t: Tensor | int, noise: Tensor, alphas_bar: Tensor) -> Tensor:
    r"""A draw from :math:`q(x_t \mid x_0)`.

    .. math::

        x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,\epsilon

    ``x0``, ``noise``: ``[S, B, d]``; ``t``: long timesteps broadcastable against the
    leading axes (``[S, B]``, ``[S, 1]`` or a scalar); returns ``[S, B, d]``.
    """
    signal = _coefficient(alphas_bar.sqrt(), t, x0)
    sigma = _coefficient((1.0 - alphas_bar).sqrt(), t, x0)
    return signal * x0 + sigma * noise


def q_step(x_prev: Tensor, t: Tensor | int, noise: Tensor, betas: Tensor) -> Tensor:
    r"""One forward step :math:`x_t = \sqrt{1-\beta_t}\,x_{t-1} + \sqrt{\beta_t}\,\epsilon`.

    ``x_prev`` is :math:`x_{t-1}` (the data itself for ``t = 0``); shapes as :func:`q_sample`.
    """
    keep = _coefficient((1.0 - betas.to(torch.float64)).sqrt(), t, x_prev)
    sigma = _coefficient(betas.to(torch.float64).sqrt(), t, x_prev)
    return keep * x_prev + sigma * noise


def _check_kind(kind: str) -> None:
    if kind not in PREDICTIONS:
        known = ", ".join(repr(k) for k in PREDICTIONS)
        raise ValueError(f"unknown prediction {kind!r} (known: {known})")


def prediction_target(
    kind: str, x0: Tensor, noise: Tensor, t: Tensor | int, alphas_bar: Tensor
) -> Tensor:
    r"""What a network trained with the ``kind`` parameterisation regresses on.

    .. math::

        \text{eps}: \epsilon, \qquad \text{x0}: x_0, \qquad
        \text{v}: v = \sqrt{\bar\alpha_t}\,\epsilon - \sqrt{1-\bar\alpha_t}\,x_0

    for :math:`x_t = \sqrt{\bar\alpha_t}x_0 + \sqrt{1-\bar\alpha_t}\epsilon` (Salimans & Ho
    2022, where :math:`v` is the velocity :math:`dx_t/d\phi` of
    :math:`x_t = \cos\phi\,x_0 + \sin\phi\,\epsilon`).
    """
    _check_kind(kind)
    if kind == "eps":
        return noise
    if kind == "x0":
        return x0
    signal = _coefficient(alphas_bar.sqrt(), t, x0)
    sigma = _coefficient((1.0 - alphas_bar).sqrt(), t, x0)
    return signal * noise - sigma * x0


def to_eps(kind: str, pred: Tensor, x_t: Tensor, t: Tensor | int, alphas_bar: Tensor) -> Tensor:
    r"""The noise estimate :math:`\hat\epsilon` implied by a ``kind`` prediction at :math:`x_t`.

    .. math::

        \text{eps}: \hat\epsilon, \qquad
        \text{x0}: \hat\epsilon = \frac{x_t - \sqrt{\bar\alpha_t}\,\hat x_0}{\sqrt{1-\bar\alpha_t}},
        \qquad
        \text{v}: \hat\epsilon = \sqrt{\bar\alpha_t}\,\hat v + \sqrt{1-\bar\alpha_t}\,x_t

    The x0 form divides by :math:`\sqrt{1-\bar\alpha_t}`, which is small at low noise: an
    error in :math:`\hat x_0` is amplified by :math:`\sqrt{\bar\alpha_t/(1-\bar\alpha_t)}`
    there. The v form only multiplies by numbers in :math:`[0, 1]`.
    """
    _check_kind(kind)
    if kind == "eps":
        return pred
    signal = _coefficient(alphas_bar.sqrt(), t, x_t)
    sigma = _coefficient((1.0 - alphas_bar).sqrt(), t, x_t)
    if kind == "x0":
        return (x_t - signal * pred) / sigma
    return signal * pred + sigma * x_t


def timestep_embedding(t: Tensor, dim: int) -> Tensor:
    r"""The sinusoidal embedding of (possibly fractional) times ``t``: ``[...] -> [..., dim]``.

    .. math::

        e(t) = \big(\sin(t\,\omega_0), \dots, \sin(t\,\omega_{h-1}),\
                     \cos(t\,\omega_0), \dots, \cos(t\,\omega_{h-1})\big),
        \qquad \omega_k = 10000^{-k/h},\ h = \mathrm{dim}/2

    (Vaswani et al. 2017's positional encoding, sines then cosines, as Ho et al. feed the
    timestep to their network; Ho et al.'s code divides by :math:`h-1` instead of :math:`h`,
    a rescaling of the frequencies). ``t`` may be float, so the same function embeds
    :math:`\log\sigma` for score models. Computed in float64; returned in ``t``'s dtype if
    it is floating, else in torch's default dtype. ``dim`` must be even.
    """
    if dim < 2 or dim % 2:
        raise ValueError(f"the embedding size must be a positive even number, got {dim}")
    t = torch.as_tensor(t)
    dtype = t.dtype if t.is_floating_point() else torch.get_default_dtype()
    half = dim // 2
    k = torch.arange(half, dtype=torch.float64, device=t.device)
    omega = torch.exp(-math.log(10000.0) * k / half)
    angles = t.to(torch.float64).unsqueeze(-1) * omega
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1).to(dtype)


@no_grad
def ancestral_sample(
    model: Callable[[Tensor, int], Tensor],
    shape: tuple[int, int, int],
    kind: str,
    betas: Tensor,
    generators: Sequence[torch.Generator],
    device: torch.device | str | None = None,
) -> Tensor:
    r"""Ho et al.'s Algorithm 2: from :math:`x_{T-1} \sim \mathcal N(0, I)` denoise to :math:`x_0`.

    For :math:`t = T-1, \dots, 0`, with :math:`\hat\epsilon` the noise estimate implied by
    ``model(x_t, t)`` (see :func:`to_eps`):

    .. math::

        x_{t-1} = \frac{1}{\sqrt{1-\beta_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}
                  \,\hat\epsilon\Big) + \sigma_t z,
        \qquad z \sim \mathcal N(0, I),\ z = 0 \text{ at } t = 0.

    The mean is that of the true posterior :math:`q(x_{t-1} \mid x_t, x_0)` with
    :math:`x_0` replaced by its estimate. The variance is Ho et al.'s
    :math:`\sigma_t^2 = \beta_t`: they found it and the posterior variance
    :math:`\tilde\beta_t = \frac{1-\bar\alpha_{t-1}}{1-\bar\alpha_t}\beta_t` gave similar
    samples; :math:`\beta_t` is optimal when the data are :math:`\mathcal N(0, I)` and
    :math:`\tilde\beta_t` when they are a single point, the upper and lower bounds on the
    reverse-step entropy. :math:`\beta_t` adds slightly more noise, which errs toward
    too-wide rather than too-narrow samples.

    Args:
        model: ``model(x_t, t) -> prediction`` with ``x_t`` of shape ``[S, n, d]`` and ``t``
            a python ``int`` (the caller builds any embedding); the prediction is of the
            ``kind`` parameterisation, shape ``[S, n, d]``.
        shape: ``(S, n, d)``: members, samples per member, dimensions.
        kind: ``"eps"``, ``"x0"`` or ``"v"``.
        betas: the schedule, ``[T]``.
        generators: ``S`` generators; member ``s`` draws :math:`x_{T-1}` and every
            :math:`z` from ``generators[s]``, in the order of the steps.
        device: where ``model`` runs (default: the generators' device); the draws are
            made on the generators' device and moved there, so a CPU generator gives the
            same numbers whatever the device.

    Returns:
        :math:`x_0`, ``[S, n, d]`` float32 (on ``device``). No ``x0``
        clipping: the data here are not bounded like Ho et al.'s images.
    """
    _check_kind(kind)
    members, n, d = shape
    if len(generators) != members:
        raise ValueError(f"need one generator per member: {members} members, {len(generators)}")
    betas = betas.to(torch.float64)
    abar = alphas_bar(betas)
    device = device or generators[0].device

    def noise() -> Tensor:
        return per_member(
            generators, lambda g: torch.randn(n, d, generator=g, device=g.device), device
        )

    x = noise()
    for t in reversed(range(len(betas))):
        eps = to_eps(kind, model(x, t), x, t, abar)
        beta = float(betas[t])
        x = (x - beta / math.sqrt(1.0 - float(abar[t])) * eps) / math.sqrt(1.0 - beta)
        if t > 0:
            x = x + math.sqrt(beta) * noise()
    return x
