"""Search NAS-Bench-201 cells with optunas's NAS samplers, on the tabular benchmark.

Each trial looks its cell up in the shipped table (every cell trained once on MNIST-1D), so
hundreds of trials take seconds. Swap TabularObjective for TrainObjective to train for real.
No pruner: every cell is trained to its last epoch, so the samplers are compared on final
accuracies (a study's default, MedianPruner, would stop most of them early).

Run: python examples/rl_and_evolution.py
"""

from __future__ import annotations

import optuna

from optunas.benchmarks import TabularObjective, load_nb201_table
from optunas.samplers import EvolutionSampler, ReinforceSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)
table = load_nb201_table()
print(f"best cell in the table: validation {table.valid.max():.4f}")

for sampler in (
    ReinforceSampler(seed=0),
    EvolutionSampler(seed=0),
    optuna.samplers.RandomSampler(seed=0),
):
    study = optuna.create_study(
        direction="maximize", sampler=sampler, pruner=optuna.pruners.NopPruner()
    )
    study.optimize(TabularObjective(table), n_trials=200)
    print(
        f"best {type(sampler).__name__:>16}: validation {study.best_value:.4f} "
        f"after 200 trials; cell {study.best_trial.user_attrs.get('genotype', '')}"
    )
