"""poisson-nll: the Poisson negative log-likelihood of a log-rate output, for counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab._lazy import torch
from losslab.losses.registry import Card, LossSpec, Reference, register
from losslab.losses.regression._common import _ADAM, FAMILY
from losslab.losses.regression._counts import COUNT_TRAINING, _count_example, _log_mean

if TYPE_CHECKING:
    from torch import Tensor

MCCULLAGH_NELDER_1989 = Reference(
    "McCullagh, P., Nelder, J. A.",
    "Generalized Linear Models, 2nd ed., Chapters 2 and 6 (deviance; log-linear models for counts)",
    1989,
)


def poisson_nll(*, prediction: Tensor, targets: Tensor) -> Tensor:
    r"""Poisson negative log-likelihood with a log-rate output, up to :math:`\log y!`.

    .. math::

        \ell = e^{\eta} - y\,\eta \qquad \big(= -\log\operatorname{Poisson}(y; e^\eta)
               - \log y!\big)

    with ``prediction[..., 0]`` :math:`=\eta=\log\mu`. The same as
    ``torch.nn.functional.poisson_nll_loss(eta, y, log_input=True, full=False)`` per
    sample. ``targets`` must be non-negative (counts); the trainer refuses other data.
    ``prediction``: ``[S, B, 1]``; ``targets``: ``[S, B]``; returns ``[S]``.
    """
    eta = _log_mean(prediction, targets)
    return (torch.exp(eta) - targets * eta).mean(dim=1)


register(
    LossSpec(
        card=Card(
            name="poisson-nll",
            example=_count_example("poisson-nll"),
            family=FAMILY,
            formula=r"\ell(\eta; y)=e^{\eta}-y\,\eta\ \ (+\log y!),\quad \eta=\log\mu=f_\theta(x),"
            r"\ y\in\{0,1,2,\dots\}",
            derivation=(
                r"**Counts.** For events counted per unit (visits, claims, photons) model "
                r"$y\mid x\sim\operatorname{Poisson}(\mu(x))$: "
                r"$P(y)=\mu^ye^{-\mu}/y!$, mean and variance both $\mu$.",
                r"**Log link.** Let the network output $\eta=\log\mu$, so $\mu=e^\eta>0$ with no "
                r"constraint: the canonical link of the Poisson GLM (McCullagh & Nelder 1989).",
                r"**Likelihood.** $-\log P(y)=\mu-y\log\mu+\log y!=e^\eta-y\eta+\log y!$. The "
                r"last term does not depend on $\theta$ and is dropped (PyTorch's "
                r"``full=True`` adds a Stirling approximation of it).",
                r"**Gradient.** $\partial\ell/\partial\eta=e^\eta-y=\mu-y$: the residual on the "
                r"mean scale, like MSE's, but each point's squared-error weight is $1/\mu$: the "
                r"variance grows with the mean, so large counts count less than under MSE.",
                r"**Deviance.** $2[y\log(y/\mu)-(y-\mu)]$ is the same loss shifted by a "
                r"$y$-only constant so that it is 0 at $\mu=y$ (scikit-learn's "
                r"``mean_poisson_deviance``).",
            ),
            optimum_or_divergence=(
                r"Minimised by $e^{\eta(x)}=\mathbb{E}[y\mid x]$ (the log of the conditional "
                r"mean) for *any* non-negative $y$, Poisson or not: a strictly consistent "
                r"scoring function for the mean; the expected excess loss is "
                r"$\mathbb{E}_x\mathrm{KL}(\operatorname{Poisson}(\mathbb{E}[y\mid x])\,\|\,"
                r"\operatorname{Poisson}(\mu))$ under Poisson noise."
            ),
            used_by=(
                "Poisson regression / GLMs for counts (statsmodels, scikit-learn's "
                "PoissonRegressor, torch.nn.PoissonNLLLoss)",
                "Gradient boosting objectives for counts (LightGBM/XGBoost 'poisson')",
                "Neural spike-count models in neuroscience",
            ),
            why=(
                "For non-negative counts whose noise grows with the mean, the Poisson "
                "likelihood weighs errors by the right variance and keeps the mean positive."
            ),
            pros=(
                "Positive predicted mean by construction; right mean-variance relation for counts.",
                "Consistent for the conditional mean even when the counts are not Poisson.",
                "No knob.",
            ),
            cons=(
                "Over-dispersed counts (variance > mean) are fitted with too little weight on "
                "large errors; use tweedie-nll or a negative binomial.",
                "The exponential can overflow for large outputs early in training.",
                "Needs non-negative targets; the prediction is on the log scale.",
            ),
            hyperparameters={},
            references=(
                MCCULLAGH_NELDER_1989,
                Reference(
                    "Cameron, A. C., Trivedi, P. K.",
                    "Regression Analysis of Count Data",
                    1998,
                ),
            ),
        ),
        terms={"loss": poisson_nll},
        optimizer=_ADAM,
        training=dict(COUNT_TRAINING),
    )
)
