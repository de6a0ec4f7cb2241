"""Datasets: MNIST-1D generated offline (the default) and torchvision's image datasets."""

from __future__ import annotations

import os
from typing import Any

from optunas._names import DATASETS
from optunas.data._dataset import Dataset, DatasetUnavailableError, split_train_valid
from optunas.data._mnist1d import load_mnist1d
from optunas.data._vision import load_torchvision


def load_dataset(
    name: str = "mnist1d",
    root: str | os.PathLike[str] | None = None,
    download: bool = False,
    seed: int = 0,
    **options: Any,
) -> Dataset:
    """Load a dataset by name with train/validation/test splits fixed by ``seed``.

    ``mnist1d`` is generated on the machine (no files, no network); the others are read from
    ``root`` or downloaded with ``download=True`` (see :func:`load_torchvision`).

    Example:
        >>> from optunas.data import load_dataset
        >>> data = load_dataset("mnist1d", num_samples=1000)
        >>> data.num_classes
        10
    """
    if name == "mnist1d":
        return load_mnist1d(seed=seed, **options)
    if name in DATASETS:
        return load_torchvision(name, root=root, download=download, seed=seed, **options)
    raise ValueError(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")


__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetUnavailableError",
    "load_dataset",
    "load_mnist1d",
    "load_torchvision",
    "split_train_valid",
]
