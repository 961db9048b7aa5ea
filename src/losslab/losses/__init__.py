"""Loss functions, one module per family; each loss is a pure function + its card."""

from losslab.losses.registry import (
    Card,
    Hyperparameter,
    LossSpec,
    Search,
    all_losses,
    get_loss,
)

__all__ = ["Card", "Hyperparameter", "LossSpec", "Search", "all_losses", "get_loss"]
