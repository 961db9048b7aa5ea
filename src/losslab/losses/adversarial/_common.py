"""Shared parts of the adversarial losses: the example, the per-member mean, references,
formula fragments and optimiser defaults that several cards use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from losslab.losses.registry import OptimizerDefaults, Reference

if TYPE_CHECKING:
    from torch import Tensor

FAMILY = "adversarial"


def _example(name: str) -> str:
    """The card's runnable example: both terms of the loss on made-up scores."""
    return f"""import torch
from losslab.losses import get_loss

spec = get_loss("{name}")
knobs = spec.hyperparameters()  # the paper's defaults; pass overrides as a dict
real_scores = torch.randn(2, 64) + 1.0  # [members, batch] discriminator outputs, real data
fake_scores = torch.randn(2, 64) - 1.0  # ... and on generated samples
d_loss = spec.bind("discriminator", knobs)(real_scores=real_scores, fake_scores=fake_scores)
g_loss = spec.bind("generator", knobs)(fake_scores=fake_scores)
print(d_loss, g_loss)  # one value per member
"""


def _member_mean(values: Tensor) -> Tensor:
    """Mean over every axis but the leading member axis: ``[S, B, ...] -> [S]``."""
    if values.dim() < 2:
        raise ValueError(
            f"scores must have a member and a batch axis [S, B], got shape {tuple(values.shape)}"
        )
    return values.flatten(1).mean(dim=1)


# ---------------------------------------------------------------------------
# References shared by several cards
# ---------------------------------------------------------------------------

GOODFELLOW_2014 = Reference(
    "Goodfellow, I., Pouget-Abadie, J., Mirza, M., Xu, B., Warde-Farley, D., Ozair, S., "
    "Courville, A., Bengio, Y.",
    "Generative Adversarial Nets",
    2014,
    "https://arxiv.org/abs/1406.2661",
)
RADFORD_2016 = Reference(
    "Radford, A., Metz, L., Chintala, S.",
    "Unsupervised Representation Learning with Deep Convolutional Generative Adversarial Networks",
    2016,
    "https://arxiv.org/abs/1511.06434",
)
ARJOVSKY_BOTTOU_2017 = Reference(
    "Arjovsky, M., Bottou, L.",
    "Towards Principled Methods for Training Generative Adversarial Networks",
    2017,
    "https://arxiv.org/abs/1701.04862",
)
ARJOVSKY_2017 = Reference(
    "Arjovsky, M., Chintala, S., Bottou, L.",
    "Wasserstein Generative Adversarial Networks",
    2017,
    "https://arxiv.org/abs/1701.07875",
)
GULRAJANI_2017 = Reference(
    "Gulrajani, I., Ahmed, F., Arjovsky, M., Dumoulin, V., Courville, A.",
    "Improved Training of Wasserstein GANs",
    2017,
    "https://arxiv.org/abs/1704.00028",
)
LUCIC_2018 = Reference(
    "Lucic, M., Kurach, K., Michalski, M., Gelly, S., Bousquet, O.",
    "Are GANs Created Equal? A Large-Scale Study",
    2018,
    "https://arxiv.org/abs/1711.10337",
)
MIYATO_2018 = Reference(
    "Miyato, T., Kataoka, T., Koyama, M., Yoshida, Y.",
    "Spectral Normalization for Generative Adversarial Networks",
    2018,
    "https://arxiv.org/abs/1802.05957",
)

_BCE_OPTIMIZER = OptimizerDefaults(
    name="adam",
    lr=2e-4,
    betas=(0.5, 0.999),
    source="Radford et al. 2016 (DCGAN): Adam, lr 0.0002, beta1 0.5. "
    "Goodfellow et al. 2014 trained with SGD + momentum.",
)

# One row of an ``aligned`` block: the BCE discriminator loss both BCE cards share.
_BCE_DISCRIMINATOR_FORMULA = (
    r"\mathcal{L}_D &= -\mathbb{E}_{x\sim p_{\text{data}}}[\log D(x)]"
    r" - \mathbb{E}_{z\sim p_z}[\log(1 - D(G(z)))]"
    r" = \mathbb{E}[\operatorname{softplus}(-\ell_{\text{real}})]"
    r" + \mathbb{E}[\operatorname{softplus}(\ell_{\text{fake}})]"
)


_WASSERSTEIN_GENERATOR_FORMULA = r"\mathcal{L}_G &= -\mathbb{E}_{z\sim p_z}[f(G(z))]"
