"""Batched (ensemble) layers and the networks built on them."""

from losslab.nets.ensemble import ACTIVATIONS, EnsembleLinear, EnsembleMLP

__all__ = ["ACTIVATIONS", "EnsembleLinear", "EnsembleMLP"]
