"""Search with weight sharing against standalone search at equal compute, on the NB201 table.

The table's setting (4 channels, one cell per stage, 1,000 MNIST-1D training signals), so a
retraining is a table lookup and its cost is the table's training seconds for that cell.
Per seed:

- **one-shot**: pretrain a supernet (``--epochs``, SupernetObjective's defaults), score
  ``--candidates`` cells with each sampler (EvolutionSampler, TPE, random) through
  SupernetObjective, retrain the ``--top-k`` best estimates (table lookup). Cost = pretraining
  + the candidates' scoring (the samplers' own time included) + the K trainings.
- **ENAS**: SupernetObjective(mode="enas") with ReinforceSampler for ``--enas-trials`` trials
  of ``--enas-steps`` minibatches each, the top K estimates of the last half of the trials
  retrained (the last half: the policy and the weights have settled there).
- **standalone**: random search, TPE and EvolutionSampler on the table, each trial charged the
  table's training seconds for its cell, until the one-shot run's cost is spent.

Regret = the table's best validation accuracy minus that of the best cell a method returns
(after retraining), in percentage points. Costs are CPU seconds of one thread
(``time.process_time``), so that other jobs on a shared machine do not skew them; the table's
seconds were measured on one thread too, and are scaled by the ratio of three standalone
trainings timed here to the table's seconds for those cells (printed as ``train_scale``).
Repeated candidates (samplers propose a cell twice) are charged the mean scoring time without
scoring again: the weights and the estimate are the same.

    python studies/supernet_search.py --seeds 0 1 2 3 4 --epochs 200 --candidates 1000 --top-k 5 50

About 4 minutes of one core per seed on the 2-core VM (pretraining 25 s, 3 x 1,000 scorings at
about 0.04 s, ENAS 500 trials), more when the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time

import numpy as np
import optuna
import torch

from optunas.benchmarks import SETTING, arch_ops, load_nb201_table
from optunas.evaluation import SupernetObjective
from optunas.nn import NB201Network
from optunas.samplers import EvolutionSampler, ReinforceSampler
from optunas.spaces import NB201

SAMPLERS = {
    "evolution": lambda seed: EvolutionSampler(seed=seed),
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}


def _space() -> NB201:
    return NB201(channels=SETTING.channels, cells_per_stage=SETTING.cells_per_stage)


def train_scale(table, data) -> float:
    """CPU seconds of a standalone training here over the table's seconds, on three cells."""
    cells = [0, 7_777, 15_624]
    measured = 0.0
    for row in cells:
        torch.manual_seed(row)
        net = NB201Network(
            arch_ops(row), 1, 10, dims=1, channels=SETTING.channels, cells_per_stage=1
        )
        started = time.process_time()
        SETTING.recipe.train(net, data.train, data.valid, seed=row)
        measured += time.process_time() - started
    return measured / float(sum(table.seconds[cells]))


def _objective(data, seed: int, **options) -> SupernetObjective:
    return SupernetObjective(
        _space(),
        data,
        checkpoint=os.path.join(tempfile.mkdtemp(), "supernet.pt"),
        batch_size=SETTING.recipe.batch_size,
        seed=seed,
        draw=False,
        **options,
    )


def _retrain(estimates: dict, table, k: int, scale: float) -> tuple[float, float]:
    """(best table accuracy among the top ``k`` estimates, their training seconds)."""
    top = sorted(estimates, key=lambda ops: -estimates[ops])[:k]
    rows = [table.index(ops) for ops in top]
    return float(table.valid[rows].max()), float(table.seconds[rows].sum()) * scale


def standalone(table, sampler: str, seed: int, budget: float, scale: float) -> float:
    """Best table accuracy a standalone search finds before its training seconds pass ``budget``."""
    space = _space()
    study = optuna.create_study(direction="maximize", sampler=SAMPLERS[sampler](seed))
    spent, best = 0.0, 0.0
    while spent < budget:
        trial = study.ask()
        row = table.index(space.suggest(trial).ops)
        spent += float(table.seconds[row]) * scale
        if spent > budget and best > 0.0:
            break  # this training would not finish within the budget
        best = max(best, float(table.valid[row]))
        study.tell(trial, float(table.valid[row]))
    return best


def one_shot(data, table, seed: int, args, scale: float) -> list[dict]:
    objective = _objective(data, seed, epochs=args.epochs)
    started = time.process_time()
    objective.pretrain()
    pretrain = time.process_time() - started
    rows = []
    for name in args.samplers:
        estimates: dict[tuple[str, ...], float] = {}
        scored: list[float] = []

        def score(trial, estimates=estimates, scored=scored):
            ops = objective.space.suggest(trial).ops
            if ops not in estimates:
                t0 = time.process_time()
                estimates[ops] = objective(trial)
                scored.append(time.process_time() - t0)
            return estimates[ops]

        study = optuna.create_study(direction="maximize", sampler=SAMPLERS[name](seed))
        t0 = time.process_time()
        study.optimize(score, n_trials=args.candidates)
        search = time.process_time() - t0 + (args.candidates - len(scored)) * np.mean(scored)
        for k in args.top_k:
            found, retrain = _retrain(estimates, table, k, scale)
            rows.append(
                {
                    "method": f"one-shot {name}",
                    "seed": seed,
                    "k": k,
                    "regret": 100 * (float(table.valid.max()) - found),
                    "seconds": pretrain + search + retrain,
                    "pretrain_s": pretrain,
                    "per_candidate_s": float(np.mean(scored)),
                    "distinct": len(estimates),
                }
            )
    return rows


def enas(data, table, seed: int, args, scale: float) -> list[dict]:
    objective = _objective(data, seed, mode="enas", enas_steps=args.enas_steps)
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=seed))
    started = time.process_time()
    study.optimize(objective, n_trials=args.enas_trials)
    search = time.process_time() - started
    late = study.trials[len(study.trials) // 2 :]
    estimates: dict[tuple[str, ...], float] = {}
    for t in late:
        ops = objective.space.genotype(t.params).ops
        estimates[ops] = max(estimates.get(ops, 0.0), t.value)
    rows = []
    for k in args.top_k:
        found, retrain = _retrain(estimates, table, k, scale)
        rows.append(
            {
                "method": "enas reinforce",
                "seed": seed,
                "k": k,
                "regret": 100 * (float(table.valid.max()) - found),
                "seconds": search + retrain,
                "per_candidate_s": search / len(study.trials),
                "distinct": len(estimates),
            }
        )
    return rows


def main(args: argparse.Namespace) -> None:
    data, table = SETTING.dataset(), load_nb201_table()
    scale = train_scale(table, data)
    print(
        json.dumps(
            {
                "train_scale": round(scale, 3),
                "median_training_s": round(float(np.median(table.seconds)) * scale, 3),
            }
        )
    )
    for seed in args.seeds:
        rows = one_shot(data, table, seed, args, scale)
        if args.enas_trials:
            rows += enas(data, table, seed, args, scale)
        for row in list(rows):
            for name in args.samplers:
                found = standalone(table, name, seed, row["seconds"], scale)
                rows.append(
                    {
                        "method": f"standalone {name}",
                        "seed": seed,
                        "k": row["k"],
                        "against": row["method"],
                        "regret": 100 * (float(table.valid.max()) - found),
                        "seconds": row["seconds"],
                    }
                )
        for row in rows:
            print(
                json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}),
                flush=True,
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--top-k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=list(SAMPLERS))
    parser.add_argument("--enas-trials", type=int, default=500)
    parser.add_argument("--enas-steps", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    main(args)
