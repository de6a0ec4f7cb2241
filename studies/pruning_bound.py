"""How far can pruning go on a table's curves? Idealised pruners that no real pruner can beat
by much, to tell a pruner's shortfall from the curves' own limit.

    python studies/pruning_bound.py --table pruning --thresholds 0.002,0.01,0.03,0.05

Random search, ``--trials`` trials per study, ``--studies`` studies (proposals drawn uniformly
from the table's rows, as RandomSampler draws them; with ``--sampler tpe``, the cells TPE
proposes in studies without pruning, seeds ``--seed-offset`` on, which approximates what it
would propose with pruning). A trial may stop after epoch k (k >= ``--warmup``) when the probability that its final accuracy beats the best completed trial
so far falls below the threshold. The probability comes from knowledge no pruner has: the
whole table. For each k, the final accuracy is regressed on the first k accuracies (and their
squares; with ``--choices`` also the cell's ops, one-hot per edge) over every distinct trained
curve; then

- ``normal``: the final is normal around the regression's prediction with the residual spread
  of that k (what PredictorPruner assumes, with a perfect fit);
- ``neighbours``: the share of the 200 other curves with the nearest prediction whose final
  reached the target (no normality, spread that depends on where the curve stands);
- with ``--expected-improvement``, the normal law's expected improvement over the target,
  E[max(final - target, 0)] in percentage points, against a threshold in pp: a trial that can
  only just beat the best is worth less than one that could beat it by a point.

Printed per rule and threshold: epochs consumed (no pruning: trials x epochs) and the regret
lost against the same proposals without pruning, in percentage points, mean over studies.
"""

from __future__ import annotations

import argparse
import math

import numpy as np
from scipy.special import ndtr
from scipy.stats import spearmanr

from optunas.benchmarks import arch_ops, load_nb201_table
from optunas.benchmarks._nb201 import OPS

NEIGHBOURS = 200


def _design(curves: np.ndarray, k: int, extra: np.ndarray, window: int | None = None) -> np.ndarray:
    seen = curves[:, :k] if window is None else curves[:, max(0, k - window) : k]
    return np.column_stack([np.ones(len(curves)), seen, seen**2, extra])


def one_hot_ops(rows: np.ndarray) -> np.ndarray:
    """The cells of these table rows as features: one-hot of the op on each edge (what
    ``use_choices`` gives PredictorPruner)."""
    ops = np.array([[OPS.index(op) for op in arch_ops(int(i))] for i in rows])
    return (ops[:, :, None] == np.arange(len(OPS))).reshape(len(rows), -1).astype(float)


def pool(
    table: str, files: list[str], from_table: bool = False, cells: int = 0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, str]:
    """The curves a study draws its trials from, each curve's table row, and their name: the
    whole table; or the cells of studies/population_probe.py OUT files with their own curves
    (with ``from_table``, the table's curves of those cells, to compare the two on one pool);
    or ``cells`` random canonical cells of the table (drawn as population_probe.py draws them),
    to see how much a pool that small moves the figures."""
    whole = (
        load_nb201_table(variant=table)
        if table in ("default", "pruning")
        else load_nb201_table(table)
    )
    if cells:
        rows = np.unique(
            np.random.default_rng(seed).choice(np.unique(whole.canonical), cells, replace=False)
        )
        return (
            whole.curves[rows].astype(float),
            rows,
            f"{cells} random cells (seed {seed}) of table {table}",
        )
    if not files:
        return whole.curves.astype(float), np.arange(len(whole.curves)), f"table {table}"
    probes = [np.load(f) for f in files]
    rows, first = np.unique(np.concatenate([p["rows"] for p in probes]), return_index=True)
    name = f"the {len(rows)} cells of {' '.join(files)}, "
    if from_table:
        return whole.curves[rows].astype(float), rows, name + f"table {table}'s curves"
    return (
        np.concatenate([p["curves"] for p in probes])[first].astype(float),
        rows,
        name + "their own curves",
    )


def rank_signal(curves: np.ndarray) -> str:
    """Spearman(accuracy after a share of the epochs, final accuracy) over the distinct curves."""
    distinct = np.unique(curves, axis=0)
    epochs = curves.shape[1]
    return ", ".join(
        f"{share:.0%} (epoch {k}): {spearmanr(distinct[:, k - 1], distinct[:, -1]).statistic:.2f}"
        for share in (0.1, 0.2, 0.3, 0.5)
        if (k := max(1, round(share * epochs))) < epochs
    )


