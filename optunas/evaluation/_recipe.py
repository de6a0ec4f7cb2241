"""The training recipe: optimiser, schedule and loop, shared by every evaluator."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from optunas._names import OPTIMIZERS
from optunas._signals import raise_if_stopped

SCHEDULES = ("onecycle", "cosine", "constant")


class DivergedError(ArithmeticError):
    """The training loss became NaN or infinite."""


@dataclass(frozen=True)
class Recipe:
    """How a network is trained: ``epochs`` passes over the training split in shuffled
    minibatches, cross-entropy, an optimiser and a learning-rate schedule stepped per batch.

    Example:
        >>> import torch
        >>> from optunas.data import load_mnist1d
        >>> from optunas.evaluation import Recipe
        >>> from optunas.nn import NB201Network
        >>> data = load_mnist1d(num_samples=500)
        >>> net = NB201Network(["nor_conv_3x3"] * 6, 1, 10, dims=1, channels=4, cells_per_stage=1)
        >>> curve = []
        >>> final = Recipe(epochs=2).train(net, data.train, data.valid, seed=0,
        ...                                on_epoch=lambda epoch, acc: curve.append(acc))
        >>> len(curve), final == curve[-1]
        (2, True)
    """

    epochs: int = 10
    batch_size: int = 128
    optimizer: str = "adamw"
    lr: float = 0.01
    weight_decay: float = 5e-4
    schedule: str = "onecycle"

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr}")
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)

    def train(
        self,
        model: nn.Module,
        train: TensorDataset,
        valid: TensorDataset,
        seed: int,
        on_epoch: Callable[[int, float], None] | None = None,
    ) -> float:
        """Train ``model`` in place (data on the model's device); after each epoch call
        ``on_epoch(epoch, validation_accuracy)``, which may raise to stop. Returns the final
        validation accuracy.

        Raises:
            DivergedError: the loss became NaN or infinite.
        """
        x, y = train.tensors
        steps_per_epoch = math.ceil(len(y) / self.batch_size)
        opt = self._optimizer(model)
        sched = self._schedule(opt, self.epochs * steps_per_epoch)
        generator = torch.Generator().manual_seed(seed)
        accuracy = 0.0
        for epoch in range(self.epochs):
            model.train()
            order = torch.randperm(len(y), generator=generator).to(y.device)
            for step in range(steps_per_epoch):
                # A stop that landed where it could not propagate (a finaliser, a library that
                # swallows it) ends the training here instead of after every epoch.
                raise_if_stopped()
                batch = order[step * self.batch_size : (step + 1) * self.batch_size]
                loss = F.cross_entropy(model(x[batch]), y[batch])
                if not torch.isfinite(loss):
                    raise DivergedError(f"loss became {loss.item()} at epoch {epoch} step {step}")
                opt.zero_grad(set_to_none=True)
                loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
                opt.step()
                sched.step()
            accuracy = evaluate_accuracy(model, valid)
            if on_epoch is not None:
                on_epoch(epoch, accuracy)
        return accuracy

    def _optimizer(self, model: nn.Module) -> torch.optim.Optimizer:
        params = model.parameters()
        if self.optimizer == "sgd":
            return torch.optim.SGD(
                params, lr=self.lr, momentum=0.9, nesterov=True, weight_decay=self.weight_decay
            )
        cls = torch.optim.AdamW if self.optimizer == "adamw" else torch.optim.Adam
        return cls(params, lr=self.lr, weight_decay=self.weight_decay)

    def _schedule(
        self, opt: torch.optim.Optimizer, total_steps: int
    ) -> torch.optim.lr_scheduler.LRScheduler:
        if self.schedule == "onecycle":
            return torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=total_steps)
        if self.schedule == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total_steps)
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)


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


def check_choice(label: str, value: Any, valid: Sequence[str]) -> None:
    if value not in valid:
        raise ValueError(f"unknown {label} {value!r}; choose from {', '.join(valid)}")


@torch.no_grad()
def _accuracy_and_loss(
    net: torch.nn.Module, data: Any, batch_size: int = 1024
) -> tuple[float, float]:
    """Top-1 accuracy and mean cross-entropy of ``net`` (in eval mode) on ``data``."""
    x, y = data.tensors
    net.eval()
    correct, total = 0, 0.0
    for start in range(0, len(y), batch_size):
        logits = net(x[start : start + batch_size])
        target = y[start : start + batch_size]
        correct += int((logits.argmax(dim=1) == target).sum())
        total += float(F.cross_entropy(logits, target, reduction="sum"))
    return correct / max(1, len(y)), total / max(1, len(y))
