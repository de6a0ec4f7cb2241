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
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from optunas.data import Dataset, load_dataset
from optunas.nn import count_flops, count_params
from optunas.spaces import SearchSpace, get_space

OPTIMIZERS = ("adamw", "adam", "sgd")
SCHEDULES = ("onecycle", "cosine", "constant")
#: What a study's objective can be, with the direction each wants.
OBJECTIVES: dict[str, optuna.study.StudyDirection] = {
    "accuracy": optuna.study.StudyDirection.MAXIMIZE,
    "params": optuna.study.StudyDirection.MINIMIZE,
    "flops": optuna.study.StudyDirection.MINIMIZE,
}

# Weight initialisation draws from torch's global generator; seeding it and building the
# network under one lock keeps each trial's initial weights reproducible with n_jobs > 1.
_INIT_LOCK = threading.Lock()


class TrainObjective:
    """An objective for ``study.optimize`` that trains each trial's architecture.

    For each trial: suggest a genotype through ``space``, build the network, train it on the
    training split for ``epochs`` epochs, and after each epoch ``trial.report`` the validation
    accuracy and obey ``trial.should_prune()``. User attrs record ``genotype`` (printable),
    ``genotype_json``, ``params``, ``flops`` (multiply-accumulates), ``latency_ms`` (batch of
    one), ``train_seconds`` and ``space``. The return value is the final validation accuracy,
    or, in a two-objective study, ``(accuracy, params)``; ``objectives`` chooses others.

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
    ) -> None:
        if epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {epochs}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr}")
        _check_choice("optimizer", optimizer, OPTIMIZERS)
        _check_choice("schedule", schedule, SCHEDULES)
        for name in objectives or ():
            _check_choice("objective", name, tuple(OBJECTIVES))
        self.space = get_space(space) if isinstance(space, str) else space
        self.dataset = (
            load_dataset(dataset, root=data_root, download=download, seed=seed)
            if isinstance(dataset, str)
            else dataset
        )
        self.epochs = epochs
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.objectives = tuple(objectives) if objectives else None
        self.seed = seed
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self._train = _to_device(self.dataset.train, self.device)
        self._valid = _to_device(self.dataset.valid, self.device)

    def __call__(self, trial: optuna.trial.BaseTrial) -> float | tuple[float, ...]:
        objectives = self._objectives_for(trial)
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
        for key, value in costs.items():
            trial.set_user_attr(key, value)
        trial.set_user_attr("latency_ms", _latency_ms(model, self.dataset.input_shape, self.device))

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
        x, y = self._train.tensors
        steps_per_epoch = math.ceil(len(y) / self.batch_size)
        opt = self._make_optimizer(model)
        sched = self._make_schedule(opt, self.epochs * steps_per_epoch)
        generator = torch.Generator().manual_seed(seed)
        started = time.perf_counter()
        accuracy = 0.0
        epoch = 0
        curve: list[float] = []
        try:
            for epoch in range(self.epochs):
                model.train()
                order = torch.randperm(len(y), generator=generator).to(self.device)
                for step in range(steps_per_epoch):
                    batch = order[step * self.batch_size : (step + 1) * self.batch_size]
                    loss = F.cross_entropy(model(x[batch]), y[batch])
                    if not torch.isfinite(loss):
                        return accuracy, f"loss became {loss.item()} at epoch {epoch} step {step}"
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()
                    sched.step()
                accuracy = evaluate_accuracy(model, self._valid)
                if not can_report:
                    curve.append(accuracy)
                    trial.set_user_attr("accuracy_curve", curve)
                    continue
                trial.report(accuracy, epoch)
                if trial.should_prune():
                    raise optuna.TrialPruned(f"pruned at epoch {epoch} (accuracy {accuracy:.4f})")
        except KeyboardInterrupt:
            # Optuna closes the trial as FAIL and re-raises; leave the reason beside it.
            trial.set_user_attr("fail_reason", f"interrupted (KeyboardInterrupt) in epoch {epoch}")
            raise
        finally:
            trial.set_user_attr("train_seconds", time.perf_counter() - started)
        return accuracy, None

    def _objectives_for(self, trial: optuna.trial.BaseTrial) -> tuple[str, ...]:
        study = getattr(trial, "study", None)
        directions = study.directions if study is not None else None
        if self.objectives is not None:
            names = self.objectives
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

    def _make_optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        params = model.parameters()
        if self.optimizer == "sgd":
            return torch.optim.SGD(
                params, lr=self.lr, momentum=0.9, nesterov=True, weight_decay=self.weight_decay
            )
        cls = torch.optim.AdamW if self.optimizer == "adamw" else torch.optim.Adam
        return cls(params, lr=self.lr, weight_decay=self.weight_decay)

    def _make_schedule(
        self, opt: torch.optim.Optimizer, total_steps: int
    ) -> torch.optim.lr_scheduler.LRScheduler:
        if self.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=total_steps)
        if self.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)

    def __repr__(self) -> str:
        return (
            f"TrainObjective({self.space!r}, {self.dataset.name!r}, epochs={self.epochs}, "
            f"batch_size={self.batch_size}, optimizer={self.optimizer!r}, lr={self.lr})"
        )


def evaluate_accuracy(model: nn.Module, data: TensorDataset, batch_size: int = 1024) -> float:
    """Top-1 accuracy of ``model`` on ``data`` (kept on the model's device)."""
    x, y = data.tensors
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(y), batch_size):
            logits = model(x[start : start + batch_size])
            correct += int((logits.argmax(dim=1) == y[start : start + batch_size]).sum())
    return correct / max(1, len(y))


def _latency_ms(model: nn.Module, input_shape: Sequence[int], device: torch.device, runs: int = 5) -> float:
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


def _check_choice(label: str, value: Any, valid: Sequence[str]) -> None:
    if value not in valid:
        raise ValueError(f"unknown {label} {value!r}; choose from {', '.join(valid)}")
