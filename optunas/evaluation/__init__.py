"""Evaluators: turn a trial's architecture into a score."""

from optunas.evaluation._train import OBJECTIVES, OPTIMIZERS, SCHEDULES, TrainObjective, evaluate_accuracy

__all__ = ["OBJECTIVES", "OPTIMIZERS", "SCHEDULES", "TrainObjective", "evaluate_accuracy"]
