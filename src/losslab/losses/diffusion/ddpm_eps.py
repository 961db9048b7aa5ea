"""ddpm-eps: Ho et al.'s L_simple."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.diffusion._common import (
    _BOUND_STEPS,
    _HYPERPARAMETERS,
    _OPTIMIZER,
    _REFERENCES,
    _WEIGHTS,
    FAMILY,
    VINCENT_2011,
    _example,
    _formula,
)
from losslab.losses.registry import (
    Card,
    LossSpec,
    register,
)

if TYPE_CHECKING:
    from torch import Tensor


def denoise_mse(prediction: Tensor, target: Tensor) -> Tensor:
    r"""Mean squared error of a denoiser, per member: ``[S, B, d] -> [S]``.

    .. math::

        \mathcal{L}_s = \frac{1}{B\,d}\sum_{b=1}^{B}\sum_{j=1}^{d}
            \big(\hat y_{s,b,j} - y_{s,b,j}\big)^2

    The mean over coordinates, rather than Ho et al.'s sum
    :math:`\lVert\epsilon - \epsilon_\theta\rVert^2`, follows their code (``meanflat``): a
    constant factor :math:`1/d` that keeps the loss's scale, and so the learning rate,
    independent of the data's dimension. ``prediction``, ``target``: the network's output
    and the target of its parameterisation (``prediction_target``), same shape
    ``[S, B, ...]``.
    """
    if prediction.shape != target.shape or prediction.dim() < 2:
        raise ValueError(
            "prediction and target must share one shape [S, B, ...], got "
            f"{tuple(prediction.shape)} and {tuple(target.shape)}"
        )
    return (prediction - target).pow(2).flatten(1).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="ddpm-eps",
            example=_example("ddpm-eps"),
            family=FAMILY,
            formula=_formula(r"\epsilon", r"\epsilon_\theta"),
            derivation=(
                *_BOUND_STEPS,
                r"**Predict the noise.** Substituting "
                r"$x_0=(x_t-\sqrt{1-\bar\alpha_t}\,\epsilon)/\sqrt{\bar\alpha_t}$ gives "
                r"$\tilde\mu_t=\frac{1}{\sqrt{\alpha_t}}\big(x_t-\frac{\beta_t}"
                r"{\sqrt{1-\bar\alpha_t}}\epsilon\big)$. Give $\mu_\theta$ the same form with a "
                r"network $\epsilon_\theta(x_t,t)$ in place of $\epsilon$; then "
                r"$L_{t-1}=\frac{\beta_t^2}{2\sigma_t^2\alpha_t(1-\bar\alpha_t)}"
                r"\mathbb{E}\|\epsilon-\epsilon_\theta(x_t,t)\|^2$ (Ho et al. eq. 12).",
                r"**$L_{\text{simple}}$.** Drop the weight and draw $t$ uniformly: "
                r"$\mathbb{E}_{t,x_0,\epsilon}\|\epsilon-\epsilon_\theta(x_t,t)\|^2$. The weight "
                r"is largest at small $t$, so dropping it moves effort to the noisier, harder "
                r"steps. Ho et al. got their best samples with it (FID 3.17 on CIFAR-10) at a "
                r"slightly worse likelihood than the bound (3.75 against 3.70 bits/dim). Their "
                r"code averages the squared error over the $d$ coordinates, a factor $1/d$.",
                _WEIGHTS + r" $L_{\text{simple}}$ is the data error weighted by "
                r"$\mathrm{SNR}(t)$: heavy at low noise, vanishing at high noise.",
                r"**Score matching.** $-\epsilon/\sqrt{1-\bar\alpha_t}$ is the score "
                r"$\nabla_{x_t}\log q(x_t\mid x_0)$, so $L_{\text{simple}}$ is denoising score "
                r"matching (Vincent 2011) at every noise level: "
                r"$-\epsilon_\theta(x_t,t)/\sqrt{1-\bar\alpha_t}$ estimates "
                r"$\nabla\log q_t(x_t)$, and the sampler is annealed Langevin-like dynamics.",
            ),
            optimum_or_divergence=(
                r"Each timestep's term is minimised by the posterior mean "
                r"$\epsilon^*(x_t,t)=\mathbb{E}[\epsilon\mid x_t]"
                r"=-\sqrt{1-\bar\alpha_t}\,\nabla_{x_t}\log q_t(x_t)$ (Tweedie's formula). "
                r"For a network flexible enough, every positive weighting over $t$ has this "
                r"minimiser, so $L_{\text{simple}}$ and the variational bound on "
                r"$\mathbb{E}[-\log p_\theta(x_0)]=\mathrm{KL}(p_{\text{data}}\|p_\theta)"
                r"+H(p_{\text{data}})$ agree at the optimum; "
                r"with finite capacity the weighting $\mathrm{SNR}(t)$ in data units decides "
                r"which errors remain."
            ),
            used_by=(
                "DDPM (Ho et al. 2020): CIFAR-10, CelebA-HQ and LSUN",
                "Improved DDPM and ADM / guided diffusion (Nichol & Dhariwal 2021; Dhariwal & "
                "Nichol 2021), plus a bound term for learned variances",
                "Latent Diffusion and Stable Diffusion 1.x (Rombach et al. 2022)",
                "tiny-diffusion (tanelp): 2-D toy data with small MLPs",
            ),
            why=(
                "The loss behind DDPM and most diffusion models: regress the added noise. "
                "Training is a stable regression with no adversary and no sampling in the "
                "loop, and the loss is a reweighted likelihood bound, so it covers modes. The "
                "default parameterisation."
            ),
            pros=(
                "Stable: a plain mean squared error, no adversary, no MCMC during training.",
                "Mode covering: a reweighted likelihood bound, unlike a JSD GAN.",
                "The target has unit variance at every timestep: well-scaled network outputs.",
                "The best samples in Ho et al.'s ablation of parameterisations and objectives.",
            ),
            cons=(
                r"Slow sampling: $T$ network evaluations per sample.",
                r"Ill-conditioned at high noise: $\hat x_0=(x_t-\sqrt{1-\bar\alpha_t}\,"
                r"\hat\epsilon)/\sqrt{\bar\alpha_t}$ amplifies noise errors by "
                r"$1/\sqrt{\bar\alpha_t}$, which hurts few-step samplers and distillation.",
                "Not the likelihood bound itself: worse log-likelihoods than training on the "
                "bound.",
                "More knobs than a GAN loss: steps, schedule and timestep embedding.",
            ),
            hyperparameters=_HYPERPARAMETERS,
            references=(*_REFERENCES, VINCENT_2011),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "ddpm", "prediction": "eps"},
    )
)
