"""Drop an optunas search space into an Optuna objective you already have.

The space only suggests and builds; the training loop, the data and the metric stay yours.
Any Optuna sampler and pruner work unchanged.

Run: python examples/own_training_loop.py
"""

from __future__ import annotations

import optuna
import torch
import torch.nn.functional as F

from optunas.data import load_mnist1d
from optunas.spaces import Chain

data = load_mnist1d()
space = Chain(max_layers=4)


def objective(trial: optuna.Trial) -> float:
    genotype = space.suggest(trial)  # every architectural choice is a trial.suggest_* call
    lr = trial.suggest_float("lr", 1e-3, 3e-2, log=True)  # your own hyperparameters beside it
    model = space.build(genotype, data.input_shape, data.num_classes)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = data.train.tensors
    vx, vy = data.valid.tensors
    for epoch in range(3):
        model.train()
        for batch in torch.randperm(len(y)).split(128):
            opt.zero_grad()
            F.cross_entropy(model(x[batch]), y[batch]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            accuracy = (model(vx).argmax(1) == vy).float().mean().item()
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


if __name__ == "__main__":
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=0),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
    )
    study.optimize(objective, n_trials=4)
    print("best architecture:", space.genotype(study.best_params))
    print("best lr:", study.best_params["lr"], "accuracy:", round(study.best_value, 3))
