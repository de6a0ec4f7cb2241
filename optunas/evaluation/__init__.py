"""Evaluators: turn a trial's architecture into a score."""

from optunas._metrics import (
    METRIC_NAMES,
    PARAMS_ATTR,
    n_parameters,
    name_metrics,
)
from optunas._names import OBJECTIVES, OPTIMIZERS
from optunas.evaluation._checkpoint import CheckpointMismatchError, load_checkpoint, save_checkpoint
from optunas.evaluation._darts import DARTS_GUARDS, DARTS_ORDERS, DartsSearch
from optunas.evaluation._darts_steps import DARTS_DERIVES, DartsResult
from optunas.evaluation._proxies import synflow
from optunas.evaluation._recipe import (
    SCHEDULES,
    DivergedError,
    Recipe,
    evaluate_accuracy,
)
from optunas.evaluation._retrain import retrain_top, train_standalone
from optunas.evaluation._supernet import SUPERNET_MODES, SUPERNET_SAMPLINGS, SupernetObjective
from optunas.evaluation._train import TrainObjective, resolve_objectives

__all__ = [
    "DARTS_DERIVES",
    "DARTS_GUARDS",
    "DARTS_ORDERS",
    "DartsResult",
    "DartsSearch",
    "CheckpointMismatchError",
    "DivergedError",
    "METRIC_NAMES",
    "OBJECTIVES",
    "OPTIMIZERS",
    "PARAMS_ATTR",
    "Recipe",
    "SCHEDULES",
    "SUPERNET_MODES",
    "SUPERNET_SAMPLINGS",
    "SupernetObjective",
    "TrainObjective",
    "evaluate_accuracy",
    "load_checkpoint",
    "n_parameters",
    "name_metrics",
    "resolve_objectives",
    "retrain_top",
    "save_checkpoint",
    "synflow",
    "train_standalone",
]
