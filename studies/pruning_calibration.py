"""Are PredictorPruner's two models (direct and chain, with the cells' ops) honest about their
error, overall and for the cells that end in a study's top 10%? Studies run without pruning
(so every curve is whole); for every fourth trial from the 40th on, each model learns from the
trials before it and predicts the trial's final accuracy after epoch 1 and 2. Printed: the mean
and spread of z = (final - predicted) / predicted error, which an honest model keeps near 0 and
1, and how often z > 2.33 (a top cell that a threshold of 0.01 would have stopped).

    python studies/pruning_calibration.py --sampler tpe --seeds 8
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import optuna
from pruning_bound import one_hot_ops
from pruning_online import Chain, Direct
from scipy.special import ndtri

from optunas.benchmarks import TabularObjective, load_nb201_table

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sampler", default="tpe", choices=["tpe", "random"])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
    table = load_nb201_table(variant="pruning")
    curves = table.curves.astype(float)
    ops = one_hot_ops(np.arange(len(curves)))
    rules = {"direct": Direct(curves, ops), "chain": Chain(curves, ops)}
    z: dict[tuple[str, int, bool], list[float]] = {(n, k, top): [] for n in rules for k in (1, 2) for top in (False, True)}
    for seed in range(args.seeds):
        sampler = (optuna.samplers.TPESampler(seed=seed, multivariate=True, group=True) if args.sampler == "tpe"
                   else optuna.samplers.RandomSampler(seed=seed))
        study = optuna.create_study(direction="maximize", sampler=sampler)
        study.optimize(TabularObjective(table), n_trials=200)
        rows = [table.lookup(t.user_attrs["genotype"])["index"] for t in study.trials]
        cut = np.percentile(curves[rows, -1], 90)
        for t in range(40, 200, 4):
            final = curves[rows[t], -1]
            for name, rule in rules.items():
                rule.learn([(r, curves.shape[1]) for r in rows[:t]])
                for k in (1, 2):
                    p = float(np.clip(rule.p_success(rows[t], k, final), 1e-12, 1 - 1e-12))
                    z[name, k, bool(final >= cut)].append(-float(ndtri(p)))
    print(f"{args.sampler}, {args.seeds} studies of 200 trials without pruning, table for pruners\n")
    print("| model | after epoch | cells | n | mean z | sd of z | share with z > 2.33 |\n|---|---|---|---|---|---|---|")
    for (name, k, top), values in z.items():
        v = np.array(values)
        print(f"| {name} | {k} | {'top 10%' if top else 'the rest'} | {len(v)} | {v.mean():+.2f} | {v.std():.2f} | "
              f"{np.mean(v > 2.326):.3f} |")
