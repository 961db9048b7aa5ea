"""sliced-score-matching: score matching with random projections of the Jacobian trace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.energy._common import (
    _DSM_OPTIMIZER,
    FAMILY,
    HYVARINEN_2005,
    SONG_2019_SSM,
    SONG_ERMON_2019,
    evaluation_langevin_knobs,
)
from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor

PROJECTIONS = ("gaussian", "rademacher")


def ssm_loss(
    scores: Tensor, inputs: Tensor, projections: Tensor, variance_reduction: int
) -> Tensor:
    r"""Sliced score matching (Song, Garg, Shi & Ermon 2019), per member.

    For a score model :math:`s_\theta(x)` and :math:`M` projections
    :math:`v_{m,b}` per sample with :math:`\mathbb E[vv^\top] = I`:

    .. math::

        \mathcal L_s = \frac{1}{MB}\sum_{m,b}\Big[v_{m,b}^\top\,\nabla_x s_\theta(x_b)\,
            v_{m,b} + \tfrac12\big(v_{m,b}^\top s_\theta(x_b)\big)^2\Big]

    and with ``variance_reduction`` (SSM-VR, their eq. 8) the second term is replaced by
    its expectation over :math:`v`, :math:`\tfrac12\lVert s_\theta(x_b)\rVert^2`. The
    Jacobian-vector term is :math:`v^\top\nabla_x(v^\top s_\theta(x))`, one backward pass
    per projection, taken with ``create_graph=True`` so the loss can be differentiated
    again for the parameters.

    ``scores``: :math:`s_\theta(x)` ``[S, B, d]``, computed from ``inputs`` ``[S, B, d]``
    (which must require grad; the model must treat samples independently);
    ``projections``: ``[S, M, B, d]``; returns ``[S]``.
    """
    if scores.dim() != 3 or inputs.shape != scores.shape:
        raise ValueError(
            f"expected scores and inputs of one shape [S, B, d], got {tuple(scores.shape)} "
            f"and {tuple(inputs.shape)}"
        )
    if projections.dim() != 4 or projections.shape[0] != scores.shape[0] or (
        projections.shape[2:] != scores.shape[1:]
    ):
        raise ValueError(
            f"expected projections of shape [S, M, B, d] = [{scores.shape[0]}, M, "
            f"{scores.shape[1]}, {scores.shape[2]}], got {tuple(projections.shape)}"
        )
    if not inputs.requires_grad:
        raise ValueError("inputs must require grad: the loss differentiates the scores by them")
    jvp_terms = []
    for m in range(projections.shape[1]):
        v = projections[:, m]  # [S, B, d]
        (grad,) = torch.autograd.grad((scores * v).sum(), inputs, create_graph=True)
        jvp_terms.append((grad * v).sum(dim=-1))  # v^T (d s / d x) v, [S, B]
    trace = torch.stack(jvp_terms, dim=1)  # [S, M, B]
    if variance_reduction:
        half_norm = 0.5 * scores.pow(2).sum(dim=-1).unsqueeze(1)  # [S, 1, B]
    else:
        half_norm = 0.5 * (scores.unsqueeze(1) * projections).sum(dim=-1).pow(2)  # [S, M, B]
    return (trace + half_norm).mean(dim=(1, 2))


_EXAMPLE = """import torch
from losslab.losses import get_loss

