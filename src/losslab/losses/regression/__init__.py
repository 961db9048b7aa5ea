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

A numeric knob is a number or an ``[S]`` tensor, one value per member
(:mod:`losslab.losses.knobs`): ``huber``'s ``delta``, ``quantile``'s ``tau`` and
``gaussian-nll``'s ``beta`` are broadcast against the ``[S, B]`` residuals.

The count losses ``poisson-nll`` and ``tweedie-nll`` read their output as a log-mean
:math:`\eta=\log\mu` (``training["link"] == "log"``) and need non-negative targets
(``training["targets"] == "non-negative"``: the supervised trainer refuses other data).

The package holds one module per loss (its terms and its card), registered in the order
imported below, which is the catalogue's order; ``_common`` holds what several cards share.
"""

# isort: off
# Import order is registration order, hence `losslab list` order.
from losslab.losses.regression._common import (
    FAMILY,
    HASTIE_2009,
    HUBER_1964,
    KOENKER_BASSETT_1978,
    LOG_2PI,
)
from losslab.losses.regression.mse import mse
from losslab.losses.regression.mae import mae
from losslab.losses.regression.huber import huber
from losslab.losses.regression.log_cosh import log_cosh
from losslab.losses.regression.quantile import quantile
from losslab.losses.regression.gaussian_nll import gaussian_nll
from losslab.losses.regression.poisson_nll import poisson_nll
from losslab.losses.regression.tweedie_nll import tweedie_nll
from losslab.losses.regression.barron import barron, barron_rho
from losslab.losses.regression.cauchy import cauchy
# isort: on

__all__ = [
    "FAMILY",
    "HASTIE_2009",
    "HUBER_1964",
    "KOENKER_BASSETT_1978",
    "LOG_2PI",
    "mse",
    "mae",
    "huber",
    "log_cosh",
    "quantile",
    "gaussian_nll",
    "poisson_nll",
    "tweedie_nll",
    "barron",
    "barron_rho",
    "cauchy",
]
