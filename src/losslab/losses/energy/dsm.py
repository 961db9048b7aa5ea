"""dsm: denoising score matching at one noise level."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from losslab.errors import BadInput
from losslab.losses.energy._common import (
    _DSM_COMMON_STEPS,
    _DSM_OPTIMIZER,
    _STEPS_PER_LEVEL_DOC,
    EFRON_2011,
    FAMILY,
    HYVARINEN_2005,
    SONG_ERMON_2019,
    VINCENT_2011,
    _dsm_example,
)
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Search,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def dsm_loss(scores: Tensor, noise: Tensor, sigmas: Tensor) -> Tensor:
    r"""Denoising score matching with the weight :math:`\lambda(\sigma) = \sigma^2`.

    .. math::

        \mathcal L_s = \frac1B \sum_b \tfrac12 \big\|\sigma_b\, s_\theta(\tilde x_b,
        \sigma_b) + z_b\big\|^2
        = \frac1B \sum_b \sigma_b^2\, \tfrac12 \Big\|s_\theta(\tilde x_b, \sigma_b)
          - \nabla_{\tilde x}\log q_{\sigma_b}(\tilde x_b \mid x_b)\Big\|^2

    for :math:`\tilde x = x + \sigma z`, :math:`z \sim \mathcal N(0, I)`, since
    :math:`\nabla_{\tilde x}\log q_\sigma(\tilde x\mid x) = -(\tilde x - x)/\sigma^2
    = -z/\sigma`. The norm sums over the data dimensions.

    ``scores``: :math:`s_\theta(\tilde x, \sigma)` ``[S, B, d]``; ``noise``: :math:`z`
    ``[S, B, d]``; ``sigmas``: each sample's noise level ``[S, B, 1]``; returns ``[S]``.
    """
    if scores.dim() != 3 or noise.shape != scores.shape:
        raise ValueError(
            f"expected scores and noise of one shape [S, B, d], got {tuple(scores.shape)} "
            f"and {tuple(noise.shape)}"
        )
    if sigmas.shape != (*scores.shape[:2], 1):
        raise ValueError(
            f"expected sigmas of shape {(*scores.shape[:2], 1)}, got {tuple(sigmas.shape)}"
        )
    return 0.5 * (sigmas * scores + noise).pow(2).sum(dim=2).mean(dim=1)


def sigma_levels(hparams: dict[str, Any]) -> list[float]:
    r"""The noise levels :math:`\sigma_1 > \dots > \sigma_L` a DSM loss trains and samples at.

    ``dsm`` (``hparams`` has ``sigma``): ``[sigma]``. ``dsm-annealed``: the geometric
    sequence :math:`\sigma_i = \sigma_{\max}\,(\sigma_{\min}/\sigma_{\max})^{(i-1)/(L-1)}`,
    :math:`i = 1..L`, from ``sigma_max`` down to ``sigma_min`` with ``levels`` = :math:`L`
    entries (Song & Ermon 2019). Raises :class:`BadInput` unless
    ``sigma_max > sigma_min > 0`` and ``levels >= 2``.
    """
    if "sigma" in hparams:
        sigma = float(hparams["sigma"])
        if sigma <= 0:
            raise BadInput(f"sigma = {sigma!r} must be > 0")
        return [sigma]
    high, low, count = float(hparams["sigma_max"]), float(hparams["sigma_min"]), hparams["levels"]
    if not low > 0 or not high > low:
        raise BadInput(
            f"need sigma_max > sigma_min > 0, got sigma_max = {high!r}, sigma_min = {low!r}"
        )
    if int(count) != count or count < 2:
        raise BadInput(f"levels = {count!r} must be an integer >= 2")
    count = int(count)
    ratio = low / high
    levels = [high * ratio ** (i / (count - 1)) for i in range(count)]
    levels[-1] = low  # exact end point, free of rounding
    return levels


register(
    LossSpec(
        card=Card(
            name="dsm",
            example=_dsm_example("dsm"),
            family=FAMILY,
            formula=(
                r"\mathcal L(\theta)=\mathbb{E}_{x\sim p_{\mathrm{data}},\,z\sim\mathcal N"
                r"(0,I)}\,\frac12\left\|\sigma\,s_\theta(x+\sigma z)+z\right\|^2"
            ),
            derivation=(
                *_DSM_COMMON_STEPS,
                r"**One noise level.** Langevin dynamics with the learnt score samples "
                r"$q_\sigma=p_{\mathrm{data}}*\mathcal N(0,\sigma^2I)$, not $p_{\mathrm{data}}$"
                r": a small $\sigma$ keeps that blur small, but the score is then learnt "
                r"only near the data, where the noisy samples land. Between separated "
                r"modes $q_\sigma$ is nearly 0, the score there is poorly estimated, and "
                r"Langevin chains rarely cross: each chain stays in the basin it started "
                r"in, so the modes' relative weights come from the initial distribution, "
                r"not from the data (Song & Ermon 2019, Section 3). Sampling here: "
                r"$\alpha=\epsilon$ (`step_eps`), $T$ steps, then the denoising step.",
            ),
            optimum_or_divergence=(
                r"Minimised by the score of the noise-smoothed data, $s_\theta=\nabla_x\log "
                r"q_\sigma$ with $q_\sigma=p_{\mathrm{data}}*\mathcal N(0,\sigma^2I)$; equal "
                r"to $\sigma^2$ times the Fisher divergence $\frac12\mathbb{E}_{q_\sigma}"
                r"\|s_\theta-\nabla\log q_\sigma\|^2$ up to a constant."
            ),
            used_by=(
                "Denoising autoencoders read as score estimators (Vincent 2011)",
                "Single-level score models and the baseline of NCSN (Song & Ermon 2019)",
                "Energy models trained by DSM on the energy's gradient (Saremi et al. 2018)",
            ),
            why=(
                "Learns the score without a normaliser, without MCMC in training and "
                "without Jacobian traces: one regression per sample. The simplest score "
                "model, and the baseline that shows why noise annealing is needed."
            ),
            pros=(
                "A plain regression loss: stable, cheap, no sampler inside training.",
                "Consistent: the minimiser is the exact score of the smoothed data.",
                "Sampling needs only the score network.",
            ),
            cons=(
                "Learns the score of the sigma-smoothed data: samples are blurred by sigma "
                "(the denoising step removes the mean shift, not all of it).",
                "Small sigma: the score is poor away from the data, and Langevin mixes "
                "badly between separated modes, getting their weights wrong.",
                "Large sigma: accurate far away, but a blurred density.",
            ),
            hyperparameters={
                "sigma": Hyperparameter(
                    default=0.1,
                    low=1e-6,
                    search=Search.log_uniform(0.01, 1),
                    doc=(
                        r"Noise level $\sigma$ of the perturbation $\tilde x=x+\sigma z$, in the "
                        "data's units: 0.1 is small next to data spread over [-2, 2] and near "
                        "the width of the toy modes. Searched log-uniform over [0.01, 1], a "
                        "decade either side of the default."
                    ),
                ),
                "steps_per_level": Hyperparameter(
                    default=200,
                    low=1,
                    integer=True,
                    doc=_STEPS_PER_LEVEL_DOC + " Not tuned: a sampler budget.",
                ),
                "step_eps": Hyperparameter(
                    default=1e-3,
                    low=1e-12,
                    doc=(
                        r"Langevin step $\alpha=\epsilon$ (one level). Near a mode the update "
                        r"contracts by $\alpha/(2\sigma^2)$ per step: 0.05 with the defaults, so "
                        "200 steps relax a chain fully and the stationary variance is inflated "
                        r"by only $1/(1-0.025)$. Keep $\epsilon<4\sigma^2$ or the chain diverges. "
                        r"Not tuned: a sampler knob tied to $\sigma$ by that bound."
                    ),
                ),
            },
            references=(HYVARINEN_2005, VINCENT_2011, SONG_ERMON_2019, EFRON_2011),
        ),
        terms={"score": dsm_loss},
        optimizer=_DSM_OPTIMIZER,
        training={"method": "dsm", "sigma_levels": sigma_levels},
    )
)
