"""Search with weight sharing against standalone search at equal compute, on MNIST-1D.

Two settings (``--setting``):

- ``table`` (the default): the NB201 table's setting (4 channels, one cell per stage, 1,000
  MNIST-1D training signals), so a retraining is a table lookup and its cost is the table's
  training seconds for that cell, scaled to this machine by the ratio of three standalone
  trainings timed here to the table's seconds for those cells (printed as ``train_scale``).
  Regret = the table's best validation accuracy minus that of the best cell a method returns.
- ``quickstart``: the network ``optunas run`` trains by default (NB201, 16 channels, 5,000
  MNIST-1D signals split by the seed, TrainObjective's 10-epoch recipe seeded by the seed).
  A retraining is a real training of that recipe; the same cell trained twice gives the same
  accuracy, so each seed's cells are trained once and cached (``--cells-cache``, a JSON file
  that also lets a stopped or extended run go on) with their CPU seconds, which are charged
  to every method that trains the cell. There is no table, so regret is measured against
  the best cell any method of that seed returned.

Per seed:

- **one-shot**: pretrain a supernet (``--epochs``, SupernetObjective's defaults), score
  ``--candidates`` cells with each sampler (EvolutionSampler, TPE, random) through
  SupernetObjective, retrain the ``--top-k`` best estimates. Cost = pretraining + the
  candidates' scoring (the samplers' own time included) + the K trainings.
- **ENAS**: SupernetObjective(mode="enas") with ReinforceSampler for ``--enas-trials`` trials
  of ``--enas-steps`` minibatches each, the top K estimates of the last half of the trials
  retrained (the last half: the policy and the weights have settled there).
- **standalone**: each of ``--standalone`` (by default the one-shot samplers) searching with
  trained cells, each trial charged its cell's training seconds, until the one-shot run's
  cost is spent (a training that would end past it does not count).

Regret is in percentage points. Costs are CPU seconds of one thread (``time.process_time``),
so that other jobs on a shared machine do not skew them. Repeated candidates (samplers propose
a cell twice) are charged the mean scoring time without scoring again: the weights and the
estimate are the same.

    python studies/supernet_search.py --seeds 0 1 2 3 4 --epochs 200 --candidates 1000 --top-k 5 50

About 4 minutes of one core per seed on the 2-core VM (pretraining 25 s, 3 x 1,000 scorings at
about 0.04 s, ENAS 500 trials), more when the machine is shared.

    python studies/supernet_search.py --setting quickstart --seeds 0 1 2 3 4 --epochs 50 \\
        --candidates 300 --top-k 5 --samplers evolution --standalone random tpe --enas-trials 0 \\
        --cells-cache studies/results/supernet_search_quickstart_cells.json

About 10 minutes of one core per seed on the 2-core VM (pretraining 80 s, 300 scorings at
about 0.25 s, about 28 distinct cells trained at 15 s), 10 to 14 minutes of wall time shared;
the same with ``--samplers tpe`` then reuses the trained cells (about 4 minutes per seed).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import optuna
import torch

from optunas.benchmarks import SETTING, arch_ops, load_nb201_table
from optunas.data import Dataset, load_mnist1d
from optunas.evaluation import SupernetObjective, TrainObjective
from optunas.nn import NB201Network
from optunas.samplers import EvolutionSampler, ReinforceSampler
from optunas.spaces import NB201, NB201Genotype

SAMPLERS = {
    "evolution": lambda seed: EvolutionSampler(seed=seed),
    "tpe": lambda seed: optuna.samplers.TPESampler(seed=seed),
    "random": lambda seed: optuna.samplers.RandomSampler(seed=seed),
}

Cell = tuple[str, ...]


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


class TableSetting:
    """The NB201 table's setting: a cell's truth and cost are the table's."""

    batch_size = SETTING.recipe.batch_size

    def __init__(self, args: argparse.Namespace) -> None:
        self._data, self.table = SETTING.dataset(), load_nb201_table()
        self.scale = train_scale(self.table, self._data)

    def space(self) -> NB201:
        return NB201(channels=SETTING.channels, cells_per_stage=SETTING.cells_per_stage)

    def data(self, seed: int) -> Dataset:
        return self._data

    def header(self) -> dict:
        return {
            "train_scale": round(self.scale, 3),
            "median_training_s": round(float(np.median(self.table.seconds)) * self.scale, 3),
        }

    def evaluate(self, ops: Cell, seed: int) -> tuple[float, float]:
        """(validation accuracy, CPU seconds of its training here) of a cell."""
        row = self.table.index(ops)
        return float(self.table.valid[row]), float(self.table.seconds[row]) * self.scale

    def reference(self, seed: int, found: list[float]) -> float:
        return float(self.table.valid.max())

    def summary(self, seed: int) -> dict | None:
        return None


