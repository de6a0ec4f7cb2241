"""How well a one-shot supernet ranks the Fashion-MNIST truth set's cells, beside the
parameter count and SynFlow.

    python studies/fmnist_supernet.py [--epochs 50] [--seed 0] [--sampling uniform] [--cells N]

The supernet is the shipped ``SupernetObjective`` at its defaults (uniform paths without
``none``, 4 batch-norm calibration batches) on the truth set's own setting: NB201 cells of
16 channels, one per stage, 14x14 Fashion-MNIST, the same 10,000 training and 10,000
validation images. It is pretrained once, then every truth cell is scored through a study
(``study.enqueue_trial``), as a user's study scores them. Each ranking is compared with the
truth (the mean of the two trainings) by Kendall tau, Spearman rho and the overlap of the top
10 %, and the truth set's own self-agreement is printed beside them: the ceiling. Results go
to studies/results/fmnist_supernet.json, one entry per (epochs, sampling, seed), with every
cell's score (studies/fmnist_oneshot.py searches with them).

Resumable as the truth set grows: the pretrained weights stay in
studies/results/fmnist_supernet_work/ (ignored by git), and a rerun scores only the truth cells
its entry lacks. ``--cells N`` scores the first N truth cells only.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import optuna
import torch
from fmnist_setting import SEEDS, SETTINGS, search_inputs, train_one, truth_set
from scipy.stats import kendalltau, rankdata, spearmanr

from optunas.benchmarks import arch_ops
from optunas.evaluation import SUPERNET_SAMPLINGS, SupernetObjective, synflow
from optunas.nn import count_params
from optunas.spaces import NB201Genotype

RESULTS = Path(__file__).resolve().parent / "results" / "fmnist_supernet.json"
WORK = RESULTS.parent / "fmnist_supernet_work"
#: Truth rows timed on one machine, with the supernets of seeds 0 to 2 (the earlier rows ran on
#: others, some without channels-last): their mean CPU is a training's cost on that machine.
TIMED_TOGETHER = slice(180, 500)
#: The rows retrained to put a training's cost on another machine in those units.
REFERENCE_ROWS = (496, 497, 498, 499)


def training_cpu_s(entry: dict, truth) -> float:
    """A standalone training's mean CPU seconds on the machine that ran ``entry``: measured
    there on the reference rows when the entry holds them, else the rows timed together."""
    together = float(truth.cpu_seconds[TIMED_TOGETHER].mean())
    if "reference_cpu_s" not in entry:
        return together
    recorded = float(truth.cpu_seconds[list(REFERENCE_ROWS), 0].mean())
    return together * entry["reference_cpu_s"] / recorded


def _time_reference_rows(setting_name: str, truth) -> float:
    """The mean CPU of training the reference rows' cells here (their first seed: a cell's
    two trainings cost the same)."""
    runs = [
        train_one(SETTINGS[setting_name], int(truth.cells[row]), SEEDS[0]) for row in REFERENCE_ROWS
    ]
    return float(np.mean([run["cpu_s"] for run in runs]))


def _agreement(estimate: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    top = max(1, round(0.1 * len(truth)))
    best = set(np.argsort(-truth)[:top]) & set(np.argsort(-estimate)[:top])
    return {
        "kendall": float(kendalltau(estimate, truth)[0]),
        "spearman": float(spearmanr(estimate, truth)[0]),
        "top10_overlap": len(best) / top,
    }


def _key(entry: dict) -> tuple[int, int, str, str]:
    """An entry's identity; entries written before sampling was a choice are uniform's."""
    return entry["epochs"], entry["seed"], entry["setting"], entry.get("sampling", "uniform")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sampling", choices=SUPERNET_SAMPLINGS, default="uniform")
    parser.add_argument("--setting", default="c16-n1-s14-10k-e5")
    parser.add_argument("--cells", type=int, default=None, help="score the first N cells only")
    args = parser.parse_args()
    torch.set_num_threads(1)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    truth = truth_set(args.setting)  # every cell trained with both seeds so far
    space, dataset = search_inputs(SETTINGS[args.setting])
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    key = (args.epochs, args.seed, args.setting, args.sampling)
    entry = next((r for r in runs if _key(r) == key), {})
    scores: dict[str, float] = dict(entry.get("scores", {}))
    losses: dict[str, float] = dict(entry.get("losses", {}))

    WORK.mkdir(parents=True, exist_ok=True)
    objective = SupernetObjective(
        space,
        dataset,
        checkpoint=WORK / f"{args.setting}-e{args.epochs}-{args.sampling}-s{args.seed}.pt",
        epochs=args.epochs,
        sampling=args.sampling,
        seed=args.seed,
        draw=False,
    )
    start = time.process_time()
    if objective.pretrain():  # the epochs trained here: none once the checkpoint holds them all
        spent = time.process_time() - start  # a resumed pretraining adds to the earlier part
        entry["pretrain_cpu_s"] = round(entry.get("pretrain_cpu_s", 0.0) + spent, 1)
    if "reference_cpu_s" not in entry:  # one-shot search charges trainings at this machine's cost
        entry["reference_cpu_s"] = round(_time_reference_rows(args.setting, truth), 2)
    wanted = [str(c) for c in truth.cells[: args.cells]]
    missing = [c for c in wanted if c not in scores or c not in losses]
    if missing:
        study = optuna.create_study(direction="maximize")
        for cell in missing:
            study.enqueue_trial(space.params(NB201Genotype(arch_ops(int(cell)))))
        start = time.process_time()
        study.optimize(objective, n_trials=len(missing))
        entry["score_cpu_s_per_cell"] = round((time.process_time() - start) / len(missing), 2)
        scores.update({c: float(t.value) for c, t in zip(missing, study.trials)})
        losses.update(
            {c: t.user_attrs["supernet_valid_loss"] for c, t in zip(missing, study.trials)}
        )
    rows = np.flatnonzero(np.isin(truth.cells.astype(str), wanted))
    estimate = np.array([scores[str(c)] for c in truth.cells[rows]])
    loss = np.array([losses[str(c)] for c in truth.cells[rows]])
    target = truth.valid[rows]

    networks = [space.build(g, dataset.input_shape, 10) for g in np.array(truth.genotypes())[rows]]
    params = np.array([count_params(n) for n in networks], dtype=float)
    flow = np.array([synflow(n, dataset.input_shape) for n in networks])
    entry.update(
        {
            "setting": args.setting,
            "epochs": args.epochs,
            "sampling": args.sampling,
            "seed": args.seed,
            "cells": len(rows),
            "ceiling": truth.self_agreement(),
            "supernet": _agreement(estimate, target),
            "supernet_loss": _agreement(-loss, target),
            # The reading that ranked best on the MNIST-1D table: the mean of the two ranks.
            "supernet_loss_and_params": _agreement(-rankdata(loss) + rankdata(params), target),
            "params": _agreement(params, target),
            "synflow": _agreement(flow, target),
            "date": time.strftime("%Y-%m-%d"),
        }
    )
    print(json.dumps({k: v for k, v in entry.items() if k not in ("scores", "losses")}, indent=1))
    entry["scores"], entry["losses"] = scores, losses
    # Read again: another seed's run may have written its entry meanwhile.
    runs = json.loads(RESULTS.read_text()) if RESULTS.exists() else []
    runs = [r for r in runs if _key(r) != key] + [entry]
    RESULTS.write_text(json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
