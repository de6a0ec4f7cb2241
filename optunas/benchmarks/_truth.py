"""Truth sets: NB201 cells each trained with several seeds on a real dataset, kept with their
learning curves. What the cheap estimates (weight sharing, DARTS, the pruners, training-free
proxies) are measured against, and how far any ranking can be trusted: two trainings of one
cell agree only so well (:meth:`TruthSet.self_agreement`)."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import kendalltau

from optunas.benchmarks._nb201 import arch_index, arch_ops, canonical
from optunas.benchmarks._table import load_arrays
from optunas.spaces import NB201Genotype

#: The truth sets shipped with optunas, by dataset name.
TRUTH_SETS = {"fashion_mnist": "nb201_fashion_mnist_truth.npz"}


@dataclass(frozen=True)
class TruthSet:
    """Random canonical NB201 cells, each trained with every seed in one setting.

    ``cells[i]`` is the :func:`~optunas.benchmarks.arch_index` of row ``i``'s canonical cell;
    ``curves[i, s, e]`` its validation accuracy after epoch ``e`` of the training with seed
    ``s``; ``cpu_seconds[i, s]`` what that training cost; ``setting`` the recipe and network
    size, as the generator recorded them.

    Example:
        >>> from optunas.benchmarks import TruthSet
        >>> rows = [{"cell": c, "seed": s, "curve": [0.5, 0.6 + c / 1e5 + s / 100],
        ...          "cpu_s": 30.0} for c in (4, 9, 30) for s in (0, 1)]
        >>> truth = TruthSet.from_rows(rows, {"channels": 16})
        >>> len(truth), truth.seeds, truth.epochs
        (3, 2, 2)
        >>> round(truth.self_agreement()["tau"], 2)
        1.0
    """

    cells: np.ndarray
    curves: np.ndarray
    cpu_seconds: np.ndarray
    setting: Mapping[str, Any]

    def __len__(self) -> int:
        return len(self.cells)

    @property
    def seeds(self) -> int:
        return int(self.curves.shape[1])

    @property
    def epochs(self) -> int:
        return int(self.curves.shape[2])

    @property
    def valid(self) -> np.ndarray:
        """Each cell's final validation accuracy, averaged over its seeds: the truth."""
        return np.asarray(self.curves[:, :, -1].mean(axis=1))

    def genotypes(self) -> list[NB201Genotype]:
        return [NB201Genotype(arch_ops(int(i))) for i in self.cells]

    def lookup(self, genotype: NB201Genotype | str) -> dict[str, Any]:
        """A cell's row, found by any genotype equivalent to it; KeyError if it is not here."""
        if isinstance(genotype, str):
            genotype = NB201Genotype.from_string(genotype)
        index = arch_index(canonical(genotype.ops))
        rows = np.flatnonzero(self.cells == index)
        if len(rows) == 0:
            raise KeyError(f"{genotype} is not among the {len(self)} cells of this truth set")
        i = int(rows[0])
        return {
            "genotype": str(NB201Genotype(arch_ops(index))),
            "valid": float(self.valid[i]),
            "curves": self.curves[i].tolist(),
            "cpu_seconds": self.cpu_seconds[i].tolist(),
        }

    def self_agreement(self) -> dict[str, float]:
        """How well the first two seeds rank the cells alike: Kendall tau over all cells and
        over the better half (by the mean of the two), and the seed-to-seed standard
        deviation of one training's accuracy. No estimate can rank the cells much better
        than one training ranks another: this is the ceiling of every ranking figure."""
        if self.seeds < 2:
            raise ValueError("self-agreement needs two seeds per cell")
        first, second = self.curves[:, 0, -1], self.curves[:, 1, -1]
        better = (first + second) / 2 >= np.median((first + second) / 2)
        return {
            "tau": float(kendalltau(first, second)[0]),
            "tau_better_half": float(kendalltau(first[better], second[better])[0]),
            "seed_sd": float(np.std(first - second, ddof=1) / np.sqrt(2)),
        }

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]], setting: Mapping[str, Any]) -> TruthSet:
        """From one record per training (``cell``, ``seed``, ``curve``, ``cpu_s``), keeping
        the cells trained with every seed, in the order they first appear."""
        by_cell: dict[int, dict[int, Mapping[str, Any]]] = {}
        for row in rows:
            by_cell.setdefault(int(row["cell"]), {})[int(row["seed"])] = row
        seeds = sorted({s for runs in by_cell.values() for s in runs})
        complete = [c for c, runs in by_cell.items() if sorted(runs) == seeds]
        if not complete:
            raise ValueError("no cell has been trained with every seed")
        return cls(
            cells=np.array(complete, dtype=np.int32),
            curves=np.array(
                [[by_cell[c][s]["curve"] for s in seeds] for c in complete], dtype=np.float32
            ),
            cpu_seconds=np.array(
                [[by_cell[c][s]["cpu_s"] for s in seeds] for c in complete], dtype=np.float32
            ),
            setting=dict(setting),
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        np.savez_compressed(
            path,
            cells=self.cells,
            curves=self.curves,
            cpu_seconds=self.cpu_seconds,
            setting=np.array(json.dumps(dict(self.setting), sort_keys=True)),
        )


@functools.lru_cache(maxsize=4)
def load_truth_set(
    dataset: str = "fashion_mnist", *, path: str | os.PathLike[str] | None = None
) -> TruthSet:
    """The truth set shipped for ``dataset`` (see :data:`TRUTH_SETS`), or one saved at
    ``path``; no network, cached per process.

    Example:
        >>> from optunas.benchmarks import load_truth_set
        >>> truth = load_truth_set("fashion_mnist")
        >>> truth.setting["channels"], truth.seeds
        (16, 2)
    """
    if path is None and dataset not in TRUTH_SETS:
        raise ValueError(f"no truth set for {dataset!r}; shipped: {', '.join(TRUTH_SETS)}")
    arrays = load_arrays(path, TRUTH_SETS.get(dataset, ""))
    return TruthSet(
        cells=arrays["cells"],
        curves=arrays["curves"],
        cpu_seconds=arrays["cpu_seconds"],
        setting=json.loads(str(arrays["setting"])),
    )
