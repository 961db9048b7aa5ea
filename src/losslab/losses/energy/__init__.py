r"""Energy-based losses: maximum likelihood with Langevin MCMC, score matching (denoising
and sliced), and noise-contrastive estimation.

Ways to learn a density known only up to its normaliser:

* ``contrastive-divergence``: an energy :math:`E_\theta(x)`, :math:`p_\theta \propto
  e^{-E_\theta}`, trained by maximum likelihood; the intractable half of the gradient is
  estimated with short-run Langevin samples from a persistent replay buffer. Term
  ``energy``: :func:`cd_loss` on the energies ``data_energy`` / ``sample_energy``
  (``[S, B]``) of data and of Langevin samples. ``training["method"] == "ebm"``.
* ``dsm`` / ``dsm-annealed``: a score network :math:`s_\theta(x, \sigma) \approx
  \nabla_x \log q_\sigma(x)` trained by denoising score matching at one noise level or
  at a geometric ladder of them. Term ``score``: :func:`dsm_loss` on ``scores``, ``noise``
  (``[S, B, d]``) and ``sigmas`` (``[S, B, 1]``). ``training["method"] == "dsm"`` and
  ``training["sigma_levels"]`` (:func:`sigma_levels`) turns the knobs into the levels.

* ``nce``: an energy fitted by logistic regression of data against samples of a known
  noise (a Gaussian fitted to the data). Term ``contrast``: :func:`nce_loss` on the log
  density ratios ``data_log_ratio`` ``[S, B]`` and ``noise_log_ratio`` ``[S, N]``.
  ``training["method"] == "nce"``.
* ``sliced-score-matching``: a score network :math:`s_\theta(x)` fitted by the sliced
  Fisher divergence. Term ``score``: :func:`ssm_loss` on ``scores``, the ``inputs`` they
  were computed from, and ``projections`` ``[S, M, B, d]``. ``training["method"] ==
  "ssm"``.

Every term returns ``Tensor[S]``, one value per ensemble member. The samplers live in
:mod:`losslab.sampling.langevin`.

A numeric knob is a number or an ``[S]`` tensor, one value per member
(:mod:`losslab.losses.knobs`): :func:`cd_loss`'s ``reg_weight`` scales a per-member value.
The sampler knobs and the noise levels are read by the trainer (:func:`sigma_levels` takes
plain numbers).

The package holds one module per loss (its terms and its card), registered in the order
imported below, which is the catalogue's order; ``_common`` holds what several cards share.
"""

# isort: off
# Import order is registration order, hence `losslab list` order.
from losslab.losses.energy._common import (
    DU_MORDATCH_2019,
    EFRON_2011,
    FAMILY,
    HINTON_2002,
    HYVARINEN_2005,
    JOLICOEUR_2021,
    NIJKAMP_2019,
    NIJKAMP_2020,
    SONG_ERMON_2019,
    SONG_ERMON_2020,
    TIELEMAN_2008,
    VINCENT_2011,
)
from losslab.losses.energy.contrastive_divergence import cd_loss
from losslab.losses.energy.dsm import dsm_loss, sigma_levels
from losslab.losses.energy import dsm_annealed  # noqa: F401
from losslab.losses.energy.nce import nce_loss
from losslab.losses.energy.sliced_score_matching import ssm_loss
# isort: on

__all__ = [
    "DU_MORDATCH_2019",
    "EFRON_2011",
    "FAMILY",
    "HINTON_2002",
    "HYVARINEN_2005",
    "JOLICOEUR_2021",
    "NIJKAMP_2019",
    "NIJKAMP_2020",
    "SONG_ERMON_2019",
    "SONG_ERMON_2020",
    "TIELEMAN_2008",
    "VINCENT_2011",
    "cd_loss",
    "dsm_loss",
    "nce_loss",
    "sigma_levels",
    "ssm_loss",
]
