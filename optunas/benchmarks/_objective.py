"""An objective that looks architectures up in the table instead of training them."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import optuna

from optunas._metrics import ACCURACY_DECIMALS, StudyNamer
from optunas.benchmarks._table import NB201Table, load_nb201_table
from optunas.evaluation import PARAMS_ATTR, resolve_objectives
from optunas.spaces import NB201


class TabularObjective:
    """Suggest an NB201 cell, look it up, and replay its stored training.

    Single-objective studies: the stored learning curve is reported epoch by epoch as
    intermediate values and ``trial.should_prune()`` is obeyed after each, so pruners see
    what they would see in real training; in other studies the curve goes to the user attr
    ``accuracy_curve``, as :class:`~optunas.TrainObjective` does. User attrs record
    ``genotype`` and ``n_parameters``; the simulated training time actually consumed (a
    pruned trial pays only for its epochs) goes to the user attr ``simulated_seconds``, the
    epochs to ``epochs``. Returns the final validation accuracy, or, in a two-objective
    study, ``(accuracy, params)``. The test accuracy is never shown to the study.

    Because it reports intermediate values, the study's pruner acts on it, and a study
    created without one gets Optuna's MedianPruner, which stops most of the table's curves
    after a few epochs (182-195 of 200 trials) and leaves a search to compare final values of
    pruned trials. Create the study with ``pruner=optuna.pruners.NopPruner()`` to see every
    curve to its end, or with the pruner you mean to study. The objective warns once (per
    instance) when it meets a MedianPruner with every one of Optuna's default settings:
    that is the pruner a study gets by default, and an explicit ``MedianPruner()`` cannot
    be told apart from it; a MedianPruner with any setting changed is taken as chosen.

    Args:
        table: The table; by default the one shipped with optunas.
        objectives: As for :class:`~optunas.TrainObjective`.

    Example:
        >>> import optuna
        >>> from optunas.benchmarks import TabularObjective
        >>> study = optuna.create_study(direction="maximize", pruner=optuna.pruners.NopPruner(),
        ...                             sampler=optuna.samplers.RandomSampler(seed=0))
        >>> study.optimize(TabularObjective(), n_trials=20)
        >>> study.best_trial.user_attrs["epochs"]
        10
    """

    def __init__(
        self, table: NB201Table | None = None, objectives: Sequence[str] | None = None
    ) -> None:
        self.table = table if table is not None else load_nb201_table()
        self.objectives = tuple(objectives) if objectives else None
        self.space = NB201()
        self._warned = False
        self._name_metrics = StudyNamer()

    def __call__(self, trial: optuna.trial.BaseTrial) -> float | tuple[float, ...]:
        objectives = resolve_objectives(trial, self.objectives)
        self._name_metrics(trial, objectives)
        genotype = self.space.suggest(trial)
        i = self.table.index(genotype)
        trial.set_user_attr("genotype", str(genotype))
        trial.set_user_attr(PARAMS_ATTR, int(self.table.params[i]))
        curve = self.table.curves[i]
        per_epoch = float(self.table.seconds[i]) / len(curve)
        epochs = len(curve)
        if len(objectives) == 1:
            self._warn_on_default_pruner(trial)
            for epoch, value in enumerate(curve):
                trial.report(float(value), epoch)
                if trial.should_prune():
                    _record(trial, epoch + 1, per_epoch)
                    raise optuna.TrialPruned(f"pruned after epoch {epoch}")
        else:
            trial.set_user_attr(
                "accuracy_curve", [round(float(v), ACCURACY_DECIMALS) for v in curve]
            )
        _record(trial, epochs, per_epoch)
        scores = {
            "accuracy": float(curve[-1]),
            "params": float(self.table.params[i]),
            "flops": float(self.table.flops[i]),
        }
        values = tuple(scores[name] for name in objectives)
        return values if len(values) > 1 else values[0]

    def _warn_on_default_pruner(self, trial: optuna.trial.BaseTrial) -> None:
        study = getattr(trial, "study", None)  # a FixedTrial has none
        if self._warned or study is None or not _is_default_median(study.pruner):
            return
        self._warned = True
        warnings.warn(
            "TabularObjective runs under Optuna's default MedianPruner, which stops most of the "
            "table's curves after a few epochs; pass pruner=optuna.pruners.NopPruner() to "
            "create_study to see every curve to its end, or the pruner you mean to use.",
            stacklevel=3,
        )


def _is_default_median(pruner: optuna.pruners.BasePruner) -> bool:
    """A MedianPruner with all of Optuna's default settings (what a study gets by default)."""
    return type(pruner) is optuna.pruners.MedianPruner and vars(pruner) == vars(
        optuna.pruners.MedianPruner()
    )


def _record(trial: optuna.trial.BaseTrial, epochs: int, per_epoch: float) -> None:
    trial.set_user_attr("epochs", epochs)
    trial.set_user_attr("simulated_seconds", epochs * per_epoch)
