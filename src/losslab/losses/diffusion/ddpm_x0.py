"""ddpm-x0: predict the clean data."""

from __future__ import annotations

from losslab.losses.diffusion._common import (
    _BOUND_STEPS,
    _HYPERPARAMETERS,
    _OPTIMIZER,
    _REFERENCES,
    _WEIGHTS,
    FAMILY,
    _example,
    _formula,
)
from losslab.losses.diffusion.ddpm_eps import denoise_mse
from losslab.losses.registry import (
    Card,
    LossSpec,
    Reference,
    register,
)

register(
    LossSpec(
        card=Card(
            name="ddpm-x0",
            example=_example("ddpm-x0"),
            family=FAMILY,
            formula=_formula("x_0", r"\hat x_\theta"),
            derivation=(
                *_BOUND_STEPS,
                r"**Predict the data.** $\tilde\mu_t$ is linear in $x_0$, so give "
                r"$\mu_\theta$ the form of $\tilde\mu_t$ with a network $\hat x_\theta(x_t,t)$ "
                r"in place of $x_0$: "
                r"$L_{t-1}=\frac{\bar\alpha_{t-1}\beta_t^2}{2\sigma_t^2(1-\bar\alpha_t)^2}"
                r"\|x_0-\hat x_\theta(x_t,t)\|^2$, which for $\sigma_t^2=\tilde\beta_t$ is "
                r"$\tfrac12(\mathrm{SNR}(t-1)-\mathrm{SNR}(t))\|x_0-\hat x_\theta\|^2$.",
                r"**Unweighted data error.** As for $L_{\text{simple}}$, drop the weight: "
                r"$\mathbb{E}_{t,x_0,\epsilon}\|x_0-\hat x_\theta(x_t,t)\|^2$, every timestep "
                r"weighted 1 in data units.",
                _WEIGHTS + r" So this loss is $L_{\text{simple}}$ reweighted by "
                r"$1/\mathrm{SNR}(t)=(1-\bar\alpha_t)/\bar\alpha_t$: negligible weight on the "
                r"low-noise steps, dominant weight on the high-noise ones.",
                r"**What the sampler sees.** The sampler needs "
                r"$\hat\epsilon=(x_t-\sqrt{\bar\alpha_t}\hat x_0)/\sqrt{1-\bar\alpha_t}$, which "
                r"amplifies an $x_0$ error by $\sqrt{\mathrm{SNR}(t)}$ at low noise: the steps "
                r"that place fine detail are down-weighted in training and amplified in "
                r"sampling. Ho et al. report worse samples with $x_0$-prediction early in "
                r"their experiments.",
            ),
            optimum_or_divergence=(
                r"Minimised by the posterior mean $\hat x^*(x_t,t)=\mathbb{E}[x_0\mid x_t]"
                r"=\big(x_t+(1-\bar\alpha_t)\nabla\log q_t(x_t)\big)/\sqrt{\bar\alpha_t}$, the "
                r"same optimum as the variational bound; in data units every timestep gets "
                r"weight 1 (against $\mathrm{SNR}(t)$ for $\epsilon$ and $1+\mathrm{SNR}(t)$ "
                r"for $v$)."
            ),
            used_by=(
                "DALL-E 2's diffusion prior (Ramesh et al. 2022): predicts the clean CLIP "
                "image embedding",
                "Diffusion-LM (Li et al. 2022): predicts clean word embeddings, then rounds "
                "them to tokens",
                "Ho et al. 2020 as an ablation (worse samples than noise prediction)",
            ),
            why=(
                "Regress the clean data itself. Natural when the data are bounded, discrete or "
                "on a low-dimensional set (predictions can be clipped or projected), and the "
                "cautionary case for how a parameterisation reweights the timesteps."
            ),
            pros=(
                r"The prediction is in data units: easy to read, clip or project onto the "
                "data's support.",
                "Stays well-conditioned at high noise, where noise prediction is not.",
                "Strong on embeddings and discrete data (Diffusion-LM, DALL-E 2's prior).",
            ),
            cons=(
                r"Near-zero weight on the low-noise steps: blurrier, less precise samples.",
                r"$x_0$ errors are amplified by $\sqrt{\mathrm{SNR}(t)}$ when converted to the "
                "noise estimate the sampler uses.",
                r"The target's scale is the data's: unnormalised data need a rescaled "
                "learning rate.",
            ),
            hyperparameters=_HYPERPARAMETERS,
            references=(
                *_REFERENCES,
                Reference(
                    "Ramesh, A., Dhariwal, P., Nichol, A., Chu, C., Chen, M.",
                    "Hierarchical Text-Conditional Image Generation with CLIP Latents",
                    2022,
                    "https://arxiv.org/abs/2204.06125",
                ),
                Reference(
                    "Li, X. L., Thickstun, J., Gulrajani, I., Liang, P., Hashimoto, T. B.",
                    "Diffusion-LM Improves Controllable Text Generation",
                    2022,
                    "https://arxiv.org/abs/2205.14217",
                ),
            ),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "ddpm", "prediction": "x0"},
    )
)
