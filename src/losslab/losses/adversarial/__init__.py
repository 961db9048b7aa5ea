r"""Adversarial (GAN) losses: one discriminator term and one generator term per loss.

Every term is a small pure function of the discriminator's (or critic's) outputs,
taken by keyword, and returns one value per ensemble member:

* ``real_scores``: ``[S, B]`` outputs on real samples,
* ``fake_scores``: ``[S, B]`` outputs on generated samples,
* ``real_scores`` in a generator term (the relativistic losses ``rsgan``, ``ragan``): the
  discriminator's outputs on a fresh real batch, which the trainer supplies,
* ``fake_codes``: ``[S, B, c]`` the autoencoder discriminator's codes of the generated
  samples (EBGAN's generator term only),
* result: ``Tensor[S]``, the mean over the batch axis of each member (never over members).

For the BCE losses the scores are *logits* :math:`\ell` with :math:`D = \sigma(\ell)`;
they are turned into log-probabilities with ``softplus`` only, using

.. math::

    -\log \sigma(\ell) = \operatorname{softplus}(-\ell), \qquad
    -\log(1 - \sigma(\ell)) = \operatorname{softplus}(\ell),

so the losses stay finite for any logit (a naive ``log(sigmoid(l))`` is ``-inf``
once ``sigmoid`` rounds to 0 or 1).

A term accepts exactly the keyword arguments it uses, so a trainer can pass
``spec.hyperparameters()`` filtered by the term's signature. Weight clipping and
the penalties (gradient penalty, one-sided, R1, R2, DRAGAN) are not loss terms: the trainer
applies them, as declared in each spec's ``training`` dict (``training["penalties"]``, see
:mod:`losslab.losses.penalties`).

A numeric knob is a number or an ``[S]`` tensor, one value per member
(:mod:`losslab.losses.knobs`): ``lsgan``'s targets ``a``, ``b``, ``c`` and ``ebgan``'s
``margin`` are broadcast against the ``[S, B]`` scores, ``pt_weight`` scales a per-member
value. The trainer-read knobs (``clip``, the penalty weights ``gp_weight``, ``lp_weight``,
``gamma``, ``dragan_weight`` and DRAGAN's ``c``, ``code_dim``) are the trainer's to
apply; ``code_dim`` changes the network and stays a number.

The package holds one module per loss (its terms and its card), registered in the order
imported below, which is the catalogue's order; ``_common`` holds what several cards share.
"""

# isort: off
# Import order is registration order, hence `losslab list` order.
from losslab.losses.adversarial._common import (
    ARJOVSKY_2017,
    ARJOVSKY_BOTTOU_2017,
    FAMILY,
    GOODFELLOW_2014,
    GULRAJANI_2017,
    LUCIC_2018,
    MIYATO_2018,
    RADFORD_2016,
)
from losslab.losses.adversarial.minimax_bce import minimax_bce_discriminator, minimax_bce_generator
from losslab.losses.adversarial.nonsaturating_bce import (
    nonsaturating_bce_discriminator,
    nonsaturating_bce_generator,
)
from losslab.losses.adversarial.wgan_clip import wgan_clip_discriminator, wgan_clip_generator
from losslab.losses.adversarial.wgan_gp import wgan_gp_discriminator, wgan_gp_generator
from losslab.losses.adversarial.lsgan import lsgan_discriminator, lsgan_generator
from losslab.losses.adversarial.hinge import hinge_discriminator, hinge_generator
from losslab.losses.adversarial.ebgan import (
    ZHAO_2017,
    ebgan_discriminator,
    ebgan_generator,
    pulling_away_term,
)
from losslab.losses.adversarial.wgan_lp import wgan_lp_discriminator, wgan_lp_generator
from losslab.losses.adversarial.nonsaturating_r1 import (
    nonsaturating_r1_discriminator,
    nonsaturating_r1_generator,
)
from losslab.losses.adversarial.dragan import dragan_discriminator, dragan_generator
from losslab.losses.adversarial.rsgan import rsgan_discriminator, rsgan_generator
from losslab.losses.adversarial.ragan import ragan_discriminator, ragan_generator
from losslab.losses.adversarial.fgan_kl import fgan_kl_discriminator, fgan_kl_generator
from losslab.losses.adversarial.fgan_reverse_kl import (
    fgan_reverse_kl_discriminator,
    fgan_reverse_kl_generator,
)
from losslab.losses.adversarial.fgan_pearson import (
    fgan_pearson_discriminator,
    fgan_pearson_generator,
)
# isort: on

__all__ = [
    "ARJOVSKY_2017",
    "ARJOVSKY_BOTTOU_2017",
    "FAMILY",
    "GOODFELLOW_2014",
    "GULRAJANI_2017",
    "LUCIC_2018",
    "MIYATO_2018",
    "RADFORD_2016",
    "minimax_bce_discriminator",
    "minimax_bce_generator",
    "nonsaturating_bce_discriminator",
    "nonsaturating_bce_generator",
    "wgan_clip_discriminator",
    "wgan_clip_generator",
    "wgan_gp_discriminator",
    "wgan_gp_generator",
    "lsgan_discriminator",
    "lsgan_generator",
    "hinge_discriminator",
    "hinge_generator",
    "ZHAO_2017",
    "ebgan_discriminator",
    "ebgan_generator",
    "pulling_away_term",
    "wgan_lp_discriminator",
    "wgan_lp_generator",
    "nonsaturating_r1_discriminator",
    "nonsaturating_r1_generator",
    "dragan_discriminator",
    "dragan_generator",
    "rsgan_discriminator",
    "rsgan_generator",
    "ragan_discriminator",
    "ragan_generator",
    "fgan_kl_discriminator",
    "fgan_kl_generator",
    "fgan_reverse_kl_discriminator",
    "fgan_reverse_kl_generator",
    "fgan_pearson_discriminator",
    "fgan_pearson_generator",
]
