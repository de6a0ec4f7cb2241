"""Pruners measured as the papers measure them: how many epochs each needs to reach the regret
that search without pruning reaches after ``--trials`` trials.

    OMP_NUM_THREADS=1 python studies/pruning_speedup.py --table pruning --max-trials 600 \\
        --pruners none 'median:n_startup_trials=5,n_warmup_steps=2' 'predictor:threshold=0.01'

The pruner tables fix the number of trials (200) and asks a pruner for fewer epochs at the same
regret; Domhan et al. (2015) and Baker et al. (2017) instead report how much sooner, in
training time, a search with pruning gets as good as one without: a pruned study runs more
trials in the same epochs. Each spec runs ``--seeds`` RandomSampler studies (seeds from
``--seed-offset``) of ``--max-trials`` trials; the regret at a budget of B epochs is that of the
best trial completed within the first B epochs spent. The first spec is the reference: its
mean regret after ``--trials`` trials (``--trials`` x epochs) is the target, and each spec's
speed-up is that budget divided by the budget at which its mean regret first comes within
``--tolerance`` percentage points of the target.
"""

from __future__ import annotations

import argparse
import multiprocessing

import numpy as np
from sweep import run, table


def regret_by_budget(
    best: list[float], epochs: list[int], optimum: float, budgets: np.ndarray
) -> np.ndarray:
    """Regret (pp) of the best trial completed within each budget of epochs; NaN beyond the
    epochs the study spent, and where nothing had completed yet."""
    spent = np.cumsum(epochs)
    done = np.searchsorted(spent, budgets, side="right")  # trials finished within each budget
    best = np.concatenate([[-np.inf], np.asarray(best, dtype=float)])[done]
    regret = 100 * (optimum - best)
    regret[(budgets > spent[-1]) | ~np.isfinite(best)] = np.nan
    return regret


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--pruners", nargs="+", default=["none", "median:n_startup_trials=5,n_warmup_steps=2"]
    )
    parser.add_argument("--sampler", default="random")
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--seed-offset", type=int, default=0)
    parser.add_argument("--trials", type=int, default=200, help="the reference's trials")
    parser.add_argument("--max-trials", type=int, default=600)
    parser.add_argument("--tolerance", type=float, default=0.1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--table", default="pruning", help="default, pruning, or a table's path")
    args = parser.parse_args()
    epochs_per_trial = table(args.table).epochs
    optimum = float(table(args.table).valid.max())
    reference_budget = args.trials * epochs_per_trial
    budgets = np.arange(1, 2 * reference_budget + 1)
    shown = [reference_budget // 4, reference_budget // 3, reference_budget // 2, reference_budget]
    seeds = range(args.seed_offset, args.seed_offset + args.seeds)
    target = None
    print(
        f"table {args.table}, {args.sampler}, {args.seeds} seeds, {args.max_trials} trials a study; "
        f"reference: {args.pruners[0]} after {args.trials} trials ({reference_budget} epochs)\n"
    )
    print(
        "| pruner | "
        + " | ".join(f"regret at {b} epochs" for b in shown)
        + " | epochs to reach the reference (+tolerance) | speed-up |"
    )
    print("|---|" + "---|" * len(shown) + "---|---|")
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for pruner in args.pruners:
            results = pool.starmap(
                run, [(args.sampler, pruner, s, args.max_trials, args.table) for s in seeds]
            )
            curves = np.array(
                [regret_by_budget(best, epochs, optimum, budgets) for best, epochs, _ in results]
            )
            mean = curves.mean(axis=0)  # NaN wherever a study had not spent the budget
            se = curves.std(axis=0, ddof=1) / np.sqrt(len(curves))
            if target is None:
                target = float(mean[budgets == reference_budget][0]) + args.tolerance
            reached = np.flatnonzero(mean <= target)
            needed = int(budgets[reached[0]]) if len(reached) else None
            cells = [
                f"{mean[b - 1]:.2f} ± {se[b - 1]:.2f}"
                if np.isfinite(mean[b - 1])
                else "(some studies spent less)"
                for b in shown
            ]  # budgets[i] == i + 1
            speedup = f"{reference_budget / needed:.2f}x" if needed else "not within the runs"
            print(
                f"| {pruner} | " + " | ".join(cells) + f" | {needed or '-'} | {speedup} |",
                flush=True,
            )
