"""MNIST-1D (Greydanus 2020), generated on this machine: no network, deterministic."""

from __future__ import annotations

import os
import random
import tempfile
from importlib import metadata

import numpy as np
import torch
from torch.utils.data import TensorDataset

from optunas.data._dataset import Dataset, split_train_valid

_KEYS = ("x", "y", "x_test", "y_test")


def cache_dir() -> str:
    """Where generated datasets are kept: ``$OPTUNAS_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/optunas``, else ``~/.cache/optunas``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.environ.get("OPTUNAS_CACHE_DIR") or os.path.join(base, "optunas")


def _generate(num_samples: int) -> dict[str, np.ndarray]:
    """The generator's arrays, from the cache when this machine made them before.

    Generation takes seconds (4 s for the default 5,000 signals on a 2-core CPU), paid by every
    worker process at start-up; the cache makes it once per machine. The generator's fixed
    seed makes the arrays a function of its version and ``num_samples``, which name the file.
    """
    try:
        version = metadata.version("mnist1d")
    except metadata.PackageNotFoundError:
        version = "unknown"
    path = os.path.join(cache_dir(), f"mnist1d-{version}-{num_samples}.npz")
    try:
        with np.load(path, allow_pickle=False) as cached:
            return {key: cached[key] for key in _KEYS}
    except (OSError, KeyError, ValueError):
        pass  # absent, unreadable or torn: make it again
    data = _make(num_samples)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Written whole, then renamed: a reader in another process never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        with os.fdopen(fd, "wb") as file:
            # Numeric arrays, read back with allow_pickle=False as well.
            np.savez(file, allow_pickle=False, **{key: data[key] for key in _KEYS})
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: generate each time
    return data


def _make(num_samples: int) -> dict[str, np.ndarray]:
    from mnist1d.data import get_dataset_args, make_dataset

    args = get_dataset_args()
    args.num_samples = num_samples
    # make_dataset seeds the global NumPy and `random` generators; give the user theirs back.
    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        data: dict[str, np.ndarray] = make_dataset(args)
        return data
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)


def load_mnist1d(num_samples: int = 5_000, valid_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """Generate MNIST-1D: signals of length 40 in 10 classes.

    The generator's own 80/20 train/test split is kept (its fixed seed makes the data
    identical on every machine); ``valid_fraction`` of its train part, chosen by ``seed``,
    becomes the validation split. The generated arrays are cached (see :func:`cache_dir`).

    Example:
        >>> from optunas.data import load_mnist1d
        >>> data = load_mnist1d(num_samples=1000)
        >>> data.input_shape, len(data.train), len(data.valid), len(data.test)
        ((1, 40), 640, 160, 200)
    """
    if num_samples < 100:
        raise ValueError(f"num_samples must be at least 100, got {num_samples}")
    raw = _generate(num_samples)
    x = torch.from_numpy(raw["x"]).float().unsqueeze(1)
    y = torch.from_numpy(raw["y"]).long()
    train, valid = split_train_valid(x, y, valid_fraction, seed)
    test = TensorDataset(
        torch.from_numpy(raw["x_test"]).float().unsqueeze(1), torch.from_numpy(raw["y_test"]).long()
    )
    return Dataset("mnist1d", train, valid, test, input_shape=(1, x.shape[-1]), num_classes=10)
