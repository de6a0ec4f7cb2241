"""A NAS sampler's settings on one NAS-Bench-201 table and a set of tuning seeds.

Regret (pp, against the table's best seed-averaged 200-epoch validation accuracy) after 100 and
300 trials rewarded with the 200-epoch accuracy, for each setting; one JSON line per run to
--out as it finishes. The tuning data is CIFAR-100, seeds 1000 on: the reported table
(studies/nb201_samplers.sh) uses seeds 0 to 99 on all three datasets.

EvolutionSampler (``--sampler evolution``)::

    nice -n 10 .venv/bin/python studies/nb201_tuning.py --seeds 50 \\
        --out studies/results/nb201/evolution_tuning.jsonl

and the check of the chosen setting against the default on data it was not tuned on::

    for t in nb201-cifar10 nb201-imagenet16; do
        nice -n 10 .venv/bin/python studies/nb201_tuning.py --table $t --first-seed 0 \\
            --seeds 100 --settings "default (20, 5)" "(20, 10)" \\
            --out studies/results/nb201/evolution_check.jsonl
    done

ReinforceSampler, the same way::

    nice -n 10 .venv/bin/python studies/nb201_tuning.py --sampler reinforce --seeds 50 \\
        --out studies/results/nb201/reinforce_tuning.jsonl
"""

from __future__ import annotations

import argparse
import json
import math
import statistics

import optuna

from optunas.benchmarks import NASBench201Objective, load_nasbench201
from optunas.samplers import EvolutionSampler, ReinforceSampler

EVOLUTION = {
    "default (20, 5)": {},
    "REA's (10, 3)": {"population_size": 10, "tournament_size": 3},
    "(10, 5)": {"population_size": 10, "tournament_size": 5},
    "(20, 10)": {"population_size": 20, "tournament_size": 10},
    "(50, 10)": {"population_size": 50, "tournament_size": 10},
    "(20, 5), no crossover": {"crossover_prob": 0.0},
}
REINFORCE = {
    "default (lr 0.03, tanh 1.5)": {},
    "lr 0.1": {"lr": 0.1},
    "lr 0.01": {"lr": 0.01},
    "tanh 2.5": {"tanh_constant": 2.5},
    "temperature 2": {"temperature": 2.0},
    "entropy 0.01": {"entropy_weight": 0.01},
    "baseline decay 0.9": {"baseline_decay": 0.9},
    "lr 0.1, tanh 2.5": {"lr": 0.1, "tanh_constant": 2.5},
    "lr 0.01, baseline decay 0.9": {"lr": 0.01, "baseline_decay": 0.9},
}
SAMPLERS = {"evolution": (EvolutionSampler, EVOLUTION), "reinforce": (ReinforceSampler, REINFORCE)}


def run(sampler: type, table: str, kwargs: dict, seed: int, trials: int) -> list[float]:
    """The 200-epoch accuracy of the best-by-reward cell after each trial."""
    objective = NASBench201Objective(table)
    study = optuna.create_study(direction="maximize", sampler=sampler(seed=seed, **kwargs))
    study.optimize(objective, n_trials=trials)
    best, curve = -math.inf, []
    for trial in study.trials:
        best = max(best, trial.value)
        curve.append(best)
    return curve


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sampler", choices=sorted(SAMPLERS), default="evolution")
    parser.add_argument("--table", default="nb201-cifar100")
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--first-seed", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=300)
    parser.add_argument("--out", default="studies/results/nb201/evolution_tuning.jsonl")
    parser.add_argument("--settings", nargs="*", default=None, help="names of settings to run")
    args = parser.parse_args()
    sampler, settings = SAMPLERS[args.sampler]
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    optimum = float(load_nasbench201(args.table).valid.max())
    regrets: dict[str, dict[int, list[float]]] = {}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for name in args.settings or list(settings):
            curve = run(sampler, args.table, settings[name], seed, args.trials)
            at = {n: 100 * (optimum - curve[n - 1]) for n in (100, 300) if n <= len(curve)}
            with open(args.out, "a") as file:
                line = {"sampler": args.sampler, "table": args.table, "setting": name}
                line |= {"seed": seed, "regret": at}
                file.write(json.dumps(line) + "\n")
            for n, r in at.items():
                regrets.setdefault(name, {}).setdefault(n, []).append(r)
    for name, by_n in regrets.items():
        cells = [
            f"@{n}: {statistics.fmean(v):.3f} ± {statistics.stdev(v) / len(v) ** 0.5:.3f}"
            if len(v) > 1
            else f"@{n}: {v[0]:.3f}"
            for n, v in by_n.items()
        ]
        print(f"{name}: " + ", ".join(cells))


if __name__ == "__main__":
    main()
