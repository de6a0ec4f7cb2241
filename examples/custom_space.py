"""Write your own search space with plain ``trial.suggest_*`` calls.

A space needs two methods: ``suggest`` (make every architectural choice through the trial,
return a genotype) and ``build`` (turn the genotype into a ``torch.nn.Module``). Everything
else (``genotype(best_params)``, training, the CLI's storages, samplers and pruners) follows.

Run: python examples/custom_space.py
"""

from __future__ import annotations

from dataclasses import dataclass

import optuna
from torch import nn

import optunas
from optunas.spaces import SearchSpace


@dataclass(frozen=True)
class ConvNetGenotype:
    """Plain, printable, hashable data: the architecture and nothing else."""

    blocks: int
    width: int
    kernel: int
    activation: str
    dropout: float


class SmallConvNet(SearchSpace):
    name = "small-convnet"

    def suggest(self, trial: optuna.trial.BaseTrial) -> ConvNetGenotype:
        return ConvNetGenotype(
            blocks=trial.suggest_int("net/blocks", 1, 3),
            width=trial.suggest_categorical("net/width", [16, 32, 64]),
            kernel=trial.suggest_categorical("net/kernel", [3, 5, 7]),
            activation=trial.suggest_categorical("net/activation", ["relu", "gelu", "tanh"]),
            dropout=trial.suggest_float("net/dropout", 0.0, 0.5, step=0.1),
        )

    def build(self, genotype: ConvNetGenotype, input_shape, num_classes: int) -> nn.Module:
        act = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}[genotype.activation]
        layers: list[nn.Module] = []
        channels = input_shape[0]
        for _ in range(genotype.blocks):
            layers += [
                nn.Conv1d(channels, genotype.width, genotype.kernel, padding=genotype.kernel // 2),
                nn.BatchNorm1d(genotype.width),
                act(),
                nn.MaxPool1d(2),
            ]
            channels = genotype.width
        return nn.Sequential(
            *layers,
            nn.AdaptiveAvgPool1d(1),
            nn.Flatten(),
            nn.Dropout(genotype.dropout),
            nn.Linear(channels, num_classes),
        )


if __name__ == "__main__":
    space = SmallConvNet()
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=0))
    study.optimize(optunas.TrainObjective(space, "mnist1d", epochs=3), n_trials=4)
    best = space.genotype(study.best_params)  # rebuilt from params alone, no trial needed
    print(f"best: {best} validation accuracy {study.best_value:.3f}")
    print(space.build(best, input_shape=(1, 40), num_classes=10))
