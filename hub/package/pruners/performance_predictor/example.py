"""Learning curves that rise and level off at a ceiling set by the trial's params: the
pruner stops the trials whose curves will not reach the best ceiling found."""

from __future__ import annotations

import optuna
import optunahub


PredictorPruner = optunahub.load_module("pruners/performance_predictor").PredictorPruner
optuna.logging.set_verbosity(optuna.logging.WARNING)


def objective(trial: optuna.Trial) -> float:
    ceiling = trial.suggest_float("ceiling", 0.5, 0.95)
    rate = trial.suggest_float("rate", 0.6, 0.9)
    accuracy = 0.0
    for epoch in range(20):
        accuracy = ceiling * (1 - rate ** (epoch + 1))
        trial.report(accuracy, epoch)
        if trial.should_prune():
            raise optuna.TrialPruned()
    return accuracy


study = optuna.create_study(
    direction="maximize",
    sampler=optuna.samplers.RandomSampler(seed=0),
    pruner=PredictorPruner(n_min_trials=10),
)
study.optimize(objective, n_trials=60)
pruned = study.get_trials(states=[optuna.trial.TrialState.PRUNED])
epochs = sum(len(t.intermediate_values) for t in study.trials)
print(
    f"best {study.best_value:.3f}; {len(pruned)} of 60 trials pruned; {epochs} of 1200 epochs run"
)
