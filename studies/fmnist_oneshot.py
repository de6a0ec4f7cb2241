"""One-shot search against standalone random search and TPE at equal compute, on the
Fashion-MNIST truth set.

    python studies/fmnist_supernet.py --epochs 50 --seed S     # for S in 0..4: the scores
    python studies/fmnist_oneshot.py [--epochs 50] [--scored 100] [--retrain 3]

The search space is the truth set's cells: a sampler's proposal outside it is told as failed
(samplers learn nothing from failed trials, so this draws from the sampler's own proposal
restricted to the pool) and costs nothing. For each supernet seed S (an entry of
studies/results/fmnist_supernet.json, which holds its pretraining CPU, its scoring CPU and the
score of every cell):

- one-shot: ``--scored`` cells proposed by RandomSampler(seed=S), scored by the supernet; the
  ``--retrain`` best-scored are trained (their first training) and the search returns the best
  of those (with ``--retrain 0``, the best-scored). Its compute: the pretraining, the
  scorings and the trainings.
- standalone random search and TPE (seed S): as many trials as that compute buys at a
  training's mean CPU on the machine that ran the supernet (``training_cpu_s`` in
  studies/fmnist_supernet.py: the truth set's trainings timed on one machine, scaled by
  reference cells retrained beside the supernet); a trial observes the cell's first training,
  and the search returns the best observed.

Each returned cell is judged by the truth (the mean of its trainings): regret, in points, to
the best truth cell. The table gives the mean regret over seeds and the paired difference
(one-shot minus standalone, seed by seed) with its standard error.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import warnings
from collections.abc import Callable
from pathlib import Path

import optuna
from fmnist_supernet import RESULTS, _key, training_cpu_s

from optunas.benchmarks import TruthSet, arch_index, canonical, load_truth_set
from optunas.spaces import NB201


def pool_search(
    sampler: optuna.samplers.BaseSampler, trials: int, rows: dict[int, int], observe: Callable
) -> list[int]:
    """The rows of the cells a search of ``trials`` accepted proposals saw, the highest
    ``observe(row)`` first; proposals outside ``rows`` (arch index -> row) fail and do not
    count."""
    space = NB201()
    study = optuna.create_study(direction="maximize", sampler=sampler)
    seen: list[tuple[float, int]] = []
    for _ in range(1000 * trials):  # a guard: the pool holds about 8 % of the encodings
        if len(seen) == trials:
            break
        trial = study.ask()
        row = rows.get(arch_index(canonical(space.suggest(trial).ops)))
        if row is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        value = float(observe(row))
        study.tell(trial, value)
        seen.append((value, row))
    return [row for _, row in sorted(seen, reverse=True)]


def _tpe(seed: int) -> optuna.samplers.BaseSampler:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True)


def compare(truth: TruthSet, runs: list[dict], scored: int, retrain: int) -> dict[str, list[float]]:
    rows = {int(c): i for i, c in enumerate(truth.cells)}

    def observed(row: int) -> float:  # what one standalone training shows: the first seed's
        return float(truth.curves[row, 0, -1])

    best = float(truth.valid.max())
    regrets: dict[str, list[float]] = {"one-shot": [], "random": [], "tpe": [], "trainings": []}
    for run in runs:
        seed, scores = run["seed"], run["scores"]
        budget = run["pretrain_cpu_s"] + scored * run["score_cpu_s_per_cell"]
        trainings = max(1, math.floor(budget / training_cpu_s(run, truth))) + retrain
        ranked = pool_search(
            optuna.samplers.RandomSampler(seed=seed),
            scored,
            rows,
            lambda r, scores=scores: scores[str(truth.cells[r])],
        )
        shortlist = list(dict.fromkeys(ranked))[:retrain]  # distinct cells, best-scored first
        picks = {
            "one-shot": max(shortlist, key=observed) if retrain else ranked[0],
            "random": pool_search(
                optuna.samplers.RandomSampler(seed=seed), trainings, rows, observed
            )[0],
            "tpe": pool_search(_tpe(seed), trainings, rows, observed)[0],
        }
        for name, row in picks.items():
            regrets[name].append(100 * (best - float(truth.valid[row])))
        regrets["trainings"].append(trainings)
    return regrets


def _mean_se(values: list[float]) -> str:
    se = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
    return f"{statistics.fmean(values):.2f} ± {se:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--sampling", default="uniform", help="the supernet's path sampling")
    parser.add_argument("--scored", type=int, default=100)
    parser.add_argument("--retrain", type=int, default=3, help="best-scored cells trained")
    parser.add_argument("--setting", default="c16-n1-s14-10k-e5")
    parser.add_argument("--truth", default=None, help="a truth set's .npz (default: shipped)")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    truth = load_truth_set(path=args.truth) if args.truth else load_truth_set("fashion_mnist")
    wanted = {str(c) for c in truth.cells}
    runs = [
        r
        for r in json.loads(Path(RESULTS).read_text())
        if _key(r) == (args.epochs, r["seed"], args.setting, args.sampling)
        and wanted <= set(r.get("scores", {}))
    ]
    if not runs:
        raise SystemExit(
            f"no supernet run of {args.epochs} epochs ({args.sampling} paths) has scored all "
            f"{len(truth)} cells"
        )
    regrets = compare(truth, sorted(runs, key=lambda r: r["seed"]), args.scored, args.retrain)
    print(
        f"{len(truth)} truth cells; supernet of {args.epochs} epochs ({args.sampling} paths), "
        f"{args.scored} cells scored, "
        f"the best {args.retrain} trained; "
        f"seeds {[r['seed'] for r in runs]}; standalone trainings bought: {regrets['trainings']}"
    )
    print("| search | regret (points) | one-shot minus it, same seed |")
    print("|---|---|---|")
    for name in ("one-shot", "random", "tpe"):
        paired = [a - b for a, b in zip(regrets["one-shot"], regrets[name])]
        print(f"| {name} | {_mean_se(regrets[name])} | {_mean_se(paired)} |")


if __name__ == "__main__":
    main()
