"""How well a one-shot supernet ranks the Fashion-MNIST truth set's cells, beside the
parameter count and SynFlow.

    python studies/fmnist_supernet.py [--epochs 50] [--seed 0]

The supernet is the shipped ``SupernetObjective`` at its defaults (uniform paths without
``none``, 4 batch-norm calibration batches) on the truth set's own setting: NB201 cells of
16 channels, one per stage, 14x14 Fashion-MNIST, the same 10,000 training and 10,000
validation images. It is pretrained once, then every truth cell is scored through a study
(``study.enqueue_trial``), as a user's study scores them. Each ranking is compared with the
truth (the mean of the two trainings) by Kendall tau, Spearman rho and the overlap of the top
10 %, and the truth set's own self-agreement is printed beside them: the ceiling. Results go
to studies/results/fmnist_supernet.json, one entry per (epochs, seed).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import optuna
import torch
from fmnist_setting import SETTINGS, splits, truth_set
from scipy.stats import kendalltau, spearmanr

from optunas.data import Dataset
from optunas.evaluation import SupernetObjective, synflow
from optunas.nn import count_params
from optunas.spaces import NB201

RESULTS = Path(__file__).resolve().parent / "results" / "fmnist_supernet.json"


def _agreement(estimate: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    top = max(1, round(0.1 * len(truth)))
    best = set(np.argsort(-truth)[:top]) & set(np.argsort(-estimate)[:top])
    return {
        "kendall": float(kendalltau(estimate, truth)[0]),
        "spearman": float(spearmanr(estimate, truth)[0]),
        "top10_overlap": len(best) / top,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--setting", default="c16-n1-s14-10k-e5")
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    truth = truth_set(args.setting)  # every cell trained with both seeds so far
    setting = SETTINGS[args.setting]
    train, valid = splits(setting)
    side = setting.side
    dataset = Dataset("fashion_mnist", train, valid, valid, (1, side, side), 10)
    space = NB201(channels=setting.channels, cells_per_stage=setting.cells_per_stage)
    genotypes = truth.genotypes()

    with tempfile.TemporaryDirectory() as folder:
        objective = SupernetObjective(
            space,
            dataset,
            checkpoint=Path(folder) / "supernet.pt",
            epochs=args.epochs,
            seed=args.seed,
            draw=False,
        )
        start = time.process_time()
        objective.pretrain()
        pretrain_s = time.process_time() - start
        study = optuna.create_study(direction="maximize")
        for genotype in genotypes:
            study.enqueue_trial(space.params(genotype))
        start = time.process_time()
        study.optimize(objective, n_trials=len(genotypes))
        score_s = (time.process_time() - start) / len(genotypes)
    estimate = np.array([t.value for t in study.trials])

    networks = [space.build(g, (1, side, side), 10) for g in genotypes]
    params = np.array([count_params(n) for n in networks], dtype=float)
    flow = np.array([synflow(n, (1, side, side)) for n in networks])
    result = {
        "epochs": args.epochs,
        "seed": args.seed,
        "cells": len(truth),
        "ceiling": truth.self_agreement(),
        "supernet": _agreement(estimate, truth.valid),
        "params": _agreement(params, truth.valid),
        "synflow": _agreement(flow, truth.valid),
        "pretrain_cpu_s": round(pretrain_s, 1),
        "score_cpu_s_per_cell": round(score_s, 2),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(json.dumps(result, indent=1))
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    key = (args.epochs, args.seed, len(truth))
    runs = [r for r in runs if (r["epochs"], r["seed"], r["cells"]) != key] + [result]
    RESULTS.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
