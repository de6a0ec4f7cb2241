"""Two objectives on the tabular benchmark: maximise validation accuracy, minimise parameters.

    python studies/multiobjective_hypervolume.py --samplers evolution,nsga2,tpe,random --seeds 30 --trials 200

Hypervolume of the front found after each study (both objectives scaled to [0, 1]:
error = 1 - accuracy, size = params / the table's largest), against the reference point
(1, 1); mean and standard error over seeds; the table's own Pareto front gives the maximum.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics

import numpy as np
import optuna

from optunas.benchmarks import TabularObjective, load_nb201_table
from optunas.samplers import get_sampler


def hypervolume_2d(points: np.ndarray) -> float:
    """Area dominated by ``points`` (both minimised, in [0, 1]) up to the reference (1, 1)."""
    front = points[np.argsort(points[:, 0])]
    area, best_y = 0.0, 1.0
    for (
        x,
        y,
    ) in front:  # sweep left to right: each new lower point adds a strip [x, 1] x [y, best_y]
        if y < best_y:
            area += (1.0 - x) * (best_y - y)
            best_y = y
    return area


def _scaled(table, accuracies, params) -> np.ndarray:
    return np.column_stack([1.0 - np.asarray(accuracies), np.asarray(params) / table.params.max()])


def run(sampler: str, seed: int, trials: int) -> float:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    table = load_nb201_table()
    study = optuna.create_study(
        directions=["maximize", "minimize"], sampler=get_sampler(sampler, seed)
    )
    study.optimize(TabularObjective(table), n_trials=trials)
    values = np.array([t.values for t in study.trials if t.values is not None])
    return hypervolume_2d(_scaled(table, values[:, 0], values[:, 1]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samplers", default="evolution,nsga2,tpe,random")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    table = load_nb201_table()
    best = hypervolume_2d(_scaled(table, table.valid, table.params))
    print(f"hypervolume of the table's whole front: {best:.4f}")
    print(f"| sampler | seeds | hypervolume after {args.trials} trials |\n|---|---|---|")
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for name in args.samplers.split(","):
            hv = pool.starmap(run, [(name, s, args.trials) for s in range(args.seeds)])
            se = statistics.stdev(hv) / math.sqrt(len(hv)) if len(hv) > 1 else 0.0
            print(f"| {name} | {len(hv)} | {statistics.fmean(hv):.4f} ± {se:.4f} |", flush=True)
