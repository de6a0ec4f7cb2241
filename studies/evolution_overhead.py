"""Milliseconds per suggestion of EvolutionSampler as a study grows.

    python studies/evolution_overhead.py --at 100,1000,5000

For each history size n, a study is given n finished random trials (six categorical edges
and a float learning rate; ``study.add_trials``), then EvolutionSampler runs ``--probe``
more trials one at a time. The objective costs microseconds, so what is timed is the
sampler: the first probe trial (it reads the whole history once) and the median of the rest.
"""

from __future__ import annotations

import argparse
import statistics
import time

import optuna

from optunas.samplers import EvolutionSampler

OPS = ["none", "skip", "conv1x1", "conv3x3", "pool"]


def objective(trial: optuna.Trial) -> float:
    ops = [trial.suggest_categorical(f"edge_{e}", OPS) for e in range(6)]
    lr = trial.suggest_float("lr", 1e-4, 1e-1, log=True)
    return ops.count("conv3x3") + 0.5 * ops.count("conv1x1") + 0.01 * lr


def cost_at(n: int, probe: int) -> tuple[float, float]:
    """(first, median of the rest) milliseconds per trial after ``n`` finished trials."""
    history = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.RandomSampler(seed=n)
    )
    history.optimize(objective, n_trials=n)
    study = optuna.create_study(direction="maximize", sampler=EvolutionSampler(seed=0))
    study.add_trials(history.trials)
    durations = []
    for _ in range(probe):
        started = time.perf_counter()
        study.optimize(objective, n_trials=1)
        durations.append(time.perf_counter() - started)
    return 1000 * durations[0], 1000 * statistics.median(durations[1:])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--at", default="100,1000,5000", help="history sizes, comma-separated")
    parser.add_argument("--probe", type=int, default=50, help="timed trials per history size")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    print("| trials | first ms | median ms/trial |")
    print("|---|---|---|")
    for n in (int(a) for a in args.at.split(",")):
        first, median = cost_at(n, args.probe)
        print(f"| {n} | {first:.1f} | {median:.2f} |", flush=True)
