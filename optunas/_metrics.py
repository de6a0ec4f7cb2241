"""What the evaluators record under which name, so that optuna-dashboard reads them right:
the study's metric names, the parameter count, and figures rounded for reading."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import optuna

from optunas._compat import study_key

#: The user attr of a network's parameter count. Not ``params``: optuna-dashboard shows a
#: trial's user attrs beside its "Params" (the choices), where a second "params" misleads.
PARAMS_ATTR = "n_parameters"
#: The name studies recorded before; still read (:func:`n_parameters`).
LEGACY_PARAMS_ATTR = "params"
#: What each objective is called in the dashboard ("Objective 0" otherwise).
METRIC_NAMES: dict[str, str] = {
    "accuracy": "validation accuracy",
    "params": "params",
    "flops": "flops",
}
#: Decimals kept in user attrs: enough to compare, few enough to read at a glance.
ACCURACY_DECIMALS = 4
MS_DECIMALS = 2
SECONDS_DECIMALS = 3


def n_parameters(trial: optuna.trial.FrozenTrial, default: Any = None) -> Any:
    """The parameter count ``trial`` recorded, under today's name or the one older studies
    used (``params``); ``default`` when it recorded none.

    Example:
        >>> import optuna
        >>> from optunas.evaluation import n_parameters
        >>> old = optuna.trial.create_trial(value=0.9, user_attrs={"params": 1200})
        >>> new = optuna.trial.create_trial(value=0.9, user_attrs={"n_parameters": 800})
        >>> n_parameters(old), n_parameters(new), n_parameters(optuna.trial.create_trial(value=1))
        (1200, 800, None)
    """
    attrs = trial.user_attrs
    if PARAMS_ATTR in attrs:
        return attrs[PARAMS_ATTR]
    return attrs.get(LEGACY_PARAMS_ATTR, default)


def name_metrics(study: optuna.Study, objectives: Sequence[str]) -> None:
    """Give ``study``'s objectives their names (``study.set_metric_names``), so that the
    dashboard and ``trials_dataframe`` say "validation accuracy" and not "Objective 0".
    Names a user set already are kept.

    Example:
        >>> import optuna
        >>> from optunas.evaluation import name_metrics
        >>> study = optuna.create_study(directions=["maximize", "minimize"])
        >>> name_metrics(study, ["accuracy", "params"])
        >>> study.metric_names
        ['validation accuracy', 'params']
    """
    if len(objectives) != len(study.directions) or study.metric_names is not None:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study.set_metric_names([METRIC_NAMES.get(name, name) for name in objectives])


class StudyNamer:
    """Names the metrics of each study an objective meets, once per study and process (a
    storage read and write at the first trial, nothing after)."""

    def __init__(self) -> None:
        self._named: set[tuple[int, int]] = set()

    def __call__(self, trial: optuna.trial.BaseTrial, objectives: Sequence[str]) -> None:
        study = getattr(trial, "study", None)  # a FixedTrial has none
        if study is None:
            return
        key = study_key(study)
        if key not in self._named:
            name_metrics(study, objectives)
            self._named.add(key)
