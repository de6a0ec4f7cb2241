"""Per-trial time of samplers as studies grow, on NB201 (the table) and on Chain.

    python studies/sampler_overhead.py --samplers gp,tpe,random --space nb201 --at 100,500,1000

For each history size n, a study is given n finished trials (drawn at random, then added
with ``study.add_trials``) and the sampler under test runs ``--probe`` more trials; the
median milliseconds of those trials is its per-trial cost at n. A model-based sampler's
cost depends on how many trials it fits and on the space, not on who proposed them, so
this measures the cost at n trials without paying for the n trials before it (GPSampler
alone would need hours of CPU to grow a real study to 1,000 trials). The objective costs
microseconds (a table lookup on NB201; on Chain, which has no table, a cheap deterministic
score of the params), so what is timed is the sampler.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import time
from collections.abc import Callable, Sequence

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


def random_history(
    objective: Callable[[optuna.Trial], float], n: int, seed: int
) -> list[optuna.trial.FrozenTrial]:
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.RandomSampler(seed=seed),
        pruner=optuna.pruners.NopPruner(),
    )
    study.optimize(objective, n_trials=n)
    return study.trials


def cost_at(
    sampler: str,
    objective: Callable[[optuna.Trial], float],
    history: Sequence[optuna.trial.FrozenTrial],
    probe: int,
) -> float:
    """Median milliseconds per trial of ``sampler`` on a study that already holds ``history``."""
    # NopPruner: Optuna's default MedianPruner would prune most of the table's curves.
    study = optuna.create_study(
        direction="maximize", sampler=get_sampler(sampler, 0), pruner=optuna.pruners.NopPruner()
    )
    study.add_trials(history)
    durations = []
    for _ in range(probe):
        started = time.perf_counter()
        study.optimize(objective, n_trials=1)
        durations.append(time.perf_counter() - started)
    return 1000 * statistics.median(durations)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samplers", default="gp,tpe,random")
    parser.add_argument("--space", choices=("nb201", "chain"), default="nb201")
    parser.add_argument("--at", default="100,500,1000", help="history sizes, comma-separated")
    parser.add_argument("--probe", type=int, default=10, help="timed trials per history size")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sizes = [int(a) for a in args.at.split(",")]
    objective = TabularObjective() if args.space == "nb201" else chain_objective
    histories = {n: random_history(objective, n, seed=n) for n in sizes}
    print("| sampler | space | " + " | ".join(f"ms/trial @{n}" for n in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    for name in args.samplers.split(","):
        cells = [f"{cost_at(name, objective, histories[n], args.probe):.1f}" for n in sizes]
        print(f"| {name} | {args.space} | " + " | ".join(cells) + " |", flush=True)
