"""How far can pruning go on a table's curves? Idealised pruners that no real pruner can beat
by much, to tell a pruner's shortfall from the curves' own limit.

    python studies/pruning_bound.py --table pruning --thresholds 0.002,0.01,0.03,0.05

Random search, ``--trials`` trials per study, ``--studies`` studies (proposals drawn uniformly
from the table's rows, as RandomSampler draws them). A trial may stop after epoch k
(k >= ``--warmup``) when the probability that its final accuracy beats the best completed trial
so far falls below the threshold. The probability comes from knowledge no pruner has: the
whole table. For each k, the final accuracy is regressed on the first k accuracies (and their
squares; with ``--choices`` also the cell's ops, one-hot per edge) over every distinct trained
curve; then

- ``normal``: the final is normal around the regression's prediction with the residual spread
  of that k (what PredictorPruner assumes, with a perfect fit);
- ``neighbours``: the share of the 200 other curves with the nearest prediction whose final
  reached the target (no normality, spread that depends on where the curve stands).

Printed per rule and threshold: epochs consumed (no pruning: trials x epochs) and the regret
lost against the same proposals without pruning, in percentage points, mean over studies.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.special import ndtr

from optunas.benchmarks import arch_ops, load_nb201_table
from optunas.benchmarks._nb201 import OPS

NEIGHBOURS = 200


def _design(curves: np.ndarray, k: int, extra: np.ndarray) -> np.ndarray:
    return np.column_stack([np.ones(len(curves)), curves[:, :k], curves[:, :k] ** 2, extra])


def one_hot_ops(rows: int) -> np.ndarray:
    """Each row's cell as features: one-hot of the op on each edge (what ``use_choices`` gives
    PredictorPruner)."""
    ops = np.array([[OPS.index(op) for op in arch_ops(i)] for i in range(rows)])
    return (ops[:, :, None] == np.arange(len(OPS))).reshape(rows, -1).astype(float)


def ridge(x: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, float]:
    """Ridge coefficients (one penalty per feature) and the mean squared leave-one-out residual."""
    inv = np.linalg.pinv(x.T @ x + np.diag(penalty))
    coef = inv @ x.T @ y
    hat = np.sum((x @ inv) * x, axis=1)
    loo = (y - x @ coef) / np.clip(1.0 - hat, 1e-6, None)
    return coef, float(np.mean(loo**2))


def learnt_laws(curves: np.ndarray, extra: np.ndarray, rows: np.ndarray, extra_ridge: float) -> list:
    """The normal rule as a learner would have it from the full curves of ``rows`` only: a
    ridge fit (penalty ``extra_ridge`` on ``extra``) and its leave-one-out error."""
    final, laws = curves[:, -1], []
    for k in range(1, curves.shape[1]):
        design = _design(curves, k, extra)
        penalty = np.r_[0.0, np.full(2 * k, 1e-6), np.full(extra.shape[1], extra_ridge)]
        coef, mse = ridge(design[rows], final[rows], penalty)
        sd = math.sqrt(mse)
        laws.append(lambda i, target, p=design @ coef, sd=sd: float(ndtr((p[i] - target) / sd)))
    return laws


def success_laws(curves: np.ndarray, extra: np.ndarray | None = None) -> dict[str, list]:
    """For each rule and each k = 1..epochs-1, a function (row, target) -> P(final >= target);
    ``extra`` holds more features per row (the cell's ops)."""
    _, distinct = np.unique(curves, axis=0, return_index=True)  # equivalent cells counted once
    final = curves[:, -1]
    extra = np.zeros((len(curves), 0)) if extra is None else extra
    laws: dict[str, list] = {"normal": [], "neighbours": []}
    for k in range(1, curves.shape[1]):
        design = _design(curves, k, extra)
        coef = np.linalg.lstsq(design[distinct], final[distinct], rcond=None)[0]
        fitted, predicted = design[distinct] @ coef, design @ coef
        sd = float(np.std(final[distinct] - fitted))
        laws["normal"].append(lambda i, target, p=predicted, sd=sd: float(ndtr((p[i] - target) / sd)))
        order = np.argsort(fitted)
        start = np.clip(np.searchsorted(fitted[order], predicted) - NEIGHBOURS // 2, 0,
                        len(distinct) - NEIGHBOURS)
        near = np.sort(final[distinct][order][start[:, None] + np.arange(NEIGHBOURS)], axis=1)

        def share(i: int, target: float, near=near) -> float:
            reached = NEIGHBOURS - np.searchsorted(near[i], target) - (final[i] >= target)  # not itself
            return reached / (NEIGHBOURS - 1)

        laws["neighbours"].append(share)
    return laws


def simulate(curves: np.ndarray, law: list, threshold: float, warmup: int, draws: np.ndarray,
             startup: int = 5) -> tuple[float, float]:
    final = curves[:, -1]
    epochs = curves.shape[1]
    spent, lost = [], []
    for rows in draws:
        best, total = -np.inf, 0
        for t, i in enumerate(rows):
            stop = epochs
            if t >= startup:
                stop = next((k for k in range(warmup, epochs) if law[k - 1](i, best) < threshold), epochs)
            total += stop
            if stop == epochs:
                best = max(best, final[i])
        spent.append(total)
        lost.append(100 * (final[rows].max() - best))
    return float(np.mean(spent)), float(np.mean(lost))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", default="pruning", help="default, pruning, or a table's path")
    parser.add_argument("--thresholds", default="0.002,0.01,0.03,0.05,0.1")
    parser.add_argument("--warmups", default="1,2")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument("--choices", action="store_true",
                        help="the regression also knows each cell's ops (one-hot per edge)")
    parser.add_argument("--fit-rows", type=int, default=0,
                        help="fit the normal rule to this many random cells' full curves only (with "
                             "their leave-one-out error), as a learner shown that many would; "
                             "each of --repeats draws of cells")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ops-ridge", type=float, default=0.3, help="with --fit-rows: penalty on the ops")
    args = parser.parse_args()
    table = (load_nb201_table(variant=args.table) if args.table in ("default", "pruning")
             else load_nb201_table(args.table))
    curves = table.curves.astype(float)
    draws = np.random.default_rng(0).integers(0, len(curves), size=(args.studies, args.trials))
    extra = one_hot_ops(len(curves)) if args.choices else np.zeros((len(curves), 0))
    if args.fit_rows:
        _, distinct = np.unique(curves, axis=0, return_index=True)
        rng = np.random.default_rng(1)
        fits = [learnt_laws(curves, extra, rng.choice(distinct, args.fit_rows, replace=False), args.ops_ridge)
                for _ in range(args.repeats)]
        print(f"the normal rule learnt from {args.fit_rows} cells' full curves ({args.repeats} draws, "
              f"ops ridge {args.ops_ridge}); ", end="")
        rules = {"normal, learnt": fits}
    else:
        rules = {name: [law] for name, law in success_laws(curves, extra if args.choices else None).items()}
    print(f"table {args.table}: {args.studies} random-search studies of {args.trials} trials; "
          f"no pruning spends {args.trials * curves.shape[1]} epochs\n")
    print("| idealised rule | threshold | first decision after epoch | epochs consumed | regret lost (pp) |")
    print("|---|---|---|---|---|")
    for name, laws in rules.items():  # a rule learnt from a draw of cells: the mean over draws
        for warmup in map(int, args.warmups.split(",")):
            for threshold in map(float, args.thresholds.split(",")):
                spent, lost = np.mean([simulate(curves, law, threshold, warmup, draws) for law in laws], axis=0)
                print(f"| {name} | {threshold} | {warmup} | {spent:.0f} | {lost:.2f} |", flush=True)
