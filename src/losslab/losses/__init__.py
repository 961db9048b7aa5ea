"""Loss functions: one package per family, one module per loss (its pure terms + its card)."""

from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Search,
    all_losses,
    get_loss,
)

__all__ = ["Card", "Hyperparameter", "LossSpec", "Search", "all_losses", "get_loss"]
