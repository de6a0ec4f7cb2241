"""Per-trial time of samplers as studies grow, on NB201 (the table) and on Chain.

    python studies/sampler_overhead.py --samplers gp,tpe,random --trials 1010 --space nb201

The median milliseconds of the trials around trial 100, 500 and 1,000 (+-10 trials): the
sampler's own cost, since a table lookup costs microseconds. Chain has no table; its
objective is a cheap deterministic score of the params (what the sampler sees is the same
kind of conditional, mixed space as in real search).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time

import optuna

from optunas.benchmarks import TabularObjective
from optunas.samplers import get_sampler
from optunas.spaces import Chain


def chain_objective(trial: optuna.Trial) -> float:
    genotype = Chain().suggest(trial)
    # A stable pseudo-accuracy: deeper conv stacks score higher, plus a hash-based jitter.
    convs = sum(layer.op in ("conv", "sep_conv") for layer in genotype.layers)
    jitter = int(hashlib.sha1(str(genotype).encode()).hexdigest()[:6], 16) / 16**6
    return 0.5 + 0.05 * convs + 0.1 * jitter


def run(sampler: str, space: str, trials: int, around: tuple[int, ...]) -> dict[int, float]:
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(direction="maximize", sampler=get_sampler(sampler, 0))
    objective = TabularObjective() if space == "nb201" else chain_objective
    durations = []
    for _ in range(trials):
        t0 = time.perf_counter()
        study.optimize(objective, n_trials=1)
        durations.append(time.perf_counter() - t0)
    return {a: 1000 * statistics.median(durations[a - 10:a + 10]) for a in around if a + 10 <= trials}


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samplers", default="gp,tpe,random")
    parser.add_argument("--space", choices=("nb201", "chain"), default="nb201")
    parser.add_argument("--trials", type=int, default=1010)
    args = parser.parse_args()
    print("| sampler | space | ms/trial @100 | @500 | @1000 |\n|---|---|---|---|---|")
    for name in args.samplers.split(","):
        ms = run(name, args.space, args.trials, (100, 500, 1000))
        cells = [f"{ms[a]:.1f}" if a in ms else "-" for a in (100, 500, 1000)]
        print(f"| {name} | {args.space} | " + " | ".join(cells) + " |", flush=True)
