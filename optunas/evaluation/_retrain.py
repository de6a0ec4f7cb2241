"""Standalone retraining of what a cheap search found, beside the estimate that found it."""

from __future__ import annotations

import os
from typing import Any

import optuna

from optunas.data import Dataset
from optunas.evaluation._supernet import STUDY_ATTR_DATASET, recorded_space
from optunas.evaluation._train import TrainObjective
from optunas.spaces import SearchSpace, get_space

#: The user attr a study of estimates gets, naming its retraining study, and the reverse.
RETRAIN_STUDY_ATTR = "retrain_study"
RETRAIN_OF_ATTR = "retrain_of"
_CLI_PREFIX = "optunas:"


def _dataset_of(study: optuna.Study) -> str:
    attrs = study.user_attrs
    return attrs.get(STUDY_ATTR_DATASET) or attrs.get(_CLI_PREFIX + "dataset") or "mnist1d"


def top_trials(study: optuna.Study, k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``k`` completed trials with the best first value, one per architecture
    (the first trial of each genotype), best first.

    Example:
        >>> import optuna
        >>> from optunas.evaluation._retrain import top_trials
        >>> study = optuna.create_study(direction="maximize")
        >>> study.optimize(lambda t: t.suggest_int("x", 0, 9), n_trials=5)
        >>> values = [t.value for t in top_trials(study, 2)]
        >>> values == sorted({t.value for t in study.trials}, reverse=True)[:2]
        True
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    maximize = study.directions[0] == optuna.study.StudyDirection.MAXIMIZE
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    done.sort(key=lambda t: (-t.values[0] if maximize else t.values[0], t.number))
    chosen: list[optuna.trial.FrozenTrial] = []
    seen: set[Any] = set()
    for trial in done:
        key = trial.user_attrs.get("genotype") or tuple(sorted(trial.params.items()))
        if key not in seen:
            seen.add(key)
            chosen.append(trial)
        if len(chosen) == k:
            break
    return chosen


def retrain_top(
    study: optuna.Study,
    k: int = 5,
    *,
    space: SearchSpace | str | None = None,
    dataset: Dataset | str | None = None,
    epochs: int = 10,
    study_name: str | None = None,
    storage: str | optuna.storages.BaseStorage | None = None,
    seed: int = 0,
    data_root: str | os.PathLike[str] | None = None,
    download: bool = False,
    **train_options: Any,
) -> optuna.Study:
    """Train the top ``k`` architectures of ``study`` standalone with
    :class:`~optunas.evaluation.TrainObjective`, in a second study, and return it.

    Each trial of the second study is one architecture of ``study`` (ranked by its first
    value, e.g. a supernet estimate) trained from scratch; its user attrs hold
    ``estimate`` (the value ``study`` gave it), ``estimate_trial`` and ``estimate_study``,
    beside TrainObjective's own, so estimate and standalone accuracy stand side by side.
    The studies name each other in their user attrs ``retrain_study`` and ``retrain_of``.
    Calling it again on the same studies trains only architectures not yet retrained.

    Args:
        study: A study whose first objective is the score to rank by.
        k: How many architectures to retrain.
        space: The search space; by default the one the study records (a
            :class:`~optunas.evaluation.SupernetObjective` or the ``optunas`` command records it).
        dataset: A dataset or its name; by default the study's, else ``"mnist1d"``.
        epochs: Training epochs of each retraining.
        study_name: Name of the second study (default: ``"<name>:retrain"``).
        storage: Storage of the second study (default: the first's).
        seed: Base seed of the training.
        data_root: Folder of torchvision datasets.
        download: Let torchvision download a missing dataset.
        train_options: Further arguments of TrainObjective (``batch_size``, ``lr``, ...).

    Example:
        >>> import optuna
        >>> from optunas.data import load_mnist1d
        >>> from optunas.evaluation import retrain_top
        >>> from optunas.spaces import NB201
        >>> space = NB201(channels=4)
        >>> study = optuna.create_study(direction="maximize", study_name="search")
        >>> study.enqueue_trial(space.params(space.genotype({f"cell/edge_{e}": "nor_conv_3x3"
        ...                                                  for e in range(6)})))
        >>> study.optimize(lambda t: (space.suggest(t), 0.5)[1], n_trials=2)
        >>> retrained = retrain_top(study, 1, space=space, dataset=load_mnist1d(num_samples=500),
        ...                         epochs=1)
        >>> trial = retrained.trials[0]
        >>> trial.user_attrs["estimate"], 0.0 <= trial.value <= 1.0, retrained.study_name
        (0.5, True, 'search:retrain')
    """
    space = space if space is not None else recorded_space(study)
    space = get_space(space) if isinstance(space, str) else space
    dataset = dataset if dataset is not None else _dataset_of(study)
    name = study_name or f"{study.study_name}:retrain"
    retrain = optuna.create_study(
        storage=storage if storage is not None else study._storage,
        study_name=name,
        direction="maximize",
        load_if_exists=True,
    )
    retrain.set_user_attr(RETRAIN_OF_ATTR, study.study_name)
    study.set_user_attr(RETRAIN_STUDY_ATTR, name)
    # Trained already, or enqueued by a run that was stopped before it trained them.
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.WAITING)
    planned = {str(space.genotype(t.params)) for t in retrain.get_trials(False, states)}
    waiting = len(retrain.get_trials(False, (optuna.trial.TrialState.WAITING,)))
    for trial in top_trials(study, k):
        genotype = str(space.genotype(trial.params))
        if genotype in planned:
            continue
        planned.add(genotype)
        retrain.enqueue_trial(
            trial.params,
            user_attrs={
                "estimate": trial.values[0],
                "estimate_trial": trial.number,
                "estimate_study": study.study_name,
                **{
                    f"estimate_{key}": trial.user_attrs[key]
                    for key in ("value_kind", "supernet_step")
                    if key in trial.user_attrs
                },
            },
        )
        waiting += 1
    if waiting:
        objective = TrainObjective(
            space,
            dataset,
            epochs=epochs,
            seed=seed,
            data_root=data_root,
            download=download,
            **train_options,
        )
        retrain.optimize(objective, n_trials=waiting)
    return retrain
