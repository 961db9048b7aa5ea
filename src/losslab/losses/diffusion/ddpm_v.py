"""ddpm-v: predict the velocity."""

from __future__ import annotations

from losslab.losses.diffusion._common import (
    _BOUND_STEPS,
    _HYPERPARAMETERS,
    _OPTIMIZER,
    _WEIGHTS,
    FAMILY,
    HO_2020,
    KINGMA_2021,
    NICHOL_DHARIWAL_2021,
    SALIMANS_HO_2022,
    SOHL_DICKSTEIN_2015,
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
            name="ddpm-v",
            example=_example("ddpm-v"),
            family=FAMILY,
            formula=_formula(
                "v",
                r"\hat v_\theta",
                r", \quad v=\sqrt{\bar\alpha_t}\,\epsilon-\sqrt{1-\bar\alpha_t}\,x_0",
            ),
            derivation=(
                *_BOUND_STEPS,
                r"**Velocity.** Write $\sqrt{\bar\alpha_t}=\cos\phi_t$ and "
                r"$\sqrt{1-\bar\alpha_t}=\sin\phi_t$, so $x_t=\cos\phi\,x_0+\sin\phi\,\epsilon$. "
                r"Its velocity $v=dx_t/d\phi=\cos\phi\,\epsilon-\sin\phi\,x_0$ completes a "
                r"rotation: $x_0=\cos\phi\,x_t-\sin\phi\,v$ and "
                r"$\epsilon=\sin\phi\,x_t+\cos\phi\,v$ (Salimans & Ho 2022). A network "
                r"$\hat v_\theta(x_t,t)$ thus gives both estimates, and through them "
                r"$\mu_\theta$ and the bound's terms.",
                r"**Unweighted velocity error.** Drop the bound's weights: "
                r"$\mathbb{E}_{t,x_0,\epsilon}\|v-\hat v_\theta(x_t,t)\|^2$.",
                _WEIGHTS + r" So this loss weights the data error by $1+\mathrm{SNR}(t)$, "
                r"close to $\epsilon$-prediction at low noise and to $x_0$-prediction at high "
                r"noise ('SNR+1' weighting); in noise units it is $L_{\text{simple}}$ times "
                r"$1/\bar\alpha_t=1+1/\mathrm{SNR}(t)$.",
                r"**Conditioning.** The conversions $\hat\epsilon=\sqrt{\bar\alpha_t}\,\hat v"
                r"+\sqrt{1-\bar\alpha_t}\,x_t$ and $\hat x_0=\sqrt{\bar\alpha_t}\,x_t"
                r"-\sqrt{1-\bar\alpha_t}\,\hat v$ multiply errors by at most 1, so neither end "
                r"of the schedule blows up. This is why Salimans & Ho use it to distil samplers "
                r"down to a few steps, where $\mathrm{SNR}\to0$ and $\epsilon$-prediction "
                r"breaks.",
            ),
            optimum_or_divergence=(
                r"Minimised by $\hat v^*(x_t,t)=\mathbb{E}[v\mid x_t]"
                r"=\sqrt{\bar\alpha_t}\,\mathbb{E}[\epsilon\mid x_t]"
                r"-\sqrt{1-\bar\alpha_t}\,\mathbb{E}[x_0\mid x_t]$, the same optimum as the "
                r"variational bound; in data units the timesteps are weighted "
                r"$1+\mathrm{SNR}(t)$."
            ),
            used_by=(
                "Progressive distillation (Salimans & Ho 2022): samplers distilled to a few steps",
                "Imagen Video (Ho et al. 2022)",
                "Stable Diffusion 2.x, the 768-pixel 'v' models",
            ),
            why=(
                "The parameterisation that stays well-conditioned at every noise level: the "
                "data error is weighted by 1 + SNR, never vanishing at high noise, and the "
                "conversions to noise and data estimates never amplify errors. Preferred for "
                "few-step sampling and distillation."
            ),
            pros=(
                "Well-conditioned at both ends of the schedule.",
                "The data error keeps weight at least 1 at every timestep, so high-noise "
                "steps are not ignored.",
                "The target has unit variance when the data do (a rotation of two unit-variance "
                "variables).",
            ),
            cons=(
                "Less intuitive target: neither the noise nor the data.",
                r"Unit target variance needs standardised data; otherwise the weighting "
                "shifts.",
                "Its advantage shows mostly in few-step sampling and distillation; with many "
                r"ancestral steps it samples about as well as $\epsilon$-prediction.",
            ),
            hyperparameters=_HYPERPARAMETERS,
            references=(
                SALIMANS_HO_2022,
                HO_2020,
                SOHL_DICKSTEIN_2015,
                NICHOL_DHARIWAL_2021,
                KINGMA_2021,
                Reference(
                    "Ho, J., Chan, W., Saharia, C., Whang, J., Gao, R., Gritsenko, A., "
                    "Kingma, D. P., Poole, B., Norouzi, M., Fleet, D. J., Salimans, T.",
                    "Imagen Video: High Definition Video Generation with Diffusion Models",
                    2022,
                    "https://arxiv.org/abs/2210.02303",
                ),
            ),
        ),
        terms={"denoise": denoise_mse},
        optimizer=_OPTIMIZER,
        training={"method": "ddpm", "prediction": "v"},
    )
)