class QuickstartSetting:
    """``optunas run``'s default network and data: a cell's truth is a real training."""

    batch_size = TrainObjective.__init__.__kwdefaults__["batch_size"]

    def __init__(self, args: argparse.Namespace) -> None:
        self.path = args.cells_cache
        self.cells: dict[str, dict[str, list[float]]] = {}
        if self.path and os.path.exists(self.path):
            with open(self.path) as f:
                self.cells = json.load(f)
        self._data: dict[int, Dataset] = {}
        self._trainers: dict[int, TrainObjective] = {}

    def space(self) -> NB201:
        return NB201()  # 16 channels, one cell per stage: the default

    def data(self, seed: int) -> Dataset:
        if seed not in self._data:
            self._data[seed] = load_mnist1d(seed=seed)
        return self._data[seed]

    def header(self) -> dict:
        return {"setting": "quickstart", "space": repr(self.space())}

    def evaluate(self, ops: Cell, seed: int) -> tuple[float, float]:
        """(validation accuracy, CPU seconds) of the cell's training; trained once per seed."""
        cells = self.cells.setdefault(str(seed), {})
        key = "|".join(ops)
        if key not in cells:
            cells[key] = list(self._train(ops, seed))
            self._save()
            print(f"seed {seed} trained {key}: {cells[key]}", file=sys.stderr, flush=True)
        accuracy, seconds = cells[key]
        return accuracy, seconds

    def _train(self, ops: Cell, seed: int) -> tuple[float, float]:
        if seed not in self._trainers:
            self._trainers[seed] = TrainObjective(
                self.space(), self.data(seed), seed=seed, draw=False
            )
        # A FixedTrial's number is 0, so every cell trains from the same seed.
        trial = optuna.trial.FixedTrial(self.space().params(NB201Genotype(ops)))
        started = time.process_time()
        accuracy = float(self._trainers[seed](trial))
        return accuracy, time.process_time() - started

    def _save(self) -> None:
        if not self.path:
            return
        with open(self.path + ".tmp", "w") as f:
            json.dump(self.cells, f)
        os.replace(self.path + ".tmp", self.path)

    def reference(self, seed: int, found: list[float]) -> float:
        return max(found)  # no table: the best cell any method of this seed returned

    def summary(self, seed: int) -> dict:
        seconds = [s for _, s in self.cells.get(str(seed), {}).values()]
        return {
            "seed": seed,
            "cells_trained": len(seconds),
            "mean_training_s": float(np.mean(seconds)),
            "median_training_s": float(np.median(seconds)),
        }


SETTINGS = {"table": TableSetting, "quickstart": QuickstartSetting}


def _objective(setting, seed: int, **options) -> SupernetObjective:
    return SupernetObjective(
        setting.space(),
        setting.data(seed),
        checkpoint=os.path.join(tempfile.mkdtemp(), "supernet.pt"),
        batch_size=setting.batch_size,
        seed=seed,
        draw=False,
        **options,
    )


def _retrain(estimates: dict, setting, seed: int, k: int) -> tuple[float, float]:
    """(best accuracy among the top ``k`` estimates after training, their training seconds)."""
    top = sorted(estimates, key=lambda ops: -estimates[ops])[:k]
    results = [setting.evaluate(ops, seed) for ops in top]
    return max(a for a, _ in results), sum(s for _, s in results)


