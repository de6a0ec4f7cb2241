"""Settings of samplers and pruners swept on the tabular benchmark: how the presets were
chosen, and each pruner's trade-off between epochs spent and regret.

    python studies/sweep.py --samplers 'reinforce:' 'reinforce:lr=0.01' --seed-offset 1000
    python studies/sweep.py --samplers random --pruners none 'median:n_warmup_steps=5' 'curve:threshold=0.01'
    python studies/sweep.py --table pruning --pruners none 'sha:min_resource=2'

A spec is ``name:arg=value,...``: a sampler (``random``, ``tpe``, ``reinforce``,
``evolution``) or a pruner (``none``, ``median``, ``percentile``, ``sha``, ``hyperband``,
``curve``, ``predictor``), built with those constructor arguments. Every sampler spec runs with
every pruner spec, over ``--seeds`` seeds starting at ``--seed-offset``. Presets are chosen on
seeds from 1000 on, so that the choice does not flatter them on the reported benchmark
(seeds from 0). ``--table`` is ``default``, ``pruning`` (see
optunas.benchmarks.load_nb201_table) or the path of a generated table.
"""

from __future__ import annotations

import argparse
import ast
import math
import multiprocessing
import statistics
import warnings
from typing import Any

import numpy as np
import optuna

from optunas.benchmarks import TabularObjective, load_nb201_table
from optunas.pruners import LearningCurvePruner, PredictorPruner
from optunas.samplers import EvolutionSampler, ReinforceSampler


def _tpe(**kwargs: Any) -> optuna.samplers.BaseSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(**{"multivariate": True, "group": True, **kwargs})


SAMPLERS = {
    "random": optuna.samplers.RandomSampler,
    "tpe": _tpe,
    "reinforce": ReinforceSampler,
    "evolution": EvolutionSampler,
}
PRUNERS = {
    "none": optuna.pruners.NopPruner,
    "median": optuna.pruners.MedianPruner,
    "percentile": optuna.pruners.PercentilePruner,
    "sha": optuna.pruners.SuccessiveHalvingPruner,
    "hyperband": optuna.pruners.HyperbandPruner,
    "curve": LearningCurvePruner,
    "predictor": PredictorPruner,
}


def build(spec: str, registry: dict[str, Any], **extra: Any) -> Any:
    """The object a spec names, e.g. ``median:n_warmup_steps=5``."""
    name, _, args = spec.partition(":")
    kwargs = dict(extra)
    for item in filter(None, args.split(",")):
        key, _, value = item.partition("=")
        try:
            kwargs[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            kwargs[key] = value
    return registry[name](**kwargs)


def table(name: str) -> Any:
    return (
        load_nb201_table(variant=name) if name in ("default", "pruning") else load_nb201_table(name)
    )


def run(
    sampler: str, pruner: str, seed: int, trials: int, table_name: str
) -> tuple[list[float], list[int], float]:
    """One study: the best value after each trial, the epochs each trial spent, and the test
    accuracy of the cell the study returns (its best completed trial)."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize",
        sampler=build(sampler, SAMPLERS, seed=seed),
        pruner=build(pruner, PRUNERS),
    )
    cells = table(table_name)
    study.optimize(TabularObjective(cells), n_trials=trials)
    values = [
        t.value if t.state == optuna.trial.TrialState.COMPLETE else -math.inf for t in study.trials
    ]
    test = float(cells.test[cells.index(study.best_trial.user_attrs["genotype"])])
    return (
        list(np.maximum.accumulate(values)),
        [t.user_attrs.get("epochs", 0) for t in study.trials],
        test,
    )


def _cell(values: list[float]) -> str:
    return (
        f"{statistics.fmean(values):.2f} ± {statistics.stdev(values) / math.sqrt(len(values)):.2f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--samplers", nargs="+", default=["random"])
    parser.add_argument("--pruners", nargs="+", default=["none"])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--seed-offset", type=int, default=1000)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table", default="default", help="default, pruning, or a table's path")
    args = parser.parse_args()
    optimum = float(table(args.table).valid.max())
    checkpoints = [c for c in (50, 100, 200) if c <= args.trials]
    # The last column compares each pruner with the first one listed, seed by seed: with
    # RandomSampler a seed proposes the same cells whatever the pruner, so it is the regret that
    # pruning itself cost, free of the luck of the draw (other samplers adapt to what they see).
    print(
        "| sampler | pruner | epochs | "
        + " | ".join(f"regret@{c}" for c in checkpoints)
        + f" | regret@{args.trials} minus first pruner's, same seed"
        + " | test accuracy of the returned cell | minus first pruner's, same seed |"
    )
    print("|---|---|---|" + "---|" * len(checkpoints) + "---|---|---|")
    seeds = range(args.seed_offset, args.seed_offset + args.seeds)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for sampler in args.samplers:
            first = None
            for pruner in args.pruners:
                results = pool.starmap(
                    run, [(sampler, pruner, s, args.trials, args.table) for s in seeds]
                )
                final = [100 * (optimum - best[-1]) for best, _, _ in results]
                test = [100 * t for _, _, t in results]
                first = (final, test) if first is None else first
                cells = [_cell([float(sum(e)) for _, e, _ in results])]
                cells += [
                    _cell([100 * (optimum - best[c - 1]) for best, _, _ in results])
                    for c in checkpoints
                ]
                cells.append(_cell([a - b for a, b in zip(final, first[0])]))
                cells += [_cell(test), _cell([a - b for a, b in zip(test, first[1])])]
                print(f"| {sampler} | {pruner} | " + " | ".join(cells) + " |", flush=True)
