"""Milliseconds per pruning decision, on curves of 50 steps.

    python studies/pruner_timing.py

LearningCurvePruner: one decision on a 50-step curve. PredictorPruner (each model, with and
without choices): a decision at step 30 in a study of 200 finished 50-step curves; the
chain's first decision after a trial ends refits its links, later ones reuse them.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution

from optunas.pruners import LearningCurvePruner, PredictorPruner


def ms(call, repeat: int = 20) -> float:
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return 1000 * statistics.median(durations)


def predictor_study(use_choices: bool, model: str) -> tuple[optuna.Study, optuna.trial.FrozenTrial]:
    rng = np.random.default_rng(0)
    ops = ["a", "b", "c", "d", "e"]
    dists = {f"edge{i}": CategoricalDistribution(ops) for i in range(6)}
    study = optuna.create_study(
        direction="maximize", pruner=PredictorPruner(use_choices=use_choices, model=model)
    )
    for _ in range(200):
        curve = (0.5 + 0.4 * rng.random()) * (1 - 0.9 ** np.arange(1, 51)) + rng.normal(
            0, 0.005, 50
        )
        study.add_trial(
            optuna.create_trial(
                value=float(curve[-1]),
                intermediate_values={s: float(v) for s, v in enumerate(curve)},
                params={name: ops[rng.integers(5)] for name in dists},
                distributions=dists,
            )
        )
    trial = study.ask(dists)
    for step in range(30):
        trial.report(0.3 + 0.01 * step, step)
    return study, study._storage.get_trial(trial._trial_id)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    steps = np.arange(50)
    values = 0.9 - 0.5 * np.exp(-0.1 * steps) + np.random.default_rng(0).normal(0, 0.005, 50)
    LearningCurvePruner.probability(steps, values, 99, 0.9)  # warm-up
    print(
        f"LearningCurvePruner, 50-step curve: {ms(lambda: LearningCurvePruner.probability(steps, values, 99, 0.9)):.2f} ms"
    )
    for model in ("direct", "chain"):
        for use_choices in (False, True):
            study, frozen = predictor_study(use_choices, model)
            first = ms(lambda s=study, f=frozen: s.pruner.prune(s, f), repeat=1)
            later = ms(lambda s=study, f=frozen: s.pruner.prune(s, f))
            print(
                f"PredictorPruner model={model} use_choices={use_choices}, 200 curves: "
                f"first {first:.1f} ms, then {later:.2f} ms"
            )
