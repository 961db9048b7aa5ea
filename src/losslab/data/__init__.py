"""Datasets: validated, seeded generators of samples (see ``registry`` and ``oned``).

``make_dataset({"name": "gaussian", "std": 2})`` builds one from a config table;
``DatasetConfig`` is the pydantic type for a config field holding one.
"""

from typing import Any

from losslab.data import oned  # noqa: F401  (registers the built-in datasets)
from losslab.data.oned import Gaussian, LogNormal, Mixture, StudentT, Uniform
from losslab.data.registry import (
    DATASETS,
    Dataset,
    dataset_config_type,
    describe_validation_error,
    make_dataset,
    register_dataset,
)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetConfig",
    "Gaussian",
    "LogNormal",
    "Mixture",
    "StudentT",
    "Uniform",
    "dataset_config_type",
    "describe_validation_error",
    "make_dataset",
    "register_dataset",
]


def __getattr__(name: str) -> Any:
    # Built on access, so it covers every dataset registered by then.
    if name == "DatasetConfig":
        return dataset_config_type()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
