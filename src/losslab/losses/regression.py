r"""Regression losses: one ``loss`` term per loss, on the residual :math:`r = y - \hat y`.

Every term is a small pure function taken by keyword that returns one value per
ensemble member:

* ``prediction``: ``[S, B, P]`` network outputs; ``P = 1`` (the point prediction)
  except ``gaussian-nll`` with ``P = 2`` (mean and log-variance),
* ``targets``: ``[S, B]`` real targets,
* result: ``Tensor[S]``, the mean over the batch axis of each member.

Each loss is the negative log-likelihood of a noise model, or a robust
M-estimator's :math:`\rho`, and its minimiser in expectation is a different
functional of :math:`p(y\mid x)`: the mean (MSE), the median (MAE), a quantile
(pinball), something in between (Huber, log-cosh), or mean *and* variance
(Gaussian NLL). ``training["outputs"]`` gives the width of the last layer;
``training["predicts_variance"]`` marks the loss whose second output is a
log-variance; ``training["quantile"]`` names the knob holding the quantile level.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    OptimizerDefaults,
    Reference,
    register,
)

FAMILY = "regression"
LOG_2PI = math.log(2.0 * math.pi)


def _example(name: str, width: int = 1) -> str:
    """The card's runnable example: the loss on made-up predictions for two members."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the defaults; pass overrides as a dict
