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
    ``(1, 28, 28)`` for MNIST, ``(3, 32, 32)`` for CIFAR-10. Each split holds inputs of
    that shape and integer labels in ``[0, num_classes)``; a dataset that does not (a wrong
    shape, one class only, an empty split) is refused here with a ValueError that says what
    is wrong, not deep inside the first trial's training.

    Example:
        >>> import torch
        >>> from torch.utils.data import TensorDataset
        >>> from optunas.data import Dataset
        >>> split = TensorDataset(torch.randn(8, 1, 40), torch.arange(8) % 2)
        >>> Dataset("toy", split, split, split, input_shape=(1, 40), num_classes=2)
        Dataset('toy', train=8, valid=8, test=8, input_shape=(1, 40))
    """

    name: str
    train: TensorDataset
    valid: TensorDataset
    test: TensorDataset
    input_shape: tuple[int, ...]
    num_classes: int

    def __post_init__(self) -> None:
        shape = tuple(self.input_shape)
        if self.num_classes < 2:
            raise ValueError(
                f"dataset {self.name!r} has num_classes={self.num_classes}; classification "
                "needs at least 2"
            )
        for split in ("train", "valid", "test"):
            _check_split(self.name, split, getattr(self, split), shape, self.num_classes)
        labels = self.train.tensors[1]
        if torch.unique(labels).numel() < 2:
            raise ValueError(
                f"dataset {self.name!r}: every training label is {int(labels[0])}; a "
                "classifier needs examples of at least 2 classes"
            )

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={len(getattr(self, k))}" for k in ("train", "valid", "test"))
        return f"Dataset({self.name!r}, {sizes}, input_shape={self.input_shape})"


def _check_split(
    name: str, split: str, data: TensorDataset, shape: tuple[int, ...], num_classes: int
) -> None:
    where = f"dataset {name!r}, {split} split"
    if len(data.tensors) != 2:
        raise ValueError(f"{where}: expected (inputs, labels), got {len(data.tensors)} tensors")
    x, y = data.tensors
    if len(y) == 0:
        raise ValueError(f"{where} is empty")
    if tuple(x.shape[1:]) != shape:
        raise ValueError(
            f"{where}: inputs of shape {tuple(x.shape[1:])}, but input_shape is {shape} "
            "(one example, channels first)"
        )
    if y.dim() != 1 or y.dtype.is_floating_point or y.dtype == torch.bool:
        raise ValueError(
            f"{where}: labels must be a 1-D integer tensor of class indices, got "
            f"{y.dtype} of shape {tuple(y.shape)}"
        )
    low, high = int(y.min()), int(y.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"{where}: labels run from {low} to {high}, outside 0..{num_classes - 1} "
            f"(num_classes={num_classes})"
        )


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
