r"""A plug-in adversarial loss: least squares with symmetric targets ``+m`` / ``-m``.

Load it with ``losslab list --plugin examples/plugins/margin_lsgan.py`` or name it in a
study config (``plugins = ["margin_lsgan.py"]``, relative to the config file).

.. math::

    \mathcal L_D = \tfrac12\,\mathbb E[(D(x) - m)^2] + \tfrac12\,\mathbb E[(D(G(z)) + m)^2],
    \qquad \mathcal L_G = \tfrac12\,\mathbb E[(D(G(z)) - m)^2]

With ``m = 1`` this is LSGAN's symmetric coding ``a = -1, b = c = 1``.
"""

from torch import Tensor

import losslab
from losslab.losses.knobs import Knob, broadcast_knob
from losslab.plugins import Hyperparameter, Search


def margin_lsgan_discriminator(*, real_scores: Tensor, fake_scores: Tensor, margin: Knob) -> Tensor:
    """``[S, B]`` scores -> ``[S]``: real scores regressed to ``+m``, fakes to ``-m``."""
    m = broadcast_knob(margin, real_scores)  # a number, or one value per member [S] -> [S, 1]
    return 0.5 * ((real_scores - m) ** 2).mean(dim=1) + 0.5 * ((fake_scores + m) ** 2).mean(dim=1)


def margin_lsgan_generator(*, fake_scores: Tensor, margin: Knob) -> Tensor:
    """``[S, B]`` scores of the fakes -> ``[S]``: the fakes' scores regressed to ``+m``."""
    return 0.5 * ((fake_scores - broadcast_knob(margin, fake_scores)) ** 2).mean(dim=1)


losslab.register_loss(
    "margin-lsgan",
    family="adversarial",
    terms={"discriminator": margin_lsgan_discriminator, "generator": margin_lsgan_generator},
    formula=(
        r"\begin{aligned}\mathcal{L}_D &= \tfrac12\mathbb{E}[(D(x)-m)^2]"
        r" + \tfrac12\mathbb{E}[(D(G(z))+m)^2]"
        r"\\ \mathcal{L}_G &= \tfrac12\mathbb{E}[(D(G(z))-m)^2]\end{aligned}"
    ),
    why="LSGAN with symmetric targets +-m: the margin sets the scale of the critic's output "
    "and so of the generator's gradient.",
    hyperparameters={
        "margin": Hyperparameter(
            default=1.0,
            doc="Target magnitude: real scores go to +m, fake scores to -m.",
            low=1e-3,
            search=Search.log_uniform(0.1, 10.0),
        )
    },
    pros=("No saturation, like LSGAN.",),
    cons=("Only the margin's scale is searched; the coding stays symmetric.",),
)