prediction = torch.randn(2, 8, {width})  # [members, batch, outputs]
targets = torch.randn(2, 8)  # [members, batch]
loss = spec.bind("loss", knobs)(prediction=prediction, targets=targets)
print(loss)  # one value per member
"""


def _residual(prediction: Tensor, targets: Tensor, width: int = 1) -> Tensor:
    """``y - prediction[..., 0]``, ``[S, B]``, after checking the shapes."""
    if (
        prediction.dim() != 3
        or prediction.shape[-1] != width
        or targets.shape != prediction.shape[:2]
    ):
        raise ValueError(
            f"expected prediction [S, B, {width}] and targets [S, B], got "
            f"{tuple(prediction.shape)} and {tuple(targets.shape)}"
        )
    return targets - prediction[..., 0]


_ADAM = OptimizerDefaults(
    name="adam",
    lr=1e-3,
    betas=(0.9, 0.999),
    source="Kingma & Ba 2015 defaults (Adam, lr 0.001, betas 0.9/0.999); the loss's sources "
    "do not prescribe an optimiser for a small MLP, so every supervised loss uses the same "
    "one and only the loss changes.",
)

KOENKER_BASSETT_1978 = Reference(
    "Koenker, R., Bassett, G.",
    "Regression Quantiles",
    1978,
)
HUBER_1964 = Reference(
    "Huber, P. J.",
    "Robust Estimation of a Location Parameter",
    1964,
)
HASTIE_2009 = Reference(
    "Hastie, T., Tibshirani, R., Friedman, J.",
    "The Elements of Statistical Learning, 2nd ed., Sections 2.4 and 10.6 (loss functions "
    "and robustness)",
    2009,
)


# ---------------------------------------------------------------------------
# mse
# ---------------------------------------------------------------------------


def mse(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Mean squared error.

    .. math::

        \ell = (y - \hat y)^2

    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return _residual(prediction, targets).pow(2).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="mse",
            example=_example("mse"),
            family=FAMILY,
            formula=r"\ell(\hat y, y) = (y-\hat y)^2",
            derivation=(
                r"**Gaussian noise.** Model $y=f(x)+\varepsilon$ with "
                r"$\varepsilon\sim\mathcal N(0,\sigma^2)$, $\sigma$ fixed. The negative "
                r"log-likelihood of one point is $\frac{(y-f(x))^2}{2\sigma^2}+\frac12\log"
                r"(2\pi\sigma^2)$: up to scale and a constant, the squared residual.",
                r"**Optimum.** $\mathbb{E}[(Y-c)^2]=\mathrm{Var}(Y)+(\mathbb{E}Y-c)^2$ is "
                r"minimised at $c=\mathbb{E}[Y]$: the regression function is the conditional "
                r"mean $\mathbb{E}[y\mid x]$.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-2r$: proportional to the "
                r"residual. A point 100 units off pulls 100 times harder than one 1 unit off.",
                r"**Outliers.** That linear influence gives the mean a breakdown point of 0: "
                r"a single gross error can move the fit arbitrarily far. Heavy-tailed noise "
                r"(Student-t with few degrees of freedom) makes the estimate noisy, and "
                r"asymmetric gross errors bias it.",
            ),
            optimum_or_divergence=(
                r"Minimised by the conditional mean $\hat y(x)=\mathbb{E}[y\mid x]$; the "
                r"maximum-likelihood estimate under homoscedastic Gaussian noise."
            ),
            used_by=(
                "Least squares (Legendre 1805, Gauss 1809) and linear regression",
                "Most neural regression baselines; DDPM's noise-prediction loss",
                "Value regression in reinforcement learning (DQN's TD error, before Huber)",
            ),
            why=(
                "The default when noise is roughly Gaussian and you want the conditional "
                "mean: smooth, convex, efficient, and the basis of most theory."
            ),
            pros=(
                "Efficient (minimum variance) under Gaussian noise.",
                "Smooth and convex in the prediction; the gradient vanishes at the optimum.",
                "Targets the mean, which is what squared-error metrics reward.",
            ),
            cons=(
                "Breakdown point 0: outliers and heavy tails dominate the fit.",
                "Scale-dependent: the loss and gradient grow with the target's units squared.",
                "Says nothing about uncertainty (fixed variance).",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Gauss, C. F.",
                    "Theoria motus corporum coelestium in sectionibus conicis solem ambientium",
                    1809,
                ),
                HASTIE_2009,
            ),
        ),
        terms={"loss": mse},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)


# ---------------------------------------------------------------------------
# mae
# ---------------------------------------------------------------------------


def mae(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Mean absolute error.

    .. math::

        \ell = |y - \hat y|

    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    return _residual(prediction, targets).abs().mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="mae",
            example=_example("mae"),
            family=FAMILY,
            formula=r"\ell(\hat y, y) = |y-\hat y|",
            derivation=(
                r"**Laplace noise.** With $\varepsilon\sim\mathrm{Laplace}(0,b)$, "
                r"$p(\varepsilon)=\frac{1}{2b}e^{-|\varepsilon|/b}$, the negative "
                r"log-likelihood is $|y-f(x)|/b+\log 2b$: the absolute residual.",
                r"**Optimum.** $\frac{d}{dc}\mathbb{E}|Y-c|=P(Y<c)-P(Y>c)$, zero when "
                r"$F(c)=\tfrac12$: the minimiser is the conditional median.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-\operatorname{sign}(r)$: every "
                r"point pulls with the same force whatever its residual, so an outlier has "
                r"the same influence as any other point (bounded influence, breakdown point "
                r"1/2 for the median).",
                r"**Non-smooth.** The gradient jumps at $r=0$ and does not shrink near the "
                r"optimum: plain SGD oscillates unless the step size decays; Adam's "
                r"normalised steps cope, but the final fit is noisier than with a smooth loss.",
            ),
            optimum_or_divergence=(
                r"Minimised by the conditional median $\hat y(x)=\mathrm{median}(y\mid x)$; "
                r"the maximum-likelihood estimate under Laplace noise."
            ),
            used_by=(
                "Least absolute deviations regression (Boscovich, Laplace; Koenker & Bassett "
                "1978 as the 0.5-quantile)",
                "L1 reconstruction losses in image-to-image models (pix2pix)",
                "Forecasting competitions scored by MAE",
            ),
            why=(
                "When the data have outliers or heavy tails, or the metric is MAE: the "
                "median ignores how far off the extreme points are."
            ),
            pros=(
                "Robust: bounded influence of each point, breakdown point 1/2.",
                "Targets the median, right for MAE metrics and skewed noise.",
                "Scale: the loss is in the target's units.",
            ),
            cons=(
                "Non-differentiable at 0; gradient magnitude does not shrink near the optimum.",
                "Less efficient than MSE under Gaussian noise (asymptotic efficiency 64%).",
                "Estimates the median, which differs from the mean for skewed noise.",
            ),
            hyperparameters={},
            references=(KOENKER_BASSETT_1978, HASTIE_2009),
        ),
        terms={"loss": mae},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)


# ---------------------------------------------------------------------------
# huber
# ---------------------------------------------------------------------------


def huber(*, prediction: Tensor, targets: Tensor, delta: float) -> Tensor:
    r"""Huber loss: quadratic for small residuals, linear beyond ``delta``.

    .. math::

        \ell = \begin{cases} \tfrac12 r^2 & |r|\le\delta \\
               \delta\,(|r|-\tfrac12\delta) & |r|>\delta \end{cases}

    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    a = _residual(prediction, targets).abs()
    small = a.clamp(max=delta)
    # 0.5 * small^2 + delta * (a - small) equals both branches and has the right gradient.
    return (0.5 * small.pow(2) + delta * (a - small)).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="huber",
            example=_example("huber"),
            family=FAMILY,
            formula=(
                r"\ell(\hat y, y)=\begin{cases}\tfrac12 r^2 & |r|\le\delta\\"
                r"\delta\,(|r|-\tfrac12\delta) & |r|>\delta\end{cases},\quad r=y-\hat y"
            ),
            derivation=(
                r"**Contaminated normal.** Huber (1964) asks for the location estimator that "
                r"does best in the worst case over $(1-\epsilon)\mathcal N(0,1)+\epsilon H$, "
                r"a normal contaminated by an arbitrary distribution $H$.",
                r"**The answer.** The minimax M-estimator minimises $\sum\rho(r_i)$ with "
                r"$\rho$ quadratic for $|r|\le\delta$ and linear beyond, $\delta$ set by "
                r"$\epsilon$: the least favourable distribution is Gaussian in the centre "
                r"and Laplace in the tails.",
                r"**Continuity.** At $|r|=\delta$ both branches equal $\tfrac12\delta^2$ and "
                r"both slopes equal $\delta$: the loss is once continuously differentiable.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-\operatorname{clip}(r,-\delta,"
                r"\delta)$: MSE's (halved) gradient for inliers, MAE's constant "
                r"magnitude, scaled by $\delta$, for outliers. Its magnitude is "
                r"$\min(|r|,\delta)$.",
                r"**Choosing delta.** $\delta$ is in the residual's units: $\delta=1.345\sigma$ "
                r"keeps 95% efficiency under Gaussian noise while capping each point's "
                r"influence. $\delta\to\infty$ gives MSE/2; $\delta\to0$ gives $\delta$ times "
                r"MAE. With $\delta=1$ it is Fast R-CNN's smooth-L1 loss.",
            ),
            optimum_or_divergence=(
                r"Minimised by the Huber M-estimate of location of $p(y\mid x)$: the mean for "
                r"symmetric noise, between the mean and the median otherwise; the minimax "
                r"estimator for an $\epsilon$-contaminated Gaussian."
            ),
            used_by=(
                "Robust regression (Huber 1964; scikit-learn's HuberRegressor)",
                "Box regression in Fast/Faster R-CNN (smooth L1, delta = 1)",
                "DQN's clipped TD error (Mnih et al. 2015)",
            ),
            why=(
                "Best of both: efficient like MSE for the bulk of the data, robust like MAE "
                "for outliers. The standard choice when a few gross errors contaminate "
                "otherwise Gaussian noise."
            ),
            pros=(
                "Bounded influence (at most delta per point) with a smooth optimum.",
                "Near-MSE efficiency on clean Gaussian data.",
                "Differentiable everywhere.",
            ),
            cons=(
                "delta is in the target's units: needs the noise scale, or standardised targets.",
                "Not twice differentiable at |r| = delta.",
                "For asymmetric contamination still biased (less than MSE).",
            ),
            hyperparameters={
                "delta": Hyperparameter(
                    default=1.0,
                    low=1e-6,
                    doc=r"Threshold $\delta$ between the quadratic and the linear part, in the "
                    r"target's units; must be > 0. 1.345 times the noise standard deviation "
                    "gives 95% Gaussian efficiency; 1.0 for standardised targets.",
                )
            },
            references=(
                HUBER_1964,
                Reference(
                    "Girshick, R.",
                    "Fast R-CNN",
                    2015,
                    "https://arxiv.org/abs/1504.08083",
                ),
            ),
        ),
        terms={"loss": huber},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)


