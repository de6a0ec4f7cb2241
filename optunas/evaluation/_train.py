"""Standalone training: build the trial's network, train it, report, return its score."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Sequence
from typing import Any

import optuna
import torch
from torch import nn
from torch.utils.data import TensorDataset

from optunas._metrics import (
    ACCURACY_DECIMALS,
    MS_DECIMALS,
    PARAMS_ATTR,
    SECONDS_DECIMALS,
    StudyNamer,
)
from optunas._names import OBJECTIVES
from optunas._signals import interrupt_name
from optunas.data import Dataset
from optunas.evaluation._recipe import DivergedError, Recipe
from optunas.evaluation._setup import checked_objectives, resolve
from optunas.nn import count_flops, count_params
from optunas.spaces import SearchSpace

# Weight initialisation draws from torch's global generator; seeding it and building the
# network under one lock keeps each trial's initial weights reproducible with n_jobs > 1.
_INIT_LOCK = threading.Lock()


class TrainObjective:
    """An objective for ``study.optimize`` that trains each trial's architecture.

    For each trial: suggest a genotype through ``space``, build the network, train it on the
    training split for ``epochs`` epochs, and after each epoch ``trial.report`` the validation
    accuracy and obey ``trial.should_prune()``. User attrs record ``genotype`` (printable),
    ``genotype_json``, ``n_parameters`` (the parameter count; ``params`` in studies of
    optunas 0.1), ``flops`` (multiply-accumulates), ``latency_ms`` (batch of one),
    ``train_seconds`` and ``space``, rounded for reading. The return value is the final
    validation accuracy, or, in a two-objective study, ``(accuracy, params)``;
    ``objectives`` chooses others. The study's metric names are set at its first trial
    (``validation accuracy``, ``params``, ``flops``) unless it has some. Optuna takes
    ``trial.report`` in single-objective studies only, so in others the learning curve goes
    to the user attr ``accuracy_curve`` (which :class:`~optunas.dashboard.StudyCharts`
    draws).

    A trial whose loss turns NaN or infinite fails (it returns NaN, which Optuna records as
    FAIL) with the reason in the user attr ``fail_reason``; the study goes on.

    The recipe: AdamW (lr 0.01, weight decay 5e-4) with a one-cycle schedule, batches of 128,
    cross-entropy. Each trial is seeded with ``seed + trial.number``; CUDA is used when
    present.

    Args:
        space: A :class:`~optunas.spaces.SearchSpace` or the name of one (``"nb201"``, ``"chain"``).
        dataset: A :class:`~optunas.data.Dataset` or a name for :func:`~optunas.data.load_dataset`.
        epochs: Training epochs per trial.
        batch_size: Minibatch size.
        optimizer: ``"adamw"``, ``"adam"`` or ``"sgd"`` (momentum 0.9, Nesterov).
        lr: Peak learning rate.
        weight_decay: Weight decay.
        schedule: ``"onecycle"``, ``"cosine"`` or ``"constant"``.
        objectives: Names from ``"accuracy"``, ``"params"``, ``"flops"``, one per study
            direction; by default ``accuracy`` for one direction, ``accuracy, params`` for two.
        seed: Base seed for data splits and training.
        device: A torch device; by default CUDA when available, else CPU.
        data_root: Folder of torchvision datasets.
        download: Let torchvision download a missing dataset.
        draw: Record a drawing of each trial's architecture (``space.draw``) as an artifact
            shown in the trial's note in optuna-dashboard (user attr ``draw_ms``: its cost).
        artifact_store: Where drawings go: any Optuna artifact store, or a folder; by
            default a folder beside the study's SQLite or journal file (``optunas.db`` ->
            ``optunas-artifacts``), and nowhere for a database server.

    Example:
        >>> import optuna
        >>> from optunas import TrainObjective
        >>> from optunas.spaces import NB201
        >>> objective = TrainObjective(NB201(channels=4), "mnist1d", epochs=1)
        >>> study = optuna.create_study(direction="maximize")
        >>> study.optimize(objective, n_trials=1)
        >>> 0.0 <= study.best_value <= 1.0
        True
    """

    def __init__(
        self,
        space: SearchSpace | str,
        dataset: Dataset | str = "mnist1d",
        *,
        epochs: int = 10,
        batch_size: int = 128,
        optimizer: str = "adamw",
        lr: float = 0.01,
        weight_decay: float = 5e-4,
        schedule: str = "onecycle",
        objectives: Sequence[str] | None = None,
        seed: int = 0,
        device: str | torch.device | None = None,
        data_root: str | os.PathLike[str] | None = None,
        download: bool = False,
        draw: bool = True,
        artifact_store: Any = None,
    ) -> None:
        self.draw = draw
        self.artifact_store = artifact_store
        self.recipe = Recipe(epochs, batch_size, optimizer, lr, weight_decay, schedule)
        self.objectives = checked_objectives(objectives)
        self.space, self.dataset, self.device = resolve(
            space, dataset, seed, device, data_root, download
        )
        self.seed = seed
        self._name_metrics = StudyNamer()
        self._train = _to_device(self.dataset.train, self.device)
        self._valid = _to_device(self.dataset.valid, self.device)

    def __call__(self, trial: optuna.trial.BaseTrial) -> float | tuple[float, ...]:
        objectives = resolve_objectives(trial, self.objectives)
        self._name_metrics(trial, objectives)
        genotype = self.space.suggest(trial)
        seed = self.seed + getattr(trial, "number", 0)
        with _INIT_LOCK:
            torch.manual_seed(seed)
            model = self.space.build(genotype, self.dataset.input_shape, self.dataset.num_classes)
        model.to(self.device)
        # FLOPs first: its forward pass also materialises lazy modules (nn.LazyLinear), whose
        # parameters cannot be counted before.
        flops = count_flops(model, self.dataset.input_shape)
        costs = {"params": count_params(model), "flops": flops}
        trial.set_user_attr("space", repr(self.space))
        trial.set_user_attr("genotype", str(genotype))
        if hasattr(genotype, "to_json"):
            trial.set_user_attr("genotype_json", genotype.to_json())
        record_costs(trial, costs, _latency_ms(model, self.dataset.input_shape, self.device))
        if self.draw:
            from optunas.dashboard import draw_trial

            draw_trial(trial, self.space, genotype, self.artifact_store)

        accuracy, failure = self._train_and_report(trial, model, seed, len(objectives) == 1)
        if failure is not None:
            trial.set_user_attr("fail_reason", failure)
            values = tuple(math.nan for _ in objectives)
            return values if len(values) > 1 else values[0]
        scores = {"accuracy": accuracy, **costs}
        values = tuple(float(scores[name]) for name in objectives)
        return values if len(values) > 1 else values[0]

    def _train_and_report(
        self, trial: optuna.trial.BaseTrial, model: nn.Module, seed: int, can_report: bool
    ) -> tuple[float, str | None]:
        """Train, reporting each epoch; returns (final validation accuracy, failure or None).

        Optuna accepts intermediate values only in single-objective studies; in others the
        curve goes to the user attr ``accuracy_curve`` instead.
        """
        curve: list[float] = []

        def on_epoch(epoch: int, accuracy: float) -> None:
            curve.append(round(accuracy, ACCURACY_DECIMALS))
            if not can_report:
                trial.set_user_attr("accuracy_curve", curve)
                return
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned at epoch {epoch} (accuracy {accuracy:.4f})")

        started = time.perf_counter()
        try:
            return self.recipe.train(model, self._train, self._valid, seed, on_epoch), None
        except DivergedError as exc:
            return (curve[-1] if curve else 0.0), str(exc)
        except KeyboardInterrupt as exc:
            # Optuna closes the trial as FAIL and re-raises; leave the reason beside it.
            trial.set_user_attr(
                "fail_reason", f"interrupted ({interrupt_name(exc)}) in epoch {len(curve)}"
            )
            raise
        finally:
            trial.set_user_attr(
                "train_seconds", round(time.perf_counter() - started, SECONDS_DECIMALS)
            )

    def __repr__(self) -> str:
        return f"TrainObjective({self.space!r}, {self.dataset.name!r}, {self.recipe!r})"


def resolve_objectives(
    trial: optuna.trial.BaseTrial, configured: Sequence[str] | None
) -> tuple[str, ...]:
    """The objective names for ``trial``'s study: ``configured`` if given, else
    ``accuracy`` for one direction and ``accuracy, params`` for two; each must agree with
    its direction."""
    study = getattr(trial, "study", None)
    directions = study.directions if study is not None else None
    if configured:
        names = tuple(configured)
    elif directions is None or len(directions) == 1:
        names = ("accuracy",)
    elif len(directions) == 2:
        names = ("accuracy", "params")
    else:
        raise ValueError(
            f"the study has {len(directions)} directions; pass objectives= naming one each"
        )
    if directions is not None:
        if len(directions) != len(names):
            raise ValueError(
                f"objectives {names} do not match the study's {len(directions)} direction(s)"
            )
        for name, direction in zip(names, directions):
            if direction != OBJECTIVES[name]:
                raise ValueError(
                    f"objective {name!r} must be {OBJECTIVES[name].name.lower()}d, but the "
                    f"study's direction is {direction.name.lower()}"
                )
    return names


def record_costs(trial: optuna.trial.BaseTrial, costs: dict[str, int], latency_ms: float) -> None:
    """The network's costs as user attrs: ``n_parameters``, ``flops`` and ``latency_ms``."""
    trial.set_user_attr(PARAMS_ATTR, costs["params"])
    trial.set_user_attr("flops", costs["flops"])
    trial.set_user_attr("latency_ms", round(latency_ms, MS_DECIMALS))


def _latency_ms(
    model: nn.Module, input_shape: Sequence[int], device: torch.device, runs: int = 5
) -> float:
    example = torch.zeros(1, *input_shape, device=device)
    model.eval()
    with torch.no_grad():
        model(example)  # warm-up
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        started = time.perf_counter()
        for _ in range(runs):
            model(example)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
    return (time.perf_counter() - started) * 1000 / runs


def _to_device(data: TensorDataset, device: torch.device) -> TensorDataset:
    return TensorDataset(*(t.to(device) for t in data.tensors))
