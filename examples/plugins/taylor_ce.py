r"""A plug-in classification loss: the Taylor cross-entropy (Feng et al. 2020).

The cross-entropy's Taylor series around ``p_y = 1`` cut after ``order`` terms:

.. math::

    \ell = \sum_{k=1}^{n} \frac{(1 - p_y)^k}{k}

``order -> infinity`` is the cross-entropy (``-log p_y``); ``order = 1`` is ``1 - p_y``,
the bounded, noise-robust MAE on probabilities. Load it with
``losslab explain taylor-ce --plugin examples/plugins/taylor_ce.py``.
"""

import torch
from torch import Tensor

import losslab
from losslab.plugins import Hyperparameter, Reference


def taylor_ce(*, logits: Tensor, targets: Tensor, order: int) -> Tensor:
    """``logits [S, B, K]``, ``targets [S, B]`` class ids -> ``[S]``, the batch mean."""
    p_true = torch.softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    gap = 1.0 - p_true
    series = sum(gap.pow(k) / k for k in range(1, int(order) + 1))
    return series.mean(dim=1)


losslab.register_loss(
    "taylor-ce",
    family="classification",
    terms={"loss": taylor_ce},
    formula=r"\ell = \sum_{k=1}^{n} \frac{(1-p_y)^k}{k}",
    why="Between MAE (order 1, robust to label noise, slow to fit) and cross-entropy "
    "(order -> infinity): a few terms keep CE's fit while bounding each sample's loss.",
    hyperparameters={
        "order": Hyperparameter(
            default=2,
            doc="Terms of the series kept (1 = MAE on p_y).",
            low=1,
            high=20,
            integer=True,
        )
    },
    references=(
        Reference(
            "Feng, L., Shu, S., Lin, Z., Lv, F., Li, L., An, B.",
            "Can Cross Entropy Loss Be Robust to Label Noise?",
            2020,
            "https://www.ijcai.org/proceedings/2020/305",
        ),
    ),
)
