"""The REINFORCE controller on a toy architecture space: a stack of one to four layers, each
with its own operation, scored so that more convolutions and a wider stem are better."""

from __future__ import annotations

import optuna
import optunahub


ReinforceSampler = optunahub.load_module("samplers/reinforce").ReinforceSampler
optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    n_layers = trial.suggest_int("n_layers", 1, 4)
    ops = [
        trial.suggest_categorical(f"op_{i}", ["conv3x3", "conv1x1", "pool", "skip"])
        for i in range(n_layers)
    ]
    width = trial.suggest_categorical("width", [16, 32, 64])
    return ops.count("conv3x3") + 0.5 * ops.count("conv1x1") + width / 64


study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=0))
study.optimize(objective, n_trials=60)
print(study.best_value, study.best_params)
