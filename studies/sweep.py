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
optunas.benchmarks.load_nb201_table) or the path of a generated table. ``--curves`` replaces
the table by the cells and curves of studies/population_probe.py OUT files (e.g. the 50-epoch
curves in studies/results/curve_length/): each trial draws one of those cells, so only random
search makes sense there, and no test accuracy is known. ``--curves truth:fashion_mnist`` (or
``truth:PATH``) takes a truth set's cells (optunas.benchmarks.load_truth_set): a trial reports
the curve of the cell's first training, and the regret is that of the truth, the mean of the
cell's trainings, of the cell the study returns.

With ``--replay``, each sampler first runs each seed's study without pruning, and every pruner
then sees that study's cells in the same order (enqueued): a paired comparison for a sampler
that adapts, at the price of an approximation (with pruning, TPE would propose somewhat
differently, having seen pruned trials).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import math
import multiprocessing
import statistics
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from optunas.benchmarks import TRUTH_SETS, TabularObjective, load_nb201_table, load_truth_set
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


class PoolObjective:
    """A trial draws one curve of a pool (``suggest_int``: uniform under RandomSampler) and
    reports it epoch by epoch, as TabularObjective reports a table's."""

    def __init__(self, curves: np.ndarray) -> None:
        self.curves = curves

    def __call__(self, trial: optuna.Trial) -> float:
        curve = self.curves[trial.suggest_int("cell", 0, len(self.curves) - 1)]
        for epoch, value in enumerate(curve):
            trial.report(float(value), epoch)
            if trial.should_prune():
                trial.set_user_attr("epochs", epoch + 1)
                raise optuna.TrialPruned()
        trial.set_user_attr("epochs", len(curve))
        return float(curve[-1])


def pool_curves(files: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The curves a pool's trials report and each cell's true value: a truth set's first
    trainings and the mean of all its trainings (``truth:NAME``), or the distinct cells'
    curves of population_probe.py OUT files (a cell in two files once) and their last value."""
    if len(files) == 1 and files[0].startswith("truth:"):
        name = files[0].removeprefix("truth:")
        truth = load_truth_set(name) if name in TRUTH_SETS else load_truth_set(path=name)
        return truth.curves[:, 0, :].astype(float), truth.valid.astype(float)
    probes = [np.load(f) for f in files]
    _, first = np.unique(np.concatenate([p["rows"] for p in probes]), return_index=True)
    curves = np.concatenate([p["curves"] for p in probes])[first].astype(float)
    return curves, curves[:, -1]


def proposals(
    sampler: str, seed: int, trials: int, table_name: str, cache: str | None = None
) -> list[dict[str, Any]]:
    """The params of every trial of a study without pruning; kept in the folder ``cache`` if
    given (studies/pruning_bound.py replays the same studies)."""
    path = None
    if cache is not None:
        name = hashlib.sha256(repr((sampler, seed, trials, table_name)).encode()).hexdigest()
        path = Path(cache) / f"{name[:20]}.json"
        if path.exists():
            return json.loads(path.read_text())
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize",
        sampler=build(sampler, SAMPLERS, seed=seed),
        pruner=optuna.pruners.NopPruner(),
    )
    study.optimize(TabularObjective(table(table_name)), n_trials=trials)
    params = [t.params for t in study.trials]
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(params))
    return params


def run(
    sampler: str,
    pruner: str,
    seed: int,
    trials: int,
    table_name: str,
    curves: list[str],
    replay: list[dict[str, Any]] | None = None,
) -> tuple[list[float], list[int], float]:
    """One study: the best value after each trial, the epochs each trial spent, and the test
    accuracy of the cell the study returns (its best completed trial; NaN on a pool). With
    ``replay``, the trials take those params in that order."""
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    study = optuna.create_study(
        direction="maximize",
        # Replayed trials take enqueued params: the sampler is never asked.
        sampler=build("random" if replay else sampler, SAMPLERS, seed=seed),
        pruner=build(pruner, PRUNERS),
    )
    for params in replay or []:
        study.enqueue_trial(params)
    if curves:
        shown, truth = pool_curves(curves)
        study.optimize(PoolObjective(shown), n_trials=trials)
        test = math.nan
    else:
        cells = table(table_name)
        study.optimize(TabularObjective(cells), n_trials=trials)
        test = float(cells.test[cells.index(study.best_trial.user_attrs["genotype"])])
    values = [
        t.value if t.state == optuna.trial.TrialState.COMPLETE else -math.inf for t in study.trials
    ]
    best = np.maximum.accumulate(values)
    if curves:
        # The true value of the incumbent (the best completed trial so far), not what its
        # one reported training showed.
        incumbent = [int(np.argmax(values[: k + 1])) for k in range(len(values))]
        best = np.array(
            [
                truth[study.trials[i].params["cell"]] if np.isfinite(values[i]) else -math.inf
                for i in incumbent
            ]
        )
    return (
        list(best),
        [t.user_attrs.get("epochs", 0) for t in study.trials],
        test,
    )


def _cell(values: list[float]) -> str:
    if any(math.isnan(v) for v in values):
        return "-"
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
    parser.add_argument(
        "--curves", nargs="+", default=[], help="population_probe.py OUT files instead of a table"
    )
    parser.add_argument(
        "--replay", action="store_true", help="every pruner sees the cells of unpruned studies"
    )
    parser.add_argument("--cache", default=None, help="a folder that keeps replayed studies")
    args = parser.parse_args()
    optimum = float(
        pool_curves(args.curves)[1].max() if args.curves else table(args.table).valid.max()
    )
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
            plans = (
                pool.starmap(
                    proposals, [(sampler, s, args.trials, args.table, args.cache) for s in seeds]
                )
                if args.replay
                else [None] * len(seeds)
            )
            for pruner in args.pruners:
                results = pool.starmap(
                    run,
                    [
                        (sampler, pruner, s, args.trials, args.table, args.curves, plan)
                        for s, plan in zip(seeds, plans)
                    ],
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
                label = f"{sampler}, replayed" if args.replay else sampler
                print(f"| {label} | {pruner} | " + " | ".join(cells) + " |", flush=True)
