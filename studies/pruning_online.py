"""Can a pruner that learns within one study close the gap to the idealised ones? A fast
simulation of random-search studies on the table, in which each rule learns only from what the
study has seen so far (finished trials' curves, pruned trials' partial curves, every trial's
cell), to try learning rules before building them into PredictorPruner.

    python studies/pruning_online.py --studies 60 --rules direct:threshold=0.01 chain:threshold=0.002

Rules (each prunes after epoch k >= ``warmup`` when P(final >= best finished so far) falls
below ``threshold``; no decision before 5 trials and 10 finished ones):

- ``median``: a yardstick, what MedianPruner does (below the finished trials' median at that
  epoch; 5 finished trials suffice);

- ``direct``: what ``PredictorPruner(use_choices=True)`` does: a ridge regression of the final
  accuracy on the first k accuracies, their differences and the cell's ops (one-hot per edge,
  penalty ``choice_ridge``), fitted on the finished trials; leave-one-out error.
- ``chain``: one regression per epoch, of the accuracy after epoch s+1 on the ``lags`` previous
  ones and the ops, fitted on every trial that got that far (pruned ones too, so the ops'
  effect is learnt from many more trials); the final is predicted by running the chain from
  epoch k, and its variance is the sum of each link's leave-one-out variance times the squared
  effect of that link on the final.

``choice_ridge=1e9`` removes the ops. With ``--prior-cells N`` the ops are replaced by one
feature learnt beforehand from another study: N random cells of ``--prior-table`` (another
training recipe for the same cells), whose final accuracy is regressed on the ops; the cell's
score under that regression (times 10) is the rule's only choice feature (give the rules a small
``choice_ridge``, e.g. 0.001). Printed: epochs consumed and regret lost (pp) against the
same proposals without pruning, mean ± standard error over studies.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from pruning_bound import one_hot_ops, pool, ridge
from scipy.special import ndtr

from optunas.benchmarks import load_nb201_table


class Direct:
    def __init__(self, curves, ops, threshold=0.01, choice_ridge=1.0, warmup=1):
        self.c, self.z, self.threshold, self.choice_ridge, self.warmup = (
            curves,
            ops,
            threshold,
            choice_ridge,
            warmup,
        )

    def _row(self, values: np.ndarray, z: np.ndarray) -> np.ndarray:
        return np.concatenate([[1.0], values, np.diff(values), z])

    def learn(self, seen: list[tuple[int, int]]) -> None:
        self.finished = [i for i, length in seen if length == self.c.shape[1]]

    def p_success(self, i: int, k: int, best: float) -> float:
        x = np.array([self._row(self.c[j, :k], self.z[j]) for j in self.finished])
        penalty = np.r_[0.0, np.full(2 * k - 1, 1e-3), np.full(self.z.shape[1], self.choice_ridge)]
        coef, mse = ridge(x, self.c[self.finished, -1], penalty)
        return float(
            ndtr((self._row(self.c[i, :k], self.z[i]) @ coef - best) / math.sqrt(mse + 1e-10))
        )


class Chain:
    def __init__(self, curves, ops, threshold=0.002, choice_ridge=1.0, lags=3, warmup=1):
        self.c, self.z, self.threshold, self.choice_ridge = curves, ops, threshold, choice_ridge
        self.lags, self.warmup = lags, warmup

    def _row(self, values: np.ndarray, s: int, z: np.ndarray) -> np.ndarray:
        return np.concatenate([[1.0], values[max(0, s - self.lags) : s], z])

    def learn(self, seen: list[tuple[int, int]]) -> None:
        self.links = {}
        for s in range(1, self.c.shape[1]):
            rows = [i for i, length in seen if length > s]
            x = np.array([self._row(self.c[i], s, self.z[i]) for i in rows])
            penalty = np.r_[
                0.0, np.full(min(s, self.lags), 1e-3), np.full(self.z.shape[1], self.choice_ridge)
            ]
            self.links[s] = ridge(x, self.c[rows, s], penalty)

    def _run(self, values: np.ndarray, z: np.ndarray, k: int, nudge: int | None = None) -> float:
        v = list(values[:k])
        for s in range(k, self.c.shape[1]):
            v.append(float(self._row(np.array(v), s, z) @ self.links[s][0]) + (s == nudge))
        return v[-1]

    def p_success(self, i: int, k: int, best: float) -> float:
        mean = self._run(self.c[i], self.z[i], k)
        var = sum(
            (self._run(self.c[i], self.z[i], k, s) - mean) ** 2 * self.links[s][1]
            for s in range(k, self.c.shape[1])
        )
        return float(ndtr((mean - best) / math.sqrt(var + 1e-10)))


class Median:
    """A yardstick: what ``optuna.pruners.MedianPruner(n_startup_trials=5,
    n_warmup_steps=n_warmup_steps)`` does when epoch k is reported as step k - 1: stop when the
    accuracy is below the median of the finished trials' at that epoch."""

    min_finished, threshold = 5, 0.5

    def __init__(self, curves, ops, n_warmup_steps=2):
        self.c, self.warmup = curves, n_warmup_steps + 1

    def learn(self, seen: list[tuple[int, int]]) -> None:
        self.finished = [i for i, length in seen if length == self.c.shape[1]]

    def p_success(self, i: int, k: int, best: float) -> float:
        return float(self.c[i, k - 1] >= np.median(self.c[self.finished, k - 1]))