# ---------------------------------------------------------------------------
# log-cosh
# ---------------------------------------------------------------------------


def log_cosh(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Log-cosh loss, computed stably.

    .. math::

        \ell = \log\cosh r = |r| + \operatorname{softplus}(-2|r|) - \log 2

    (a naive ``log(cosh(r))`` overflows in float32 for :math:`|r| > 89`).
    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    a = _residual(prediction, targets).abs()
    return (a + F.softplus(-2.0 * a) - math.log(2.0)).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="log-cosh",
            example=_example("log-cosh"),
            family=FAMILY,
            formula=(
                r"\ell(\hat y, y)=\log\cosh(y-\hat y)"
                r"=|r|+\operatorname{softplus}(-2|r|)-\log2"
            ),
            derivation=(
                r"**Shape.** $\log\cosh r=\tfrac12r^2-\tfrac1{12}r^4+\dots$ near 0 (like "
                r"MSE/2) and $|r|-\log2+O(e^{-2|r|})$ for large $|r|$ (like MAE): a smooth "
                r"Huber loss with $\delta\approx1$.",
                r"**Stable form.** $\cosh r=\tfrac12e^{|r|}(1+e^{-2|r|})$, so "
                r"$\log\cosh r=|r|+\log(1+e^{-2|r|})-\log2=|r|+\operatorname{softplus}(-2|r|)"
                r"-\log2$; finite for every $r$.",
                r"**Gradient.** $\partial\ell/\partial\hat y=-\tanh r$: linear near 0, "
                r"saturating at magnitude 1: bounded influence like Huber.",
                r"**Smoothness.** Second derivative $1-\tanh^2 r>0$ everywhere: twice "
                r"differentiable (Huber is not at $|r|=\delta$), which Newton-type and "
                r"second-order methods such as gradient boosting need.",
                r"**Likelihood.** It is the negative log-likelihood of the hyperbolic-secant "
                r"density $p(r)\propto1/\cosh r$ (tails like Laplace, centre like Gauss).",
            ),
            optimum_or_divergence=(
                r"Minimised by the M-estimate with $\psi(r)=\tanh r$: the mean for symmetric "
                r"noise, between mean and median otherwise; the maximum-likelihood estimate "
                r"under hyperbolic-secant noise."
            ),
            used_by=(
                "Gradient boosting with custom objectives (XGBoost/LightGBM users)",
                "Robust regression heads in deep nets, e.g. VAEs' reconstruction term "
                "(Chen et al. 2019)",
            ),
            why=(
                "A smooth, hyper-parameter-free Huber: quadratic centre, linear tails, "
                "twice differentiable. Useful where second derivatives are needed or delta "
                "is unknown and targets are standardised."
            ),
            pros=(
                "Robust to outliers: gradient bounded by 1.",
                "Twice differentiable everywhere; no knob.",
                "Close to MSE/2 for small residuals: efficient on clean data.",
            ),
            cons=(
                "The transition is fixed at |r| of about 1: only right for standardised targets.",
                "Less known; its optimum is a less familiar functional than mean or median.",
                "For large residuals the gradient saturates at 1, slowing early training "
                "if targets are large.",
            ),
            hyperparameters={},
            references=(
                Reference(
                    "Saleh, R. A., Saleh, A. K. Md. E.",
                    "Statistical Properties of the log-cosh Loss Function Used in Machine Learning",
                    2022,
                ),
                Reference(
                    "Chen, P., Chen, G., Zhang, S.",
                    "Log Hyperbolic Cosine Loss Improves Variational Auto-Encoder",
                    2019,
                ),
            ),
        ),
        terms={"loss": log_cosh},
        optimizer=_ADAM,
        training={"outputs": 1},
    )
)


