"""What lifts a one-shot supernet's ranking of NB201 cells on the table's setting, and the bound.

The table's setting (4 channels, one cell per stage, 1,000 MNIST-1D training signals, batches
of 100), so the table's final validation accuracy is the standalone truth. Each run trains one
supernet variant with its own short loop (AdamW, lr 0.01, cosine, as SupernetObjective's
``pretrain``) and reads every cell's estimate several ways from one evaluation each:

- ``acc``: validation accuracy of the path, batch norm recalibrated (SupernetObjective's value);
- ``loss``: minus its validation cross-entropy;
- ``loss+params``: the mean of the two ranks (the estimate's loss and the parameter count).

Variants (``--variant``):

- ``uniform``: one path per step, each edge's op uniform over the five ops (SPOS);
- ``no-none``: the same over the four ops other than ``none`` (a ``none`` edge is zero at
  evaluation, as in the standalone network, and its weights are never needed);
- ``few-shot``: ``no-none`` for half the epochs, then five copies, each with edge
  ``--split-edge`` fixed to one op, trained the other half split equally (the same total
  steps); a cell is scored by the copy of its op on that edge.

``noise`` retrains ``--cells`` random cells standalone in the table's recipe with another
seed (weights and batch order) and prints tau between the two trainings: the ceiling any
estimate of a single-seed table can reach.

    python studies/supernet_ranking.py run --variant uniform --epochs 200 --seeds 0 1 --cells 200
    python studies/supernet_ranking.py noise --cells 200

One ``run`` of 200 epochs and 200 cells takes about 40 s of one core on the 2-core VM
(pretraining 25 s, 0.04 s per cell); ``noise`` 1.2 s per cell.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
from scipy import stats

from optunas.benchmarks import SETTING, arch_index, arch_ops, load_nb201_table
from optunas.evaluation._supernet import _accuracy_and_loss
from optunas.nn import NB201_OPS, NB201Network, NB201Supernet, recalibrate_batchnorm

OPS = tuple(NB201_OPS)


def _cells(n: int, seed: int) -> list[tuple[str, ...]]:
    rng = np.random.default_rng(seed)
    return [arch_ops(int(i)) for i in rng.choice(15625, size=n, replace=False)]


def _train(
    supernet: NB201Supernet,
    data,
    epochs: int,
    seed: int,
    ops: tuple[str, ...],
    fixed: dict[int, str] | None = None,
    start: int = 0,
    total: int | None = None,
) -> None:
    """Train ``epochs`` epochs from epoch ``start`` of a cosine over ``total`` epochs."""
    recipe = SETTING.recipe
    x, y = data.train.tensors
    steps = math.ceil(len(y) / recipe.batch_size)
    total_steps = (total or epochs) * steps
    opt = torch.optim.AdamW(supernet.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    supernet.train()
    step = start * steps
    for epoch in range(start, start + epochs):
        generator = torch.Generator().manual_seed(seed * 100_003 + epoch)
        order = torch.randperm(len(y), generator=generator)
        for k in range(steps):
            index = order[k * recipe.batch_size : (k + 1) * recipe.batch_size]
            picks = torch.randint(len(ops), (6,), generator=generator)
            path = [ops[int(i)] for i in picks]
            for edge, op in (fixed or {}).items():
                path[edge] = op
            lr = recipe.lr * 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
            for group in opt.param_groups:
                group["lr"] = lr
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(supernet(x[index], path), y[index]).backward()
            opt.step()
            step += 1


def _score(supernet: NB201Supernet, data, cells, batches: int = 4) -> tuple[list, list]:
    x, _ = data.train.tensors
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    calibration = [x[order[k * 100 : (k + 1) * 100]] for k in range(batches)]
    accs, losses = [], []
    for ops in cells:
        net = recalibrate_batchnorm(supernet.network(ops), calibration)
        acc, loss = _accuracy_and_loss(net, data.valid)
        accs.append(acc)
        losses.append(loss)
    return accs, losses


def _tau(a, b) -> float:
    return float(stats.kendalltau(a, b).statistic)


def _overlap(estimate, truth, share: float = 0.1) -> int:
    k = max(1, round(len(truth) * share))
    return len(set(np.argsort(truth)[-k:]) & set(np.argsort(estimate)[-k:]))


def run(args: argparse.Namespace) -> None:
    data = SETTING.dataset()
    table = load_nb201_table()
    cells = _cells(args.cells, args.cell_seed)
    rows = [table.index(c) for c in cells]
    truth, params = table.valid[rows], table.params[rows]
    results = []
    for seed in args.seeds:
        started = time.perf_counter()
        torch.manual_seed(seed)
        supernet = NB201Supernet(1, 10, 1, channels=args.channels, cells_per_stage=1)
        ops = OPS if args.variant == "uniform" else tuple(op for op in OPS if op != "none")
        if args.variant == "few-shot":
            half = args.epochs // 2
            _train(supernet, data, half, seed, ops, total=args.epochs)
            accs, losses = np.zeros(len(cells)), np.zeros(len(cells))
            per_copy = (args.epochs - half) / len(OPS)
            for op in OPS:
                child = copy.deepcopy(supernet)
                # Each copy trains its share of the steps under a cosine of its own.
                _train(child, data, max(1, round(per_copy)), seed + 1, ops, {args.split_edge: op})
                mine = [i for i, c in enumerate(cells) if c[args.split_edge] == op]
                a, lo = _score(child, data, [cells[i] for i in mine], args.calibration_batches)
                accs[mine], losses[mine] = a, lo
        else:
            _train(supernet, data, args.epochs, seed, ops)
            accs, losses = _score(supernet, data, cells, args.calibration_batches)
        neg_loss = -np.asarray(losses)
        combined = stats.rankdata(neg_loss) + stats.rankdata(params)
        result = {
            "variant": args.variant,
            "epochs": args.epochs,
            "channels": args.channels,
            "seed": seed,
            "cells": len(cells),
            "tau_acc": _tau(accs, truth),
            "tau_loss": _tau(neg_loss, truth),
            "tau_loss+params": _tau(combined, truth),
            "tau_params": _tau(params, truth),
            "spearman_acc": float(stats.spearmanr(accs, truth).statistic),
            "spearman_loss": float(stats.spearmanr(neg_loss, truth).statistic),
            "spearman_loss+params": float(stats.spearmanr(combined, truth).statistic),
            "top10_acc": _overlap(accs, truth),
            "top10_loss": _overlap(neg_loss, truth),
            "top10_loss+params": _overlap(combined, truth),
            "seconds": time.perf_counter() - started,
        }
        print(
            json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in result.items()})
        )
        results.append(result)
    if len(results) > 1:  # mean, standard deviation and range over the seeds
        summary = {}
        for key in results[0]:
            if key.startswith(("tau", "spearman", "top10")):
                values = np.array([r[key] for r in results], dtype=float)
                summary[key] = (
                    f"{values.mean():.3f} sd {values.std(ddof=1):.3f} "
                    f"[{values.min():.3f}, {values.max():.3f}]"
                )
        print(json.dumps({"seeds": len(results), **summary}))


def noise(args: argparse.Namespace) -> None:
    """Retrain cells with another seed: how well one training of the table ranks another.
    Prints the figures so far every 10 cells, so a run cut short still says something."""
    data = SETTING.dataset()
    table = load_nb201_table()
    cells = _cells(args.cells, args.cell_seed)
    truth = table.valid[[table.index(c) for c in cells]]
    again = []
    for n, ops in enumerate(cells, 1):
        seed = 1_000_000 + arch_index(ops)
        torch.manual_seed(seed)
        net = NB201Network(ops, 1, 10, dims=1, channels=SETTING.channels, cells_per_stage=1)
        again.append(SETTING.recipe.train(net, data.train, data.valid, seed=seed))
        if n % 10 == 0 or n == len(cells):
            result = {
                "cells": n,
                "tau_seed_vs_seed": round(_tau(again, truth[:n]), 3),
                "spearman_seed_vs_seed": round(
                    float(stats.spearmanr(again, truth[:n]).statistic), 3
                ),
            }
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=("run", "noise"))
    parser.add_argument("--variant", choices=("uniform", "no-none", "few-shot"), default="uniform")
    parser.add_argument("--epochs", type=int, default=200)
    parser.add_argument("--channels", type=int, default=SETTING.channels)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--cells", type=int, default=200)
    parser.add_argument("--cell-seed", type=int, default=1)
    parser.add_argument("--split-edge", type=int, default=3, help="few-shot: edge 3 is 0->3")
    parser.add_argument("--calibration-batches", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(1)
    run(args) if args.what == "run" else noise(args)
