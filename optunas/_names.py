"""The names the ``optunas`` command accepts (spaces, datasets, objectives, optimisers),
readable without torch.

The packages that implement them load torch; the command checks its input and prints its
help with these names alone, so that bad input, ``--help`` and ``optunas list`` answer in a
fraction of a second.

Example:
    >>> from optunas._names import DATASETS, SPACES
    >>> "mnist1d" in DATASETS and "nb201" in SPACES
    True
"""

from __future__ import annotations

import optuna

#: The spaces the CLI knows by name; :data:`optunas.spaces.SPACES` maps each to its class.
SPACES: tuple[str, ...] = ("nb201", "chain")

#: Names accepted by :func:`optunas.data.load_dataset` and the CLI's ``--dataset``.
DATASETS: tuple[str, ...] = ("mnist1d", "mnist", "fashion_mnist", "cifar10")

#: What a study's objective can be, with the direction each wants.
OBJECTIVES: dict[str, optuna.study.StudyDirection] = {
    "accuracy": optuna.study.StudyDirection.MAXIMIZE,
    "params": optuna.study.StudyDirection.MINIMIZE,
    "flops": optuna.study.StudyDirection.MINIMIZE,
}

#: The optimisers a :class:`optunas.evaluation.Recipe` can train with.
OPTIMIZERS: tuple[str, ...] = ("adamw", "adam", "sgd")

#: NAS-Bench-201's own tables, by the name ``optunas bench samplers --table`` takes
#: (:mod:`optunas.benchmarks._nasbench201` loads them).
NASBENCH201_TABLES: tuple[str, ...] = ("nb201-cifar10", "nb201-cifar100", "nb201-imagenet16")
