"""How well, and how fast, a one-shot supernet ranks NB201 cells on MNIST-1D.

Two settings:

- ``table``: the NB201 x MNIST-1D table's own setting (4 channels, 1,000 training signals,
  batches of 100), so the table is the standalone truth. Pretrain, score ``--cells`` random
  cells, and print Kendall tau and Spearman of the estimates against the table's validation
  accuracy, beside what the parameter count alone gives on the same cells.
- ``quickstart``: the network users get by default (16 channels, 5,000 signals). Seconds
  per candidate of the supernet against a 1-epoch TrainObjective, and Kendall tau of the
  estimates against ``--standalone-epochs`` of standalone training on ``--cells`` cells.

    python studies/supernet_probe.py table --epochs 200 --cells 200 --sampling uniform
    python studies/supernet_probe.py quickstart --epochs 10 --cells 10 --standalone-epochs 3
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
from scipy import stats

from optunas.benchmarks import SETTING, arch_ops, load_nb201_table
from optunas.data import load_mnist1d
from optunas.evaluation import SupernetObjective, TrainObjective, n_parameters
from optunas.spaces import NB201, NB201Genotype


def _cells(n: int, seed: int) -> list[tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    return [arch_ops(int(i)) for i in rng.choice(15625, size=n, replace=False)]


def _score(objective, space: NB201, cells, with_loss: bool = False) -> tuple:
    study = optuna.create_study(direction="maximize")
    for ops in cells:
        study.enqueue_trial(space.params(NB201Genotype(ops)))
    started = time.perf_counter()
    study.optimize(objective, n_trials=len(cells))
    seconds = (time.perf_counter() - started) / len(cells)
    result = (
        [t.value for t in study.trials],
        [n_parameters(t) for t in study.trials],
        seconds,
    )
    if with_loss:
        result += ([t.user_attrs["supernet_valid_loss"] for t in study.trials],)
    return result


def _top_overlap(estimate, truth, share: float = 0.1) -> tuple[int, int]:
    k = max(1, round(len(truth) * share))
    top_truth = set(np.argsort(truth)[-k:])
    top_estimate = set(np.argsort(estimate)[-k:])
    return len(top_truth & top_estimate), k


def table(args: argparse.Namespace) -> dict:
    # --channels wider than the table's 4 asks whether a wider supernet ranks the narrow cells
    # better: the estimate comes from the wide weights, the truth from the table.
    space = NB201(
        channels=args.channels or SETTING.channels, cells_per_stage=SETTING.cells_per_stage
    )
    data = SETTING.dataset()
    path = os.path.join(tempfile.mkdtemp(), "supernet.pt")
    objective = SupernetObjective(
        space,
        data,
        checkpoint=path,
        epochs=args.epochs,
        batch_size=SETTING.recipe.batch_size,
        lr=args.lr,
        optimizer=args.optimizer,
        sampling=args.sampling,
        calibration_batches=args.calibration_batches,
        seed=args.seed,
    )
    started = time.perf_counter()
    objective.pretrain()
    pretrain_seconds = time.perf_counter() - started
    cells = _cells(args.cells, args.seed + 1)
    estimates, params, per_cell, losses = _score(objective, space, cells, with_loss=True)
    table_ = load_nb201_table()
    truth = table_.valid[[table_.index(c) for c in cells]]
    params = table_.params[[table_.index(c) for c in cells]]  # the table's, at its width
    hits, k = _top_overlap(estimates, truth)
    return {
        "setting": "table",
        "epochs": args.epochs,
        "sampling": args.sampling,
        "seed": args.seed,
        "cells": len(cells),
        "lr": args.lr,
        "calibration_batches": args.calibration_batches,
        "kendall": stats.kendalltau(estimates, truth).statistic,
        "spearman": stats.spearmanr(estimates, truth).statistic,
        "kendall_loss": stats.kendalltau([-v for v in losses], truth).statistic,
        "kendall_params": stats.kendalltau(params, truth).statistic,
        "top10_overlap": f"{hits}/{k}",
        "channels": space.channels,
        "optimizer": args.optimizer,
        "pretrain_seconds": pretrain_seconds,
        "seconds_per_candidate": per_cell,
    }


def quickstart(args: argparse.Namespace) -> dict:
    space = NB201()  # 16 channels, one cell per stage: the default
    data = load_mnist1d(seed=args.seed)
    path = os.path.join(tempfile.mkdtemp(), "supernet.pt")
    objective = SupernetObjective(
        space,
        data,
        checkpoint=path,
        epochs=args.epochs,
        lr=args.lr,
        sampling=args.sampling,
        seed=args.seed,
    )
    started = time.perf_counter()
    objective.pretrain()
    pretrain_seconds = time.perf_counter() - started
    cells = _cells(args.cells, args.seed + 1)
    estimates, params, per_cell = _score(objective, space, cells)
    one_epoch = TrainObjective(space, data, epochs=1, seed=args.seed)
    _, _, per_training = _score(one_epoch, space, cells[:3])
    standalone_objective = TrainObjective(
        space, data, epochs=args.standalone_epochs, seed=args.seed
    )
    standalone, _, _ = _score(standalone_objective, space, cells)
    return {
        "setting": "quickstart",
        "epochs": args.epochs,
        "sampling": args.sampling,
        "seed": args.seed,
        "cells": len(cells),
        "standalone_epochs": args.standalone_epochs,
        "kendall": stats.kendalltau(estimates, standalone).statistic,
        "kendall_params": stats.kendalltau(params, standalone).statistic,
        "pretrain_seconds": pretrain_seconds,
        "seconds_per_candidate": per_cell,
        "seconds_per_1_epoch_training": per_training,
        "estimates": [round(v, 4) for v in estimates],
        "standalone": [round(v, 4) for v in standalone],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("setting", choices=("table", "quickstart"))
    parser.add_argument("--epochs", type=int, default=200, help="supernet pretraining epochs")
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--sampling", choices=("uniform", "fair"), default="uniform")
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--optimizer", choices=("adamw", "adam", "sgd"), default="adamw")
    parser.add_argument(
        "--channels",
        type=int,
        default=None,
        help="supernet width in the table setting (default: the table's)",
    )
    parser.add_argument("--calibration-batches", type=int, default=4)
    parser.add_argument("--standalone-epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (tiny networks: 1 is fastest on a shared CPU)",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = table(args) if args.setting == "table" else quickstart(args)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in result.items()}))
