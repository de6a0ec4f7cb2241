"""Standalone retraining of what a cheap search found, beside the estimate that found it."""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Any

import optuna
import torch
from torch import nn

from optunas._compat import storage_of
from optunas._recorded import command_settings
from optunas.data import Dataset, load_dataset
from optunas.evaluation._recipe import Recipe, evaluate_accuracy
from optunas.evaluation._supernet import STUDY_ATTR_DATASET
from optunas.evaluation._train import _INIT_LOCK, TrainObjective, _to_device
from optunas.spaces import SearchSpace, get_space
from optunas.spaces._registry import recorded_space

#: The user attr a study of estimates gets, naming its retraining study, and the reverse.
RETRAIN_STUDY_ATTR = "retrain_study"
RETRAIN_OF_ATTR = "retrain_of"


def _dataset_of(study: optuna.Study) -> str:
    return (
        study.user_attrs.get(STUDY_ATTR_DATASET)
        or command_settings(study).get("dataset")
        or "mnist1d"
    )


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
        storage=storage if storage is not None else storage_of(study),
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


def train_standalone(
    space: SearchSpace,
    genotype: Any,
    dataset: Dataset | str = "mnist1d",
    *,
    seed: int = 0,
    device: str | torch.device | None = None,
    data_root: str | os.PathLike[str] | None = None,
    download: bool = False,
    **recipe: Any,
) -> tuple[nn.Module, dict[str, Any]]:
    """Train ``genotype``'s network from scratch as :class:`~optunas.evaluation.TrainObjective`
    trains a trial, and score it on the validation split and, only here, the test split.

    Initial weights and batch order come from ``seed`` as TrainObjective's do from ``seed +
    trial.number``: with that seed and the trial's recipe the run repeats the trial's.

    Args:
        space: The search space that builds the network.
        genotype: The architecture, e.g. ``space.genotype(trial.params)``.
        dataset: A dataset, or its name to load it with the splits of TrainObjective's
            default base seed (0).
        seed: Seed of the initial weights and of the batch order.
        device: A torch device; by default CUDA when available, else CPU.
        data_root: Folder of torchvision datasets.
        download: Let torchvision download a missing dataset.
        recipe: :class:`~optunas.evaluation.Recipe` fields (``epochs``, ``batch_size``,
            ``optimizer``, ``lr``, ``weight_decay``, ``schedule``).

    Returns:
        The trained network (in eval mode, on ``device``) and its metrics:
        ``validation_accuracy``, ``test_accuracy``, ``train_seconds``, ``recipe``.

    Example:
        >>> from optunas.data import load_mnist1d
        >>> from optunas.evaluation import train_standalone
        >>> from optunas.spaces import NB201, NB201Genotype
        >>> model, metrics = train_standalone(NB201(channels=4), NB201Genotype(("nor_conv_3x3",) * 6),
        ...                                   load_mnist1d(num_samples=500), epochs=1)
        >>> sorted(metrics)
        ['recipe', 'test_accuracy', 'train_seconds', 'validation_accuracy']
    """
    plan = Recipe(**recipe)
    data = (
        load_dataset(dataset, root=data_root, download=download)
        if isinstance(dataset, str)
        else dataset
    )
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    with _INIT_LOCK:
        torch.manual_seed(seed)
        model = space.build(genotype, data.input_shape, data.num_classes)
    model.to(device)
    started = time.perf_counter()
    valid = _to_device(data.valid, device)
    accuracy = plan.train(model, _to_device(data.train, device), valid, seed)
    seconds = time.perf_counter() - started
    return model.eval(), {
        "validation_accuracy": accuracy,
        "test_accuracy": evaluate_accuracy(model, _to_device(data.test, device)),
        "train_seconds": round(seconds, 3),
        "recipe": dataclasses.asdict(plan),
    }
