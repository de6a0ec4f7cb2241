"""PredictorPruner's n_min_trials and its "differences" features, on a table, random search.

    python studies/predictor_settings.py --table pruning --seeds 8 --trials 100

For each setting: epochs consumed and final regret (pp of validation accuracy below the
table's best) over the seeds, next to no pruning, and the share of decisions the regression
made (the rest went to LearningCurvePruner). Each setting runs with and without the first
differences of the curve among the features (linear combinations of the values; the pruner
itself leaves them out).
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import optuna

from optunas.benchmarks import TabularObjective, load_nb201_table
from optunas.pruners import LearningCurvePruner, PredictorPruner, _predictor

NO_DIFFS = _predictor._features  # the pruner's own features: the values alone


def _with_diffs(values: np.ndarray, params: float | None) -> np.ndarray:
    diffs = np.diff(values) if len(values) > 1 else np.zeros(0)
    extra = [] if params is None else [np.log10(max(params, 1.0))]
    return np.concatenate([[1.0], values, diffs, extra])


class _Counting(LearningCurvePruner):
    def __init__(self) -> None:
        super().__init__(n_warmup_steps=2)
        self.decisions = 0

    def prune(self, study, trial) -> bool:
        self.decisions += 1
        return super().prune(study, trial)


class _CountingPredictor(PredictorPruner):
    """Counts the checks that either model decides: past warm-up, and before the last epoch
    once a trial has completed (before that, the last epoch is not known)."""

    def __init__(self, n_min_trials: int, last: int) -> None:
        super().__init__(n_min_trials=n_min_trials)
        self._fallback = _Counting()
        self.last, self.checks = last, 0

    def prune(self, study, trial) -> bool:
        done = any(
            t.state == optuna.trial.TrialState.COMPLETE for t in study.get_trials(deepcopy=False)
        )
        self.checks += trial.last_step >= 2 and (trial.last_step < self.last or not done)
        return super().prune(study, trial)


def run(table, trials: int, seed: int, n_min: int | None, diffs: bool) -> tuple[int, float, float]:
    _predictor._features = _with_diffs if diffs else NO_DIFFS
    pruner: optuna.pruners.BasePruner = optuna.pruners.NopPruner()
    if n_min is not None:
        pruner = _CountingPredictor(n_min, table.curves.shape[1] - 1)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=seed), pruner=pruner
    )
    study.optimize(TabularObjective(table), n_trials=trials)
    epochs = sum(t.user_attrs.get("epochs", 0) for t in study.trials)
    regret = 100 * (float(table.valid.max()) - study.best_value)
    regression = (
        1.0 - pruner._fallback.decisions / max(pruner.checks, 1)
        if isinstance(pruner, _CountingPredictor)
        else float("nan")
    )
    return epochs, regret, regression


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--table", default="pruning", choices=("default", "pruning"))
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--n-min", default="5,10,20")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    table = load_nb201_table(variant=args.table)
    settings = [("none", None, True)] + [
        (f"n_min_trials={n}{'' if d else ', no diffs'}", int(n), d)
        for n in args.n_min.split(",")
        for d in (True, False)
    ]
    print(
        f"| setting ({args.table} table, {args.trials} trials, {args.seeds} seeds) | epochs | "
        "final regret (pp) | decisions by the regression |"
    )
    print("|---|---|---|---|")
    for name, n_min, diffs in settings:
        rows = [run(table, args.trials, seed, n_min, diffs) for seed in range(args.seeds)]
        epochs, regret, share = (statistics.fmean(r[i] for r in rows) for i in range(3))
        print(f"| {name} | {epochs:.0f} | {regret:.2f} | {share:.0%} |", flush=True)