def standalone(setting, sampler: str, seed: int, budget: float) -> tuple[float, int]:
    """(best accuracy, trainings) of a standalone search within ``budget`` training seconds."""
    space = setting.space()
    study = optuna.create_study(direction="maximize", sampler=SAMPLERS[sampler](seed))
    spent, best, trainings = 0.0, 0.0, 0
    while spent < budget:
        trial = study.ask()
        accuracy, seconds = setting.evaluate(space.suggest(trial).ops, seed)
        spent += seconds
        if spent > budget and best > 0.0:
            break  # this training would not finish within the budget
        best, trainings = max(best, accuracy), trainings + 1
        study.tell(trial, accuracy)
    return best, trainings


def one_shot(setting, seed: int, args) -> list[dict]:
    objective = _objective(setting, seed, epochs=args.epochs)
    started = time.process_time()
    objective.pretrain()
    pretrain = time.process_time() - started
    rows = []
    for name in args.samplers:
        estimates: dict[Cell, float] = {}
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
            found, retrain = _retrain(estimates, setting, seed, k)
            rows.append(
                {
                    "method": f"one-shot {name}",
                    "seed": seed,
                    "k": k,
                    "accuracy": found,
                    "seconds": pretrain + search + retrain,
                    "pretrain_s": pretrain,
                    "per_candidate_s": float(np.mean(scored)),
                    "distinct": len(estimates),
                }
            )
    return rows


def enas(setting, seed: int, args) -> list[dict]:
    objective = _objective(setting, seed, mode="enas", enas_steps=args.enas_steps)
    study = optuna.create_study(direction="maximize", sampler=ReinforceSampler(seed=seed))
    started = time.process_time()
    study.optimize(objective, n_trials=args.enas_trials)
    search = time.process_time() - started
    late = study.trials[len(study.trials) // 2 :]
    estimates: dict[Cell, float] = {}
    for t in late:
        ops = objective.space.genotype(t.params).ops
        estimates[ops] = max(estimates.get(ops, 0.0), t.value)
    rows = []
    for k in args.top_k:
        found, retrain = _retrain(estimates, setting, seed, k)
        rows.append(
            {
                "method": "enas reinforce",
                "seed": seed,
                "k": k,
                "accuracy": found,
                "seconds": search + retrain,
                "per_candidate_s": search / len(study.trials),
                "distinct": len(estimates),
            }
        )
    return rows


def _with_regret(rows: list[dict], reference: float) -> list[dict]:
    """Each row with ``regret`` (points below ``reference``) after its accuracy."""
    out = []
    for row in rows:
        row = dict(row)
        accuracy = row.pop("accuracy")
        out.append(
            {
                **{k: row.pop(k) for k in ("method", "seed", "k") if k in row},
                **({"against": row.pop("against")} if "against" in row else {}),
                "accuracy": accuracy,
                "regret": 100 * (reference - accuracy),
                **row,
            }
        )
    return out


def _print(row: dict) -> None:
    print(
        json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}),
        flush=True,
    )


def main(args: argparse.Namespace) -> None:
    setting = SETTINGS[args.setting](args)
    print(json.dumps(setting.header()), flush=True)
    for seed in args.seeds:
        rows = one_shot(setting, seed, args)
        if args.enas_trials:
            rows += enas(setting, seed, args)
        for row in list(rows):
            for name in args.standalone or args.samplers:
                found, trainings = standalone(setting, name, seed, row["seconds"])
                rows.append(
                    {
                        "method": f"standalone {name}",
                        "seed": seed,
                        "k": row["k"],
                        "against": row["method"],
                        "accuracy": found,
                        "seconds": row["seconds"],
                        "trainings": trainings,
                    }
                )
        reference = setting.reference(seed, [row["accuracy"] for row in rows])
        for row in _with_regret(rows, reference):
            _print(row)
        summary = setting.summary(seed)
        if summary is not None:
            _print(summary)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--setting", choices=list(SETTINGS), default="table")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--top-k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--samplers", nargs="+", default=list(SAMPLERS), choices=list(SAMPLERS))
    parser.add_argument(
        "--standalone",
        nargs="+",
        choices=list(SAMPLERS),
        help="samplers of the standalone searches (default: --samplers)",
    )
    parser.add_argument("--enas-trials", type=int, default=500)
    parser.add_argument("--enas-steps", type=int, default=4)
    parser.add_argument(
        "--cells-cache",
        default=None,
        help="quickstart: JSON file of the trained cells' accuracy and seconds, per seed",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    main(args)
