"""Batched (ensemble) layers and the networks built on them."""

from losslab.nets.ensemble import ACTIVATIONS, EnsembleBatchNorm, EnsembleLinear, EnsembleMLP

__all__ = ["ACTIVATIONS", "EnsembleBatchNorm", "EnsembleLinear", "EnsembleMLP"]
