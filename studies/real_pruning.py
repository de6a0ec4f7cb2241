"""The quickstart's study with real training, once per pruner: epochs spent and best found.

    python studies/real_pruning.py --pruners none,median,curve,predictor --trials 20 --seeds 2

Same space (nb201), dataset (MNIST-1D), recipe (10 epochs) and sampler (TPE, seeded) as
`optunas run`; only the pruner changes.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics

import optuna

from optunas import TrainObjective
from optunas.pruners import get_pruner
from optunas.samplers import get_sampler


def run(pruner: str, seed: int, trials: int) -> tuple[int, float]:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize", sampler=get_sampler("tpe", seed), pruner=get_pruner(pruner)
    )
    study.optimize(TrainObjective("nb201", "mnist1d", epochs=10, seed=seed), n_trials=trials)
    epochs = sum(len(t.intermediate_values) for t in study.trials)
    return epochs, study.best_value


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--pruners", default="none,median,curve,predictor")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(
        "| pruner | seeds | epochs in all (mean) | best validation accuracy (mean) |\n|---|---|---|---|"
    )
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for pruner in args.pruners.split(","):
            results = pool.starmap(run, [(pruner, s, args.trials) for s in range(args.seeds)])
            epochs = statistics.fmean(e for e, _ in results)
            best = statistics.fmean(b for _, b in results)
            per_seed = ", ".join(f"{b:.4f}" for _, b in results)
            print(
                f"| {pruner} | {len(results)} | {epochs:.0f} | {best:.4f} ({per_seed}) |",
                flush=True,
            )
