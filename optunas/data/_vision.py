"""torchvision's MNIST, Fashion-MNIST and CIFAR-10, from a folder or by download."""

from __future__ import annotations

import gzip
import os
import struct
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from optunas.data._dataset import Dataset, DatasetUnavailableError, split_train_valid, standardize


def _torchvision_class(name: str) -> Callable[..., Any]:
    """The torchvision dataset class of ``name`` (torchvision has no type information)."""
    import torchvision.datasets as tvd

    classes: dict[str, Callable[..., Any]] = {
        "mnist": tvd.MNIST,
        "fashion_mnist": tvd.FashionMNIST,
        "cifar10": tvd.CIFAR10,
    }
    return classes[name]


#: Datasets a system package installs, as (its folder, the package): Debian's
#: ``dataset-fashion-mnist`` puts Fashion-MNIST's four idx files in that folder, so such a
#: machine needs no download.
SYSTEM_PACKAGES: dict[str, tuple[str, str]] = {
    "fashion_mnist": ("/usr/share/datasets/fashion-mnist", "dataset-fashion-mnist"),
}

#: The original idx files of MNIST and Fashion-MNIST (gzipped or not), by split.
_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def _read_idx(path: str) -> np.ndarray:
    """An array of unsigned bytes from an idx file (LeCun's format: a header, then the data)."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rb") as f:
        zero, kind, ndim = struct.unpack(">HBB", f.read(4))
        if zero != 0 or kind != 0x08:
            raise DatasetUnavailableError(f"{path} is not an idx file of unsigned bytes")
        shape = struct.unpack(f">{ndim}I", f.read(4 * ndim))
        data = np.frombuffer(bytearray(f.read()), dtype=np.uint8)  # writable, as torch wants
    if data.size != int(np.prod(shape)):
        raise DatasetUnavailableError(f"{path} is truncated: {data.size} bytes for shape {shape}")
    return data.reshape(shape)


def _idx_path(folder: str, stem: str) -> str | None:
    for candidate in (os.path.join(folder, stem), os.path.join(folder, stem + ".gz")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _idx_splits(folder: str) -> dict[str, tuple[np.ndarray, np.ndarray]] | None:
    """The train and test splits from the four idx files lying in ``folder``, else None."""
    paths = {}
    for split, stems in _IDX_FILES.items():
        images, labels = (_idx_path(folder, stem) for stem in stems)
        if images is None or labels is None:
            return None
        paths[split] = (images, labels)
    return {
        split: (_read_idx(images), _read_idx(labels)) for split, (images, labels) in paths.items()
    }


def _as_tensors(data: object, targets: object) -> tuple[torch.Tensor, torch.Tensor]:
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
    torchvision's layout, or as the four original idx files lying in ``root`` itself. Without
    a ``root``, a dataset that a system package installs is found there too: Fashion-MNIST in
    :data:`SYSTEM_PACKAGES` (Debian's ``dataset-fashion-mnist``). With ``download=True``
    torchvision fetches what is missing. The
    official test set is the test split; ``valid_fraction`` of the official training set,
    chosen by ``seed``, is the validation split. Inputs are standardised per channel with the
    training split's statistics.

    Raises:
        DatasetUnavailableError: the files are not under ``root`` and could not be downloaded.
    """
    system = None if root else SYSTEM_PACKAGES.get(name, (None,))[0]
    root = os.fspath(
        root or os.environ.get("OPTUNAS_DATA") or os.path.expanduser("~/.cache/optunas")
    )
    splits = _find_splits(name, root, system, download)
    (x, y), (test_x, test_y) = (_as_tensors(*splits[split]) for split in ("train", "test"))
    x, test_x = standardize(x, test_x)
    train, valid = split_train_valid(x, y, valid_fraction, seed)
    return Dataset(name, train, valid, TensorDataset(test_x, test_y), tuple(x.shape[1:]), 10)


def _torchvision_splits(name: str, root: str, download: bool) -> dict[str, tuple[object, object]]:
    cls = _torchvision_class(name)
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
    return {
        split: (part.data, part.targets)
        for split, part in (("train", train_split), ("test", test_split))
    }


def _find_splits(
    name: str, root: str, system: str | None, download: bool
) -> Mapping[str, tuple[object, object]]:
    """The user's folder first (the original files or torchvision's layout), then the
    system package's folder, and a download only when neither has the files."""
    splits = _idx_splits(root)
    if splits is not None:
        return splits
    try:
        return _torchvision_splits(name, root, download=False)
    except DatasetUnavailableError as missing:
        if system is None:
            if not download:
                raise
        else:
            splits = _idx_splits(system)
            if splits is not None:
                return splits
            if not download:
                package = SYSTEM_PACKAGES[name][1]
                raise DatasetUnavailableError(
                    f"{missing}; nor in {system} (apt-get install {package} puts it there)"
                ) from None
    return _torchvision_splits(name, root, download=True)
