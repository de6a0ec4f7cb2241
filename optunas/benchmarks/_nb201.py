"""The NB201 x MNIST-1D tabular benchmark: its recipe, its arch indexing, its equivalences."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from torch.utils.data import TensorDataset

from optunas.data import Dataset, load_mnist1d
from optunas.evaluation import Recipe
from optunas.nn import NB201_EDGES, NB201_OPS

OPS: tuple[str, ...] = tuple(NB201_OPS)
NUM_ARCHS = len(OPS) ** len(NB201_EDGES)


@dataclass(frozen=True)
class BenchmarkSetting:
    """Everything that fixes the table's numbers.

    Chosen to run on two CPU cores and still tell cells apart: small networks (4 channels,
    one cell per stage) trained on a 1,000-signal subset of MNIST-1D's training split land
    between about 45% and 85% validation accuracy, so the cell matters; the 800 validation and
    1,000 test signals rank them consistently.
    """

    channels: int = 4
    cells_per_stage: int = 1
    num_samples: int = 5000
    valid_fraction: float = 0.2
    train_subset: int = 1000
    recipe: Recipe = Recipe(epochs=10, batch_size=100, lr=0.01, weight_decay=5e-4)

    def dataset(self) -> Dataset:
        data = load_mnist1d(
            num_samples=self.num_samples, valid_fraction=self.valid_fraction, seed=0
        )
        x, y = data.train.tensors
        train = TensorDataset(x[: self.train_subset], y[: self.train_subset])
        return Dataset(data.name, train, data.valid, data.test, data.input_shape, data.num_classes)


SETTING = BenchmarkSetting()

#: The setting of the second table, the one aimed at pruners. The shipped table's epochs are
#: ten optimiser steps each and its one-cycle schedule warms up for three of them, so its first
#: epochs say almost nothing about the last (Spearman 0.01 at epoch 2). Batches of 32 make an
#: epoch 32 steps and a cosine schedule starts at the full rate: the same data and compute, and
#: early epochs that speak (docs/research/pruning.md, "A table for pruners").
PRUNING_SETTING = BenchmarkSetting(
    recipe=Recipe(epochs=10, batch_size=32, lr=0.01, weight_decay=5e-4, schedule="cosine")
)


def arch_index(ops: Sequence[str]) -> int:
    """The row of a cell: its ops read as a base-5 number, edge 0 most significant.

    Example:
        >>> from optunas.benchmarks import arch_index, arch_ops
        >>> arch_index(["none"] * 6), arch_index(["avg_pool_3x3"] * 6)
        (0, 15624)
        >>> arch_ops(arch_index(["skip_connect"] * 6)) == ("skip_connect",) * 6
        True
    """
    index = 0
    for op in ops:
        index = index * len(OPS) + OPS.index(op)
    return index


def arch_ops(index: int) -> tuple[str, ...]:
    """The cell of a row (the inverse of :func:`arch_index`)."""
    ops = []
    for _ in NB201_EDGES:
        index, digit = divmod(index, len(OPS))
        ops.append(OPS[digit])
    return tuple(reversed(ops))


def canonical(ops: Sequence[str]) -> tuple[str, ...]:
    """The cell with every dead edge set to ``none``.

    An edge is dead when no path of non-``none`` edges leads from the cell's input through
    it to the cell's output: whatever its op computes never reaches the output, so the cell
    computes the same function as its canonical form. The benchmark trains each canonical
    cell once (9,445 of the 15,625) and every equivalent cell shares its accuracies.

    Example:
        >>> from optunas.benchmarks import canonical
        >>> # Node 1 and node 2 never reach the output: only the edge 0 -> 3 is alive.
        >>> canonical(["nor_conv_3x3", "skip_connect", "none", "nor_conv_1x1", "none", "none"])
        ('none', 'none', 'none', 'nor_conv_1x1', 'none', 'none')
    """
    live = [op != "none" for op in ops]
    from_input = {0}
    for (j, i), alive in zip(NB201_EDGES, live):
        if alive and i in from_input:
            from_input.add(j)
    to_output = {3}
    for (j, i), alive in reversed(list(zip(NB201_EDGES, live))):
        if alive and j in to_output:
            to_output.add(i)
    return tuple(
        op if i in from_input and j in to_output else "none" for (j, i), op in zip(NB201_EDGES, ops)
    )
