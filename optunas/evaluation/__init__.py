"""Evaluators: turn a trial's architecture into a score."""

from optunas.evaluation._recipe import (
    OPTIMIZERS,
    SCHEDULES,
    DivergedError,
    Recipe,
    evaluate_accuracy,
)
from optunas.evaluation._train import OBJECTIVES, TrainObjective, resolve_objectives

__all__ = [
    "DivergedError",
    "OBJECTIVES",
    "OPTIMIZERS",
    "Recipe",
    "SCHEDULES",
    "TrainObjective",
    "evaluate_accuracy",
    "resolve_objectives",
]