# ---------------------------------------------------------------------------
# quantile (pinball)
# ---------------------------------------------------------------------------


def quantile(*, prediction: Tensor, targets: Tensor, tau: float) -> Tensor:
    r"""Pinball (quantile) loss at level ``tau``.

    .. math::

        \rho_\tau(r) = \max(\tau r, (\tau-1) r), \qquad r = y - \hat y

    ``tau = 0.5`` is half the absolute error. ``prediction``: ``[S, B, 1]``;
    ``targets``: ``[S, B]``; returns ``[S]``.
    """
    r = _residual(prediction, targets)
    return torch.maximum(tau * r, (tau - 1.0) * r).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="quantile",
            example=_example("quantile"),
            family=FAMILY,
            formula=(r"\rho_\tau(y-\hat y)=\max\big(\tau(y-\hat y),\ (\tau-1)(y-\hat y)\big)"),
            derivation=(
                r"**Asymmetric absolute error.** Under-predictions ($r>0$) cost $\tau r$, "
                r"over-predictions cost $(1-\tau)|r|$.",
                r"**Optimum.** $\frac{d}{dc}\mathbb{E}[\rho_\tau(Y-c)]=-\tau P(Y>c)+(1-\tau)"
                r"P(Y<c)=F(c)-\tau$, zero at $c=F^{-1}(\tau)$: the minimiser is the "
                r"conditional $\tau$-quantile (Koenker & Bassett 1978).",
                r"**Median.** $\tau=\tfrac12$ gives $\tfrac12|r|$: MAE/2, the median.",
                r"**Coverage.** At the optimum a fraction $\tau$ of targets lies at or below "
                r"the prediction: losslab reports this empirical coverage on the test split, "
                r"which should approach $\tau$. Two quantile models (e.g. 0.05 and 0.95) give "
                r"a distribution-free prediction interval.",
                r"**Gradient.** $-\tau$ or $1-\tau$: constant magnitude like MAE, so it is "
                r"robust to outliers and non-smooth at 0.",
            ),
            optimum_or_divergence=(
                r"Minimised by the conditional $\tau$-quantile $F^{-1}_{y\mid x}(\tau)$; "
                r"the maximum-likelihood estimate under an asymmetric Laplace noise model."
            ),
            used_by=(
                "Quantile regression (Koenker & Bassett 1978)",
                "Probabilistic forecasting: MQ-RNN (Wen et al. 2017), Temporal Fusion "
                "Transformer (Lim et al. 2021), LightGBM's quantile objective",
                "Distributional RL (QR-DQN, Dabney et al. 2018)",
            ),
            why=(
                "When you need a quantile rather than a mean: prediction intervals, "
                "asymmetric costs (stocking, capacity), or skewed and heteroscedastic noise "
                "without assuming a distribution."
            ),
            pros=(
                "Distribution-free: no noise model assumed.",
                "Robust to outliers (bounded gradient).",
                "Coverage is directly checkable on held-out data.",
            ),
            cons=(
                "One model per quantile; separately trained quantiles can cross.",
                "Non-smooth at 0, like MAE.",
                "Extreme quantiles (tau near 0 or 1) need much data.",
            ),
            hyperparameters={
                "tau": Hyperparameter(
                    default=0.5,
                    low=0.01,
                    high=0.99,
                    doc=r"Quantile level $\tau$: the fraction of targets the prediction should "
                    "lie at or above. 0.5 is the median (MAE/2). Range [0.01, 0.99].",
                )
            },
            references=(
                KOENKER_BASSETT_1978,
                Reference(
                    "Wen, R., Torkkola, K., Narayanaswamy, B., Madeka, D.",
                    "A Multi-Horizon Quantile Recurrent Forecaster",
                    2017,
                    "https://arxiv.org/abs/1711.11053",
                ),
            ),
        ),
        terms={"loss": quantile},
        optimizer=_ADAM,
        training={"outputs": 1, "quantile": "tau"},
    )
)


