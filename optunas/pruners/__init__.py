"""Pruners for architecture search, and the names the CLI knows them by.

Everything here stands on Optuna alone, so it works on any objective, not only optunas's.
"""

from __future__ import annotations

from collections.abc import Callable

import optuna

from optunas.pruners._learning_curve import LearningCurvePruner
from optunas.pruners._predictor import PredictorPruner

#: Pruner factories by CLI name.
PRUNERS: dict[str, Callable[[], optuna.pruners.BasePruner]] = {
    "none": optuna.pruners.NopPruner,
    # Let the first epochs pass: one-cycle schedules make early accuracies noisy.
    "median": lambda: optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2),
    "sha": optuna.pruners.SuccessiveHalvingPruner,
    "hyperband": optuna.pruners.HyperbandPruner,
    "curve": LearningCurvePruner,
    "predictor": PredictorPruner,
}


def get_pruner(name: str) -> optuna.pruners.BasePruner:
    """A pruner by name.

    Example:
        >>> from optunas.pruners import get_pruner
        >>> type(get_pruner("median")).__name__
        'MedianPruner'
    """
    try:
        factory = PRUNERS[name]
    except KeyError:
        raise ValueError(f"unknown pruner {name!r}; choose from {', '.join(PRUNERS)}") from None
    return factory()


__all__ = ["PRUNERS", "LearningCurvePruner", "PredictorPruner", "get_pruner"]
