"""torchvision's MNIST, Fashion-MNIST and CIFAR-10, from a folder or by download."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import TensorDataset

from optunas.data._dataset import Dataset, DatasetUnavailableError, split_train_valid, standardize


def _torchvision_class(name: str) -> Callable[..., object]:
    import torchvision.datasets as tvd

    return {"mnist": tvd.MNIST, "fashion_mnist": tvd.FashionMNIST, "cifar10": tvd.CIFAR10}[name]


def _as_tensors(split: object) -> tuple[torch.Tensor, torch.Tensor]:
    data, targets = split.data, split.targets  # type: ignore[attr-defined]
    x = torch.as_tensor(np.asarray(data)).float() / 255.0
    x = x.unsqueeze(1) if x.dim() == 3 else x.permute(0, 3, 1, 2)  # NHW -> N1HW; NHWC -> NCHW
    return x, torch.as_tensor(np.asarray(targets)).long()


def load_torchvision(
    name: str,
    root: str | os.PathLike[str] | None = None,
    download: bool = False,
    valid_fraction: float = 0.1,
    seed: int = 0,
) -> Dataset:
    """Load ``mnist``, ``fashion_mnist`` or ``cifar10`` into memory.

    The files are read from ``root`` (default ``$OPTUNAS_DATA`` or ``~/.cache/optunas``) in
    torchvision's layout; with ``download=True`` torchvision fetches what is missing. The
    official test set is the test split; ``valid_fraction`` of the official training set,
    chosen by ``seed``, is the validation split. Inputs are standardised per channel with the
    training split's statistics.

    Raises:
        DatasetUnavailableError: the files are not under ``root`` and could not be downloaded.
    """
    cls = _torchvision_class(name)
    root = os.fspath(
        root or os.environ.get("OPTUNAS_DATA") or os.path.expanduser("~/.cache/optunas")
    )
    try:
        train_split = cls(root, train=True, download=download)
        test_split = cls(root, train=False, download=download)
    except (RuntimeError, OSError) as exc:  # torchvision: missing files; urllib: no network
        how = (
            "and downloading it failed (is the network reachable?)"
            if download
            else "and download is off (pass download=True or --download)"
        )
        raise DatasetUnavailableError(
            f"dataset {name!r} is not under {root!r} {how}: {exc}"
        ) from exc
    x, y = _as_tensors(train_split)
    test_x, test_y = _as_tensors(test_split)
    x, test_x = standardize(x, test_x)
    train, valid = split_train_valid(x, y, valid_fraction, seed)
    return Dataset(name, train, valid, TensorDataset(test_x, test_y), tuple(x.shape[1:]), 10)