spec = get_loss("sliced-score-matching")
knobs = spec.hyperparameters()  # n_projections, projection, variance_reduction, sampler
x = (torch.randn(2, 64, 2) * 0.5).requires_grad_(True)  # data N(0, 0.25 I): [S, B, d]
scores = -x / 0.25  # the exact score of the data; a network's s(x) would go here
v = torch.randn(2, knobs["n_projections"], 64, 2)  # Gaussian projections [S, M, B, d]
loss = spec.bind("score", knobs)(scores=scores, inputs=x, projections=v)
print(loss)  # about -d / (2 * 0.25) = -4: the Fisher divergence's data-dependent part
"""

register(
    LossSpec(
        card=Card(
            name="sliced-score-matching",
            example=_EXAMPLE,
            family=FAMILY,
            formula=(
                r"\mathcal{L}=\mathbb{E}_{x\sim p_{\text{data}}}\mathbb{E}_{v\sim p_v}"
                r"\Big[v^\top\nabla_x s_\theta(x)\,v+\tfrac12\|s_\theta(x)\|_2^2\Big]"
                r",\quad \mathbb{E}[vv^\top]=I"
            ),
            derivation=(
                r"**Fisher divergence.** Score matching fits a model score "
                r"$s_\theta(x)\approx\nabla_x\log p(x)$ by minimising "
                r"$\frac12\mathbb E_p\|s_\theta(x)-\nabla_x\log p(x)\|^2$, which needs no "
                r"normaliser. The data's score is unknown.",
                r"**Integration by parts** (Hyvärinen 2005). If $p\,s_\theta\to0$ at infinity, "
                r"$\mathbb E_p[s_\theta^\top\nabla\log p]=\int s_\theta^\top\nabla p="
                r"-\mathbb E_p[\mathrm{tr}\,\nabla_x s_\theta]$, so the divergence equals "
                r"$\mathbb E_p\big[\mathrm{tr}(\nabla_x s_\theta(x))+\frac12\|s_\theta(x)\|^2"
                r"\big]$ plus a constant. The trace needs $d$ backward passes: too costly in "
                r"high dimension.",
                r"**Slice it.** Project onto random directions $v$ with "
                r"$\mathbb E[vv^\top]=I$: $\mathbb E_v[v^\top Jv]=\mathrm{tr}(J\,"
                r"\mathbb E[vv^\top])=\mathrm{tr}J$. The sliced objective "
                r"$\mathbb E_{p,v}\big[v^\top\nabla_x s_\theta\,v+\frac12(v^\top s_\theta)^2"
                r"\big]$ compares the scores' one-dimensional projections (Song et al. 2019, "
                r"eq. 7), and $v^\top\nabla_x s_\theta\,v=v^\top\nabla_x(v^\top s_\theta)$ "
                r"costs one backward pass per projection whatever $d$ is.",
                r"**Variance reduction.** For Gaussian or Rademacher $v$, "
                r"$\mathbb E_v(v^\top s)^2=\|s\|^2$ exactly, so SSM-VR replaces the second "
                r"term by $\frac12\|s_\theta\|^2$ (their eq. 8), which has lower variance.",
                r"**Sampling.** The learned score drives Langevin dynamics "
                r"$x\leftarrow x+\eta\,s_\theta(x)+\sqrt{2\eta}\,\xi$, which samples $p$ "
                r"as $\eta\to0$ and the number of steps grows. Unlike denoising score "
                r"matching, the score is that of the clean data, at one scale.",
            ),
            optimum_or_divergence=(
                r"Minimises the sliced Fisher divergence "
                r"$\frac12\mathbb E_{p,v}[(v^\top s_\theta-v^\top\nabla\log p)^2]$, which for "
                r"$\mathbb E[vv^\top]=I$ equals the Fisher divergence "
                r"$\frac12\mathbb E_p\|s_\theta-\nabla\log p\|^2$: the optimum is the data's "
                r"score (Song et al. 2019, Theorem 1, consistency). The loss's minimum is "
                r"$-\frac12\mathbb E_p\|\nabla\log p\|^2$, not 0. The divergence weighs "
                r"errors by the data density, so the score is poorly learned in low-density "
                r"regions between modes (Song & Ermon 2019)."
            ),
            used_by=(
                "Song et al. 2019: deep kernel exponential families, implicit VAEs and WAEs",
                "Pang et al. 2020 (finite-difference SSM) and score-based implicit models",
                "Energy-based models of images trained without MCMC (Song et al. 2019, "
                "Sec. 5)",
            ),
            why=(
                "Score matching without the Jacobian trace and without adding noise: learns "
                "the score of the clean data at a cost independent of the dimension. The "
                "classic alternative to MCMC training (contrastive divergence) and to "
                "denoising score matching."
            ),
            pros=(
                "No MCMC in training and no normaliser.",
                "Learns the clean data's score (DSM learns the smoothed data's).",
                "Cost of M backward passes, independent of the dimension (exact score "
                "matching needs d).",
                "Consistent: the sliced Fisher divergence is the Fisher divergence.",
            ),
            cons=(
                "Second-order: backpropagates through a gradient, so each step costs about "
                "twice a DSM step per projection.",
                "Higher variance than DSM; more projections cost more.",
                "One scale: the score is unreliable between modes, so Langevin sampling "
                "mixes badly on multi-modal data (the motivation for noise-conditional "
                "scores, Song & Ermon 2019).",
                "The loss value does not show how good the fit is (its minimum is not 0).",
            ),
            hyperparameters={
                "n_projections": Hyperparameter(
                    default=1,
                    low=1,
                    integer=True,
                    doc=(
                        "Projections $M$ per data point. Song et al. use 1 and report that more "
                        "reduce variance at proportional cost. Not tuned: a cost knob."
                    ),
                ),
                "projection": Hyperparameter(
                    default="gaussian",
                    choices=PROJECTIONS,
                    doc=(
                        r"Distribution of $v$: 'gaussian' $\mathcal N(0,I)$ or 'rademacher' "
                        r"(independent $\pm1$). Both have $\mathbb E[vv^\top]=I$; Rademacher "
                        r"has lower variance for the trace term (Hutchinson's estimator). Not "
                        "tuned: both are consistent."
                    ),
                ),
                "variance_reduction": Hyperparameter(
                    default=1,
                    low=0,
                    high=1,
                    integer=True,
                    doc=(
                        r"1: SSM-VR, the second term is $\frac12\|s_\theta\|^2$ (valid for both "
                        r"projections, lower variance, Song et al.'s recommendation); 0: the "
                        r"sliced $\frac12(v^\top s_\theta)^2$. Not tuned: both are consistent."
                    ),
                ),
                **evaluation_langevin_knobs(0.01, "the learned score"),
            },
            references=(SONG_2019_SSM, HYVARINEN_2005, SONG_ERMON_2019),
        ),
        terms={"score": ssm_loss},
        optimizer=_DSM_OPTIMIZER,
        training={"method": "ssm"},
    )
)
