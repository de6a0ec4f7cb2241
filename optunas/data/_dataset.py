"""The dataset container and the split helper every loader shares."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.data import TensorDataset


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither on disk nor downloadable (for instance, offline)."""


@dataclass(frozen=True)
class Dataset:
    """Train, validation and test splits held in memory as tensors.

    ``input_shape`` is one example's shape, channels first: ``(1, 40)`` for MNIST-1D,
    ``(1, 28, 28)`` for MNIST, ``(3, 32, 32)`` for CIFAR-10.
    """

    name: str
    train: TensorDataset
    valid: TensorDataset
    test: TensorDataset
    input_shape: tuple[int, ...]
    num_classes: int

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(getattr(self, k))}" for k in ("train", "valid", "test"))
        return f"Dataset({self.name!r}, {sizes}, input_shape={self.input_shape})"


def split_train_valid(
    x: torch.Tensor, y: torch.Tensor, valid_fraction: float, seed: int
) -> tuple[TensorDataset, TensorDataset]:
    """Split a labelled pool into train and validation sets by a seeded permutation."""
    if not 0.0 < valid_fraction < 1.0:
        raise ValueError(f"valid_fraction must lie in (0, 1), got {valid_fraction}")
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_valid = max(1, round(len(y) * valid_fraction))
    valid, train = order[:n_valid], order[n_valid:]
    return TensorDataset(x[train], y[train]), TensorDataset(x[valid], y[valid])


def standardize(train_x: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Scale every split by the per-channel mean and std of the training split."""
    dims = [0] + list(range(2, train_x.dim()))
    mean = train_x.mean(dim=dims, keepdim=True)
    std = train_x.std(dim=dims, keepdim=True).clamp_min(1e-8)
    return [(t - mean) / std for t in (train_x, *others)]
