"""Datasets: validated, seeded generators of samples (see ``registry``, ``oned``, ``twod``).

``make_dataset({"name": "gaussian", "std": 2})`` builds one from a config table;
``DatasetConfig`` is the pydantic type for a config field holding one.
"""

from typing import Any

from losslab.data import filedata, images, oned, twod  # noqa: F401  (registers the datasets)
from losslab.data.images import DigitsImages, load_digit_images
from losslab.data.oned import Gaussian, LogNormal, Mixture, StudentT, Uniform
from losslab.data.registry import (
    DATASETS,
    Dataset,
    dataset_config_type,
    describe_validation_error,
    make_dataset,
    register_dataset,
)
from losslab.data.supervised import (
    CLASSIFICATION_DATASETS,
    REGRESSION_DATASETS,
    Splits,
    SupervisedDataset,
)
from losslab.data.twod import Grid25, MixtureND, Ring8, SwissRoll, TwoMoons

__all__ = [
    "CLASSIFICATION_DATASETS",
    "DATASETS",
    "Dataset",
    "DatasetConfig",
    "DigitsImages",
    "Gaussian",
    "Grid25",
    "LogNormal",
    "Mixture",
    "MixtureND",
    "REGRESSION_DATASETS",
    "Ring8",
    "Splits",
    "StudentT",
    "SupervisedDataset",
    "SwissRoll",
    "TwoMoons",
    "Uniform",
    "dataset_config_type",
    "describe_validation_error",
    "load_digit_images",
    "make_dataset",
    "register_dataset",
]


def __getattr__(name: str) -> Any:
    # Built on access, so it covers every dataset registered by then.
    if name == "DatasetConfig":
        return dataset_config_type()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
