"""optunas: neural architecture search native to Optuna and PyTorch.

A search space suggests every architectural choice through ``trial.suggest_*``; a
:class:`TrainObjective` builds and trains the resulting network; any Optuna sampler, pruner
and storage drives the search.

Example:
    >>> import optunas
    >>> optunas.NB201().name
    'nb201'
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Imported on first use, so that `import optunas.samplers`, `import optunas.pruners` and the
# command's Optuna sub-commands stand on Optuna alone and do not pay for loading torch.
_LAZY = {
    "data": "optunas.data",
    "nn": "optunas.nn",
    "spaces": "optunas.spaces",
    "TrainObjective": "optunas.evaluation",
    "Chain": "optunas.spaces",
    "NB201": "optunas.spaces",
    "SearchSpace": "optunas.spaces",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'optunas' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = module if module.__name__ == f"optunas.{name}" else getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = ["Chain", "NB201", "SearchSpace", "TrainObjective", "__version__", "data", "nn", "spaces"]
