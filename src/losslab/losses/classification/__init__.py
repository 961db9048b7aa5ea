r"""Classification losses: one ``loss`` term per loss, from logits.

Every term is a small pure function taken by keyword that returns one value per
ensemble member:

* ``logits``: ``[S, B, K]`` raw network outputs (``K = 1`` for ``sigmoid-bce``),
* ``targets``: ``[S, B]`` int64 class ids in ``0 .. K-1`` (``{0, 1}`` for ``sigmoid-bce``),
* result: ``Tensor[S]``, the mean over the batch axis of each member.

Probabilities enter only through ``log_softmax`` / ``logsumexp`` / ``softplus``,
so every loss stays finite for any logit:

.. math::

    \log p_k = z_k - \log\sum_j e^{z_j}, \qquad
    -\log\sigma(z) = \operatorname{softplus}(-z).

``training["outputs"]`` tells the trainer how wide the last layer is:
``"classes"`` (K logits) or ``1`` (one logit, ``binary``). ``class-weighted-ce``
declares ``training["class_weights"] = "inverse-frequency"``: the trainer then
passes ``class_weights`` ``[S, K]`` computed by :func:`inverse_frequency_weights`
from each member's *training* split. ``logit-adjusted-ce``, ``balanced-softmax`` and
``ldam`` declare ``training["class_priors"] = True``: the trainer then passes
``class_priors`` ``[S, K]``, each member's training-split class frequencies
(:func:`training_class_priors`); without them (a direct call) the priors are uniform.

A numeric knob is a number or an ``[S]`` tensor, one value per member
(:mod:`losslab.losses.knobs`): ``focal``'s ``gamma`` and ``label-smoothing-ce``'s
``epsilon`` are broadcast against the ``[S, B]`` per-sample losses.

The package holds one module per loss (its terms and its card), registered in the order
imported below, which is the catalogue's order; ``_common`` holds what several cards share.
"""

# isort: off
# Import order is registration order, hence `losslab list` order.
from losslab.losses.classification._common import (
    BISHOP_2006,
    BRIDLE_1990,
    COX_1958,
    FAMILY,
    GUO_2017,
    MULLER_2019,
    SZEGEDY_2016,
)
from losslab.losses.classification.sigmoid_bce import sigmoid_bce
from losslab.losses.classification.softmax_ce import softmax_ce
from losslab.losses.classification.focal import focal
from losslab.losses.classification.label_smoothing_ce import label_smoothing_ce
from losslab.losses.classification.class_weighted_ce import (
    class_weighted_ce,
    inverse_frequency_weights,
)
from losslab.losses.classification.multiclass_hinge import multiclass_hinge
from losslab.losses.classification.mse_probabilities import mse_probabilities
from losslab.losses.classification.gce import gce
from losslab.losses.classification.sce import sce
from losslab.losses.classification.bootstrap_ce import bootstrap_ce
from losslab.losses.classification.logit_adjusted_ce import (
    logit_adjusted_ce,
    training_class_priors,
)
from losslab.losses.classification.balanced_softmax import balanced_softmax
from losslab.losses.classification.ldam import ldam
from losslab.losses.classification.poly1 import poly1
# isort: on

__all__ = [
    "BISHOP_2006",
    "BRIDLE_1990",
    "COX_1958",
    "FAMILY",
    "GUO_2017",
    "MULLER_2019",
    "SZEGEDY_2016",
    "sigmoid_bce",
    "softmax_ce",
    "focal",
    "label_smoothing_ce",
    "class_weighted_ce",
    "inverse_frequency_weights",
    "multiclass_hinge",
    "mse_probabilities",
    "gce",
    "sce",
    "bootstrap_ce",
    "logit_adjusted_ce",
    "training_class_priors",
    "balanced_softmax",
    "ldam",
    "poly1",
]
