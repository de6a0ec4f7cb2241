"""What every evaluator resolves the same way from its constructor's options: the space and
the dataset from their names, the device, and the objectives' names."""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from optunas._names import OBJECTIVES
from optunas.data import Dataset, load_dataset
from optunas.evaluation._recipe import check_choice
from optunas.spaces import SearchSpace, get_space


def resolve(
    space: SearchSpace | str,
    dataset: Dataset | str,
    seed: int,
    device: str | torch.device | None,
    data_root: str | os.PathLike[str] | None,
    download: bool,
    supported: tuple[type[SearchSpace], ...] | None = None,
    owner: str = "",
) -> tuple[SearchSpace, Dataset, torch.device]:
    """The space, dataset and device an evaluator works on; a space outside ``supported`` is
    refused before the dataset is loaded, which may take a while."""
    space = get_space(space) if isinstance(space, str) else space
    if supported is not None and not isinstance(space, supported):
        names = " and ".join(kind.__name__ for kind in supported)
        raise TypeError(f"{owner} supports the {names} spaces, not {space!r}")
    if isinstance(dataset, str):
        dataset = load_dataset(dataset, root=data_root, download=download, seed=seed)
    return space, dataset, torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


def checked_objectives(objectives: Sequence[str] | None) -> tuple[str, ...] | None:
    """The objectives' names, each one known, or None for the study's own directions."""
    for name in objectives or ():
        check_choice("objective", name, tuple(OBJECTIVES))
    return tuple(objectives) if objectives else None
