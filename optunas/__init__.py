"""optunas: neural architecture search native to Optuna and PyTorch.

A search space suggests every architectural choice through ``trial.suggest_*``; a
:class:`TrainObjective` builds and trains the resulting network; any Optuna sampler, pruner
and storage drives the search.
"""

from optunas import data, nn, spaces
from optunas.evaluation import TrainObjective
from optunas.spaces import NB201, Chain, SearchSpace

__version__ = "0.1.0"

__all__ = ["Chain", "NB201", "SearchSpace", "TrainObjective", "__version__", "data", "nn", "spaces"]
