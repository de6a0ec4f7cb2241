"""The shipped NB201 x MNIST-1D table: one row per cell, looked up by genotype."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from optunas.benchmarks._nb201 import (
    NUM_ARCHS,
    PRUNING_SETTING,
    SETTING,
    arch_index,
    arch_ops,
)
from optunas.spaces import NB201Genotype

TABLE_FILE = "nb201_mnist1d.npz"
#: The tables shipped with optunas, by name: "default" (the benchmark every figure for
#: samplers uses) and "pruning" (the same cells trained in :data:`PRUNING_SETTING`, whose early
#: epochs tell more about the last: the table the pruner figures use).
TABLES = {"default": TABLE_FILE, "pruning": "nb201_mnist1d_pruning.npz"}


@dataclass(frozen=True)
class NB201Table:
    """Every NB201 cell trained once on MNIST-1D with :data:`~optunas.benchmarks.SETTING`.

    Rows are :func:`~optunas.benchmarks.arch_index` order. ``curves[i, e]`` is the
    validation accuracy of cell ``i`` after epoch ``e``; ``valid`` is the last column;
    ``seconds`` is the training time of the whole recipe on the generating machine.

    Example:
        >>> from optunas.benchmarks import load_nb201_table
        >>> table = load_nb201_table()
        >>> len(table), table.epochs
        (15625, 10)
        >>> row = table.lookup("|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+"
        ...                    "|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|")
        >>> 0.0 < row["valid"] <= 1.0
        True
    """

    curves: np.ndarray
    test: np.ndarray
    params: np.ndarray
    flops: np.ndarray
    seconds: np.ndarray
    canonical: np.ndarray

    def __len__(self) -> int:
        return len(self.test)

    @property
    def epochs(self) -> int:
        return int(self.curves.shape[1])

    @property
    def valid(self) -> np.ndarray:
        return self.curves[:, -1]

    def index(self, genotype: NB201Genotype | str | tuple[str, ...]) -> int:
        """The row of a genotype, an NB201 string or a tuple of six op names."""
        if isinstance(genotype, str):
            genotype = NB201Genotype.from_string(genotype)
        ops = genotype.ops if isinstance(genotype, NB201Genotype) else tuple(genotype)
        return arch_index(NB201Genotype(ops).ops)

    def lookup(self, genotype: NB201Genotype | str | tuple[str, ...]) -> dict[str, Any]:
        """Everything stored about one cell."""
        i = self.index(genotype)
        return {
            "index": i,
            "genotype": str(NB201Genotype(arch_ops(i))),
            "curve": self.curves[i].tolist(),
            "valid": float(self.valid[i]),
            "test": float(self.test[i]),
            "params": int(self.params[i]),
            "flops": int(self.flops[i]),
            "seconds": float(self.seconds[i]),
        }

    def best(self) -> dict[str, Any]:
        """The cell of best validation accuracy (the first, on ties)."""
        return self.lookup(arch_ops(int(np.argmax(self.valid))))


def load_arrays(path: str | os.PathLike[str] | None, shipped: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` file: the one at ``path``, or the file ``shipped`` with
    optunas (in ``optunas/benchmarks/data``)."""
    if path is None:
        source = resources.files("optunas.benchmarks").joinpath("data").joinpath(shipped)
        with resources.as_file(source) as file, np.load(file) as data:
            return {k: data[k] for k in data.files}
    with np.load(path) as data:
        return {k: data[k] for k in data.files}


@functools.lru_cache(maxsize=4)
def load_nb201_table(
    path: str | os.PathLike[str] | None = None, *, variant: str = "default"
) -> NB201Table:
    """Load a table shipped with optunas (``variant``: ``"default"`` or ``"pruning"``, see
    :data:`TABLES`) or another generated one from ``path``; no network, cached per process.

    Example:
        >>> from optunas.benchmarks import load_nb201_table
        >>> default, pruning = load_nb201_table(), load_nb201_table(variant="pruning")
        >>> default.curves.shape == pruning.curves.shape
        True
    """
    if path is None and variant not in TABLES:
        raise ValueError(f"unknown table variant {variant!r}; choose from {', '.join(TABLES)}")
    arrays = load_arrays(path, TABLES.get(variant, ""))
    table = NB201Table(
        curves=arrays["curves"],
        test=arrays["test"],
        params=arrays["params"],
        flops=arrays["flops"],
        seconds=arrays["seconds"],
        canonical=arrays["canonical"],
    )
    epochs = (PRUNING_SETTING if variant == "pruning" else SETTING).recipe.epochs
    if len(table) != NUM_ARCHS or table.epochs != epochs:
        raise ValueError(
            f"{path or TABLES[variant]}: expected {NUM_ARCHS} rows of "
            f"{epochs} epochs, got {table.curves.shape}"
        )
    return table
