"""Batched (ensemble) layers and the networks built on them."""

from losslab.nets.autoencoder import EnsembleAutoencoder
from losslab.nets.ensemble import ACTIVATIONS, EnsembleBatchNorm, EnsembleLinear, EnsembleMLP

__all__ = [
    "ACTIVATIONS",
    "EnsembleAutoencoder",
    "EnsembleBatchNorm",
    "EnsembleLinear",
    "EnsembleMLP",
]