# ---------------------------------------------------------------------------
# gaussian-nll: learned (heteroscedastic) variance
# ---------------------------------------------------------------------------


def gaussian_nll(*, prediction: Tensor, targets: Tensor, beta: float) -> Tensor:
    r"""Gaussian negative log-likelihood with a predicted mean and log-variance.

    .. math::

        \ell = \big[\operatorname{sg}(\sigma^2)\big]^{\beta}\Big(\tfrac12\log\sigma^2
               + \frac{(y-\mu)^2}{2\sigma^2}\Big) + \tfrac12\log 2\pi

    with ``prediction[..., 0]`` :math:`=\mu` and ``prediction[..., 1]``
    :math:`=\log\sigma^2`; :math:`\operatorname{sg}` stops the gradient. ``beta = 0``
    is the plain Gaussian NLL (Nix & Weigend 1994); ``beta > 0`` is beta-NLL (Seitzer
    et al. 2022). ``prediction``: ``[S, B, 2]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    r = _residual(prediction, targets, width=2)
    log_var = prediction[..., 1]
    nll = 0.5 * (log_var + r.pow(2) * torch.exp(-log_var))
    if beta != 0.0:
        nll = torch.exp(beta * log_var).detach() * nll
    return (nll + 0.5 * LOG_2PI).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="gaussian-nll",
            example=_example("gaussian-nll", width=2),
            family=FAMILY,
            formula=(
                r"\ell(\mu,\sigma^2; y)=\tfrac12\log\sigma^2+\frac{(y-\mu)^2}{2\sigma^2}"
                r"+\tfrac12\log2\pi,\quad(\mu,\log\sigma^2)=f_\theta(x)"
            ),
            derivation=(
                r"**Heteroscedastic noise.** Let the network output a mean and a variance "
                r"per input: $y\mid x\sim\mathcal N(\mu(x),\sigma^2(x))$ (Nix & Weigend 1994).",
                r"**Likelihood.** The negative log-density is $\tfrac12\log(2\pi\sigma^2)+"
                r"\frac{(y-\mu)^2}{2\sigma^2}$. The second output is $s=\log\sigma^2$ so the "
                r"variance is positive with no constraint, and $r^2e^{-s}$ replaces a division.",
                r"**Optimum.** Minimising over $\sigma^2$ pointwise gives $\sigma^2=(y-\mu)^2$ "
                r"in expectation: $\mu(x)=\mathbb{E}[y\mid x]$ and $\sigma^2(x)="
                r"\mathrm{Var}[y\mid x]$. With $\sigma$ fixed it reduces to MSE.",
                r"**Gradients.** $\partial\ell/\partial\mu=-r/\sigma^2$ and "
                r"$\partial\ell/\partial s=\tfrac12(1-r^2/\sigma^2)$: each point's pull on "
                r"the mean is divided by its predicted variance (learned attenuation: noisy "
                r"regions count less).",
                r"**Known issue.** That same $1/\sigma^2$ lets the network explain a poorly "
                r"fitted region by a large variance, after which the mean there barely "
                r"learns; fits can end worse than MSE's (Seitzer et al. 2022). beta-NLL "
                r"multiplies the loss by $\operatorname{sg}(\sigma^{2\beta})$: $\beta=0.5$ is "
                r"their recommendation, $\beta=1$ gives the mean MSE's gradient. The knob "
                r"``beta`` (default 0, the plain NLL) selects it.",
            ),
            optimum_or_divergence=(
                r"Minimised by $\mu(x)=\mathbb{E}[y\mid x]$ and $\sigma^2(x)=\mathrm{Var}"
                r"[y\mid x]$: the expected loss is $\mathbb{E}_x\,\mathrm{KL}(p(y\mid x)\,\|\,"
                r"\mathcal N(\mu,\sigma^2))$ plus the entropy of $p(y\mid x)$ (exact KL when "
                r"the noise is Gaussian)."
            ),
            used_by=(
                "Mean-variance networks (Nix & Weigend 1994)",
                "Deep ensembles for predictive uncertainty (Lakshminarayanan et al. 2017)",
                "Aleatoric uncertainty in vision (Kendall & Gal 2017); torch.nn.GaussianNLLLoss",
            ),
            why=(
                "When the noise level varies with the input and you need calibrated "
                "uncertainty, not just a point prediction."
            ),
            pros=(
                "Predicts uncertainty: a variance per input, scored by NLL.",
                "Down-weights noisy regions automatically.",
                "Maximum likelihood: consistent for mean and variance under Gaussian noise.",
            ),
            cons=(
                "Mean fit can stall where the variance grows (Seitzer et al. 2022); use beta-NLL.",
                "Can diverge: a variance collapsing toward 0 on a fitted point sends "
                "the loss to minus infinity.",
                "Assumes Gaussian noise: outliers inflate the variance everywhere.",
            ),
            hyperparameters={
                "beta": Hyperparameter(
                    default=0.0,
                    low=0.0,
                    high=1.0,
                    doc=r"beta-NLL exponent: the loss is weighted by $\operatorname{sg}"
                    r"(\sigma^{2\beta})$. 0 is the plain Gaussian NLL, 0.5 is Seitzer et al.'s "
                    "recommendation, 1 gives the mean the MSE gradient. Range [0, 1].",
                )
            },
            references=(
                Reference(
                    "Nix, D. A., Weigend, A. S.",
                    "Estimating the Mean and Variance of the Target Probability Distribution",
                    1994,
                ),
                Reference(
                    "Seitzer, M., Tavakoli, A., Antic, D., Martius, G.",
                    "On the Pitfalls of Heteroscedastic Uncertainty Estimation with "
                    "Probabilistic Neural Networks",
                    2022,
                    "https://arxiv.org/abs/2203.09168",
                ),
                Reference(
                    "Lakshminarayanan, B., Pritzel, A., Blundell, C.",
                    "Simple and Scalable Predictive Uncertainty Estimation using Deep Ensembles",
                    2017,
                    "https://arxiv.org/abs/1612.01474",
                ),
            ),
        ),
        terms={"loss": gaussian_nll},
        optimizer=_ADAM,
        training={"outputs": 2, "predicts_variance": True},
    )
)
