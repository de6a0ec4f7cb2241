"""Tune DARTS's own settings with an outer Optuna study.

Each trial of the study is one DARTS search: the trial suggests the alphas' learning rate
and the strength of DARTS-'s auxiliary skip, the search reports its derived cell's
validation accuracy epoch by epoch (so the study's pruner can stop a hopeless setting), and
the cell it derives becomes the trial's ``cell/edge_*`` params beside the settings. The
sizes are tiny so that it runs in seconds; for a real search use ``NB201()`` (16 channels),
the whole dataset and 50 epochs or more.

Run: python examples/darts_tuned_by_optuna.py
"""

from __future__ import annotations

import optuna
import torch

from optunas.data import load_mnist1d
from optunas.evaluation import DartsSearch
from optunas.spaces import NB201

optuna.logging.set_verbosity(optuna.logging.WARNING)
torch.set_num_threads(1)  # networks this small: more threads only wait for each other
space = NB201(channels=2)
data = load_mnist1d(num_samples=300)


def objective(trial: optuna.Trial) -> float:
    search = DartsSearch(
        space,
        data,
        epochs=3,
        batch_size=50,
        arch_lr=trial.suggest_float("darts/arch_lr", 1e-4, 1e-2, log=True),
        # DARTS-'s auxiliary skip collapses the search onto pooling at full strength
        # (BENCHMARKS.md); the outer study looks for a strength that helps.
        guard="dartsminus",
        guard_strength=trial.suggest_float("darts/skip", 0.0, 1.0),
        seed=trial.number,
    )
    return search.run(trial).value


study = optuna.create_study(
    direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=2)
)
study.optimize(objective, n_trials=4)
best = study.best_trial
print(
    f"best setting: arch_lr {best.params['darts/arch_lr']:.2g}, skip {best.params['darts/skip']:.2f}"
)
print(f"best cell: {space.genotype(best.params)} (validation {best.value:.3f}, supernet weights)")