def loo_residuals(
    x: np.ndarray, y: np.ndarray, penalty: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ridge coefficients (one penalty per feature) and each row's leave-one-out residual."""
    inv = np.linalg.pinv(x.T @ x + np.diag(penalty))
    coef = inv @ x.T @ y
    hat = np.sum((x @ inv) * x, axis=1)
    return coef, (y - x @ coef) / np.clip(1.0 - hat, 1e-6, None)


def ridge(x: np.ndarray, y: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, float]:
    """Ridge coefficients (one penalty per feature) and the mean squared leave-one-out residual."""
    coef, loo = loo_residuals(x, y, penalty)
    return coef, float(np.mean(loo**2))


def loo_laws(curves: np.ndarray, extra: np.ndarray, window: int) -> list:
    """The normal rule for a pool of a few hundred curves, where a regression on many epochs
    would learn the judged curve's own end: each curve is judged by the regression on the
    others (its leave-one-out prediction and the pool's leave-one-out spread), on the last
    ``window`` accuracies seen."""
    final, laws = curves[:, -1], []
    for k in range(1, curves.shape[1]):
        design = _design(curves, k, extra, window)
        _, loo = loo_residuals(design, final, np.r_[0.0, np.full(design.shape[1] - 1, 1e-6)])
        p, sd = final - loo, math.sqrt(np.mean(loo**2))
        laws.append(lambda i, target, p=p, sd=sd: float(ndtr((p[i] - target) / sd)))
    return laws


def learnt_laws(
    curves: np.ndarray, extra: np.ndarray, rows: np.ndarray, extra_ridge: float
) -> list:
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


def expected_improvement(margin: float, sd: float) -> float:
    """E[max(final - target, 0)] in percentage points, for a final normal around target + margin."""
    z = margin / sd
    return 100 * (sd * math.exp(-z * z / 2) / math.sqrt(2 * math.pi) + margin * float(ndtr(z)))


def success_laws(curves: np.ndarray, extra: np.ndarray | None = None) -> dict[str, list]:
    """For each rule and each k = 1..epochs-1, a function (row, target) -> P(final >= target)
    (for the expected-improvement rule, E[max(final - target, 0)] in pp, so that its threshold
    is in pp too); ``extra`` holds more features per row (the cell's ops)."""
    _, distinct = np.unique(curves, axis=0, return_index=True)  # equivalent cells counted once
    final = curves[:, -1]
    extra = np.zeros((len(curves), 0)) if extra is None else extra
    laws: dict[str, list] = {
        "normal": [],
        "neighbours": [],
        "normal, expected improvement (pp)": [],
    }
    for k in range(1, curves.shape[1]):
        design = _design(curves, k, extra)
        coef = np.linalg.lstsq(design[distinct], final[distinct], rcond=None)[0]
        fitted, predicted = design[distinct] @ coef, design @ coef
        sd = float(np.std(final[distinct] - fitted))
        laws["normal"].append(
            lambda i, target, p=predicted, sd=sd: float(ndtr((p[i] - target) / sd))
        )
        laws["normal, expected improvement (pp)"].append(
            lambda i, target, p=predicted, sd=sd: expected_improvement(p[i] - target, sd)
        )
        order = np.argsort(fitted)
        start = np.clip(
            np.searchsorted(fitted[order], predicted) - NEIGHBOURS // 2,
            0,
            len(distinct) - NEIGHBOURS,
        )
        near = np.sort(final[distinct][order][start[:, None] + np.arange(NEIGHBOURS)], axis=1)

        def share(i: int, target: float, near=near) -> float:
            reached = (
                NEIGHBOURS - np.searchsorted(near[i], target) - (final[i] >= target)
            )  # not itself
            return reached / (NEIGHBOURS - 1)

        laws["neighbours"].append(share)
    return laws


def proposals(
    sampler: str,
    studies: int,
    trials: int,
    table: str,
    cache: str | None = None,
    seed_offset: int = 0,
) -> np.ndarray:
    """The table rows a sampler proposes in ``studies`` studies without pruning (seeds from
    ``seed_offset`` on),
    as studies/sweep.py --replay replays them (and keeps them in ``cache``)."""
    from sweep import proposals as study_params

    from optunas.spaces import NB201

    whole = (
        load_nb201_table(variant=table)
        if table in ("default", "pruning")
        else load_nb201_table(table)
    )
    return np.array(
        [
            [
                whole.index(NB201().genotype(params))
                for params in study_params(sampler, seed, trials, table, cache)
            ]
            for seed in range(seed_offset, seed_offset + studies)
        ]
    )


def simulate(
    curves: np.ndarray,
    law: list,
    threshold: float,
    warmup: int,
    draws: np.ndarray,
    startup: int = 5,
    rescue: int = 0,
) -> tuple[float, float]:
    """Epochs spent and regret lost, means over the studies ``draws``. With ``rescue``, once a
    study's trials are done its ``rescue`` pruned trials likeliest (by the rule) to beat the
    best are resumed where they stopped and trained to the end (freeze-thaw, with checkpoints)."""
    final = curves[:, -1]
    epochs = curves.shape[1]
    spent, lost = [], []
    for rows in draws:
        best, total, stopped = -np.inf, 0, []
        for t, i in enumerate(rows):
            stop = epochs
            if t >= startup:
                stop = next(
                    (k for k in range(warmup, epochs) if law[k - 1](i, best) < threshold), epochs
                )
            total += stop
            if stop == epochs:
                best = max(best, final[i])
            else:
                stopped.append((i, stop))
        target = best
        for i, stop in sorted(stopped, key=lambda s: -law[s[1] - 1](s[0], target))[:rescue]:
            total += epochs - stop
            best = max(best, final[i])
        spent.append(total)
        lost.append(100 * (final[rows].max() - best))
    return float(np.mean(spent)), float(np.mean(lost))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--table", default="pruning", help="default, pruning, or a table's path")
    parser.add_argument("--thresholds", default="0.002,0.01,0.03,0.05,0.1")
    parser.add_argument("--warmups", default="1,2")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--studies", type=int, default=200)
    parser.add_argument(
        "--choices",
        action="store_true",
        help="the regression also knows each cell's ops (one-hot per edge)",
    )
    parser.add_argument(
        "--fit-rows",
        type=int,
        default=0,
        help="fit the normal rule to this many random cells' full curves only (with "
        "their leave-one-out error), as a learner shown that many would; "
        "each of --repeats draws of cells",
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--ops-ridge", type=float, default=0.3, help="with --fit-rows: penalty on the ops"
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
    parser.add_argument(
        "--sampler",
        default="random",
        help="random, or a studies/sweep.py sampler spec whose proposals are replayed",
    )
    parser.add_argument(
        "--expected-improvement",
        action="store_true",
        help="the normal rule stops on E[max(final - best, 0)] < threshold (pp) instead",
    )
    parser.add_argument(
        "--rescue",
        type=int,
        default=0,
        help="at the end of a study, resume this many pruned trials, the likeliest to win",
    )
    parser.add_argument(
        "--pool-cells",
        type=int,
        default=0,
        help="studies draw from this many random cells of --table (seed --pool-seed)",
    )
    parser.add_argument("--pool-seed", type=int, default=0)
    parser.add_argument("--seed-offset", type=int, default=0, help="the sampler's first seed")
    parser.add_argument(
        "--cache", default=None, help="a folder that keeps the sampler's studies (sweep.py's)"
    )
    parser.add_argument(
        "--loo-window",
        type=int,
        default=0,
        help="the normal rule only, each curve judged by a leave-one-out regression on "
        "the last LOO_WINDOW accuracies (for --curves' small pools)",
    )
    args = parser.parse_args()
    curves, rows, source = pool(
        args.table, args.curves, args.table_curves, args.pool_cells, args.pool_seed
    )
    if args.sampler == "random":
        draws = np.random.default_rng(0).integers(0, len(curves), size=(args.studies, args.trials))
    elif args.curves or args.pool_cells:
        parser.error("--sampler other than random needs the whole table")
    else:
        draws = proposals(
            args.sampler, args.studies, args.trials, args.table, args.cache, args.seed_offset
        )
    extra = one_hot_ops(rows) if args.choices else np.zeros((len(curves), 0))
    if args.fit_rows:
        _, distinct = np.unique(curves, axis=0, return_index=True)
        rng = np.random.default_rng(1)
        fits = [
            learnt_laws(
                curves, extra, rng.choice(distinct, args.fit_rows, replace=False), args.ops_ridge
            )
            for _ in range(args.repeats)
        ]
        print(
            f"the normal rule learnt from {args.fit_rows} cells' full curves ({args.repeats} draws, "
            f"ops ridge {args.ops_ridge}); ",
            end="",
        )
        rules = {"normal, learnt": fits}
    elif args.loo_window:
        rules = {
            f"normal, leave-one-out, last {args.loo_window}": [
                loo_laws(curves, extra, args.loo_window)
            ]
        }
    else:
        rules = {
            name: [law]
            for name, law in success_laws(curves, extra if args.choices else None).items()
            if (name == "normal, expected improvement (pp)") == args.expected_improvement
        }
    print(
        f"{source}: {args.studies} {'random-search' if args.sampler == 'random' else args.sampler} "
        f"studies of {args.trials} trials"
        + (f", then the {args.rescue} likeliest pruned trials resumed" if args.rescue else "")
        + "; "
        f"no pruning spends {args.trials * curves.shape[1]} epochs"
    )
    print(f"Spearman(accuracy after a share of the epochs, final): {rank_signal(curves)}")
    final, late = 100 * curves[:, -1], 100 * np.diff(curves[:, -6:], axis=1)
    print(
        f"final accuracy %: median {np.median(final):.2f}, 90th percentile {np.percentile(final, 90):.2f}, "
        f"best {final.max():.2f}; change from epoch to epoch over the last 5 epochs: "
        f"sd {late.std():.2f} pp\n"
    )
    print(
        "| idealised rule | threshold | first decision after epoch | epochs consumed | regret lost (pp) |"
    )
    print("|---|---|---|---|---|")
    for name, laws in rules.items():  # a rule learnt from a draw of cells: the mean over draws
        for warmup in map(int, args.warmups.split(",")):
            for threshold in map(float, args.thresholds.split(",")):
                spent, lost = np.mean(
                    [
                        simulate(curves, law, threshold, warmup, draws, rescue=args.rescue)
                        for law in laws
                    ],
                    axis=0,
                )
                print(f"| {name} | {threshold} | {warmup} | {spent:.0f} | {lost:.2f} |", flush=True)
