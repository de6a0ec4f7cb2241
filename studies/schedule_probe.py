"""Does the table's learning-rate schedule decide how much early epochs say? A probe for a
second table aimed at pruners.

    python studies/schedule_probe.py --cells 200 --schedules onecycle,cosine,constant --workers 2
    python studies/schedule_probe.py --cells 200 --schedules cosine --train-subset 3200

Trains a random sample of canonical NB201 cells exactly as the shipped table does
(optunas.benchmarks.SETTING: same data, network, seed per cell), once per schedule, and prints
for each schedule the spread of final validation accuracy (does it still tell cells apart?)
and the Spearman correlation between the accuracy after epoch k and the final one (can a
pruner judge early?). The ``onecycle`` rows retrain the shipped table's own cells, which
checks the probe against the table.
"""

from __future__ import annotations

import argparse
import dataclasses
import multiprocessing

import numpy as np
import torch
from scipy.stats import spearmanr

from optunas.benchmarks import (
    NUM_ARCHS,
    SETTING,
    arch_index,
    arch_ops,
    canonical,
    load_nb201_table,
)
from optunas.nn import NB201Network

_DATA = None


def _init(train_subset: int) -> None:
    global _DATA
    torch.set_num_threads(1)
    _DATA = dataclasses.replace(SETTING, train_subset=train_subset).dataset()


def curve(job: tuple[int, str]) -> list[float]:
    index, schedule = job
    torch.manual_seed(index)  # as studies/make_nb201_table.py
    net = NB201Network(arch_ops(index), 1, 10, dims=1, channels=SETTING.channels,
                       cells_per_stage=SETTING.cells_per_stage)
    recipe = dataclasses.replace(SETTING.recipe, schedule=schedule)
    out: list[float] = []
    recipe.train(net, _DATA.train, _DATA.valid, seed=index, on_epoch=lambda e, acc: out.append(acc))
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--cells", type=int, default=300)
    parser.add_argument("--schedules", default="onecycle,cosine,constant")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--train-subset", type=int, default=SETTING.train_subset,
                        help="training signals (more signals = more optimiser steps per epoch)")
    args = parser.parse_args()
    cells = sorted({arch_index(canonical(arch_ops(i))) for i in range(NUM_ARCHS)})
    sample = [int(i) for i in np.random.default_rng(0).choice(cells, size=args.cells, replace=False)]
    table = load_nb201_table()
    epochs = SETTING.recipe.epochs
    ks = [k for k in (1, 2, 3, 5, 7) if k < epochs]
    print(f"{args.cells} random canonical cells, the table's setting with {args.train_subset} training "
          "signals, one schedule per row\n")
    print("| schedule | median final % | 90th pct % | best % | "
          + " | ".join(f"Spearman(epoch {k}, final)" for k in ks) + " |")
    print("|---|---|---|---|" + "---|" * len(ks))
    with multiprocessing.get_context("spawn").Pool(args.workers, initializer=_init,
                                                  initargs=(args.train_subset,)) as pool:
        for schedule in args.schedules.split(","):
            curves = np.array(pool.map(curve, [(i, schedule) for i in sample]))
            final = curves[:, -1]
            rhos = [spearmanr(curves[:, k - 1], final).statistic for k in ks]
            print(f"| {schedule} | {100 * np.median(final):.2f} | {100 * np.percentile(final, 90):.2f} | "
                  f"{100 * final.max():.2f} | " + " | ".join(f"{r:.2f}" for r in rhos) + " |", flush=True)
            if schedule == SETTING.recipe.schedule and args.train_subset == SETTING.train_subset:
                # Training is chaotic: float rounding (CPU kind, library build) moves single
                # curves, so the check is on the whole sample, not cell by cell.
                stored = table.curves[sample]
                diff = np.abs(stored - curves)
                print(f"  (check against the shipped table: |difference| of accuracies: largest "
                      f"{diff.max():.4f}, median {np.median(diff):.4f}; Spearman of final accuracies "
                      f"{spearmanr(stored[:, -1], final).statistic:.3f})", flush=True)