def simulate(rule, rows: np.ndarray, startup: int = 5) -> tuple[int, float]:
    final, epochs = rule.c[:, -1], rule.c.shape[1]
    min_finished = getattr(rule, "min_finished", 10)
    seen: list[tuple[int, int]] = []
    best, total = -np.inf, 0
    for t, i in enumerate(rows):
        stop = epochs
        if t >= startup and sum(length == epochs for _, length in seen) >= min_finished:
            rule.learn(seen)
            stop = next(
                (
                    k
                    for k in range(max(1, rule.warmup), epochs)
                    if rule.p_success(i, k, best) < rule.threshold
                ),
                epochs,
            )
        seen.append((i, stop))
        total += stop
        if stop == epochs:
            best = max(best, final[i])
    return total, 100 * (final[rows].max() - best)


if __name__ == "__main__":
    from sweep import build

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--table", default="pruning", help="default or pruning")
    parser.add_argument("--rules", nargs="+", default=["direct:", "chain:"])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--studies", type=int, default=60)
    parser.add_argument(
        "--prior-cells", type=int, default=0, help="learn the ops' effect from this many cells"
    )
    parser.add_argument(
        "--prior-table", default="default", help="of this table (default or pruning)"
    )
    parser.add_argument(
        "--curves",
        nargs="+",
        default=[],
        help="population_probe.py OUT files: studies draw from their cells and curves",
    )
    parser.add_argument(
        "--table-curves",
        action="store_true",
        help="with --curves: those cells, with --table's curves",
    )
    args = parser.parse_args()
    curves, rows, source = pool(args.table, args.curves, args.table_curves)
    table_ops = one_hot_ops(np.arange(len(load_nb201_table(variant=args.table).curves)))
    ops = table_ops[rows]
    draws = np.random.default_rng(0).integers(0, len(curves), size=(args.studies, args.trials))

    def choice_features(study: int) -> np.ndarray:
        """The cells' features for one study: one-hot ops, or their score under the prior."""
        if not args.prior_cells:
            return ops
        prior = load_nb201_table(variant=args.prior_table).curves.astype(float)
        cells = np.random.default_rng(100 + study).integers(0, len(prior), args.prior_cells)
        design = np.column_stack([np.ones(len(cells)), table_ops[cells]])
        coef, _ = ridge(design, prior[cells, -1], np.r_[0.0, np.full(ops.shape[1], 1.0)])
        return 10 * (ops @ coef[1:])[:, None]

    print(
        f"{source}: {args.studies} random-search studies of {args.trials} trials; "
        f"no pruning spends {args.trials * curves.shape[1]} epochs"
        + (
            f"; the ops as a score learnt from {args.prior_cells} cells of table {args.prior_table}"
            if args.prior_cells
            else ""
        )
        + "\n"
    )
    if args.prior_cells:  # how alike the two tables rank the ops, each learnt from all its cells
        effects = []
        for table in (args.table, args.prior_table):
            finals = load_nb201_table(variant=table).curves[:, -1].astype(float)
            coef = np.linalg.lstsq(
                np.column_stack([np.ones(len(table_ops)), table_ops]), finals, rcond=None
            )[0][1:]
            effects.append(
                (coef.reshape(6, -1) - coef.reshape(6, -1).mean(axis=1, keepdims=True)).ravel()
            )
        print(
            f"the ops' effects on the final, table {args.table} against {args.prior_table}: "
            f"correlation {np.corrcoef(*effects)[0, 1]:.3f}\n"
        )
    print("| rule | epochs consumed | regret lost (pp) |\n|---|---|---|")
    for spec in args.rules:
        out = np.array(
            [
                simulate(
                    build(
                        spec,
                        {"direct": Direct, "chain": Chain, "median": Median},
                        curves=curves,
                        ops=choice_features(j),
                    ),
                    rows,
                )
                for j, rows in enumerate(draws)
            ]
        )
        se = out.std(axis=0, ddof=1) / math.sqrt(len(out))
        print(
            f"| {spec} | {out[:, 0].mean():.0f} ± {se[0]:.0f} | {out[:, 1].mean():.2f} ± {se[1]:.2f} |",
            flush=True,
        )
