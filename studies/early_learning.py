"""Do later trials beat early ones within a short study? The check tests/test_workers.py makes
on one 60-trial study, measured here over many seeds: the mean validation accuracy of the
last 20 trials minus that of the first 20, and how often it is not positive.

    python studies/early_learning.py --samplers reinforce evolution random --seeds 200

Specs as in studies/sweep.py (``name:arg=value,...``); seeds start at ``--seed-offset``
(1000: the tuning seeds). No pruning, as in the worker test.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import statistics

import numpy as np
import optuna
from sweep import SAMPLERS, build

from optunas.benchmarks import TabularObjective


def run(spec: str, seed: int, trials: int, window: int) -> float:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize",
        sampler=build(spec, SAMPLERS, seed=seed),
        pruner=optuna.pruners.NopPruner(),
    )
    study.optimize(TabularObjective(), n_trials=trials)
    values = np.array([t.value for t in study.trials])
    return float(values[-window:].mean() - values[:window].mean())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samplers", nargs="+", default=["reinforce", "evolution", "random"])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--seed-offset", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--window", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    print(
        f"| sampler | late {args.window} minus first {args.window} (pp) | sd (pp) "
        f"| studies where it is <= 0 |"
    )
    print("|---|---|---|---|")
    seeds = range(args.seed_offset, args.seed_offset + args.seeds)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for spec in args.samplers:
            gains = [
                100 * g
                for g in pool.starmap(run, [(spec, s, args.trials, args.window) for s in seeds])
            ]
            sd = statistics.stdev(gains)
            print(
                f"| {spec} | {statistics.fmean(gains):.2f} ± {sd / math.sqrt(len(gains)):.2f} | {sd:.2f} "
                f"| {sum(g <= 0 for g in gains)} / {len(gains)} |",
                flush=True,
            )
