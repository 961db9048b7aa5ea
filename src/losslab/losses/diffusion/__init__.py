r"""Diffusion losses: DDPM's noise-, x0- and v-prediction, and flow matching.

The three losses are one function, :func:`denoise_mse`, applied to different targets:
the trainer draws :math:`t \sim U\{0, \dots, T-1\}` and :math:`\epsilon \sim \mathcal N(0, I)`
per sample, builds :math:`x_t` with :func:`losslab.sampling.diffusion.q_sample`, asks the
network for a prediction of the kind named in ``spec.training["prediction"]`` and regresses
it on :func:`losslab.sampling.diffusion.prediction_target`. What differs between
``ddpm-eps``, ``ddpm-x0`` and ``ddpm-v`` is the quantity regressed, hence the implied
weighting over timesteps; with :math:`\mathrm{SNR}(t) = \bar\alpha_t / (1 - \bar\alpha_t)`,

.. math::

    \lVert\epsilon - \hat\epsilon\rVert^2 = \mathrm{SNR}(t)\,\lVert x_0 - \hat x_0\rVert^2,
    \qquad
    \lVert v - \hat v\rVert^2 = \big(1 + \mathrm{SNR}(t)\big)\,\lVert x_0 - \hat x_0\rVert^2 .

Every term returns one value per ensemble member, ``Tensor[S]``.

A numeric knob is a number or an ``[S]`` tensor, one value per member
(:mod:`losslab.losses.knobs`); the DDPM knobs (``timesteps``, ``schedule``,
``embedding_dim``) change shapes or code paths, are read by the trainer and stay plain
values, and :func:`denoise_mse` takes none.

``flow-matching`` uses the same :func:`denoise_mse` on another target: the trainer draws
:math:`t \sim U[0, 1]` and noise :math:`x_0`, builds the straight path
:math:`x_t = (1-(1-\sigma_{\min})t)\,x_0 + t\,x_1` and regresses the network on its
velocity :math:`x_1 - (1-\sigma_{\min})x_0` (:mod:`losslab.sampling.flow`);
``training["method"] == "flow"``.

The package holds one module per loss (its terms and its card), registered in the order
imported below, which is the catalogue's order; ``_common`` holds what several cards share.
"""

# isort: off
# Import order is registration order, hence `losslab list` order.
from losslab.losses.diffusion._common import (
    FAMILY,
    HO_2020,
    KINGMA_2021,
    NICHOL_DHARIWAL_2021,
    SALIMANS_HO_2022,
    SOHL_DICKSTEIN_2015,
    VINCENT_2011,
)
from losslab.losses.diffusion.ddpm_eps import denoise_mse
from losslab.losses.diffusion import ddpm_x0  # noqa: F401
from losslab.losses.diffusion import ddpm_v  # noqa: F401
from losslab.losses.diffusion import flow_matching  # noqa: F401
# isort: on

__all__ = [
    "FAMILY",
    "HO_2020",
    "KINGMA_2021",
    "NICHOL_DHARIWAL_2021",
    "SALIMANS_HO_2022",
    "SOHL_DICKSTEIN_2015",
    "VINCENT_2011",
    "denoise_mse",
]
