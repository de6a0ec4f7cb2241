"""How well any cheap estimate could search the NB201 table: the bound behind the one-shot search.

A one-shot search scores many cells with an estimate, retrains the top K and returns the best
of them; regret is measured against the table, a single training of each cell. This script
replaces the supernet by estimates that cost nothing and asks what regret the top K of 1,000
random cells would leave:

- the table for pruners (the same network and data trained again under another recipe; it
  ranks the table at Kendall tau 0.23, better than a second training with the table's own
  recipe, 0.14),
- the parameter count (tau 0.30, about the supernet's 0.31),
- the table's own test accuracy (the same training runs scored on other signals, tau 0.87:
  what only the table's own runs know),

beside standalone random search given N trainings. If a free estimate that ranks as well as
the supernet leaves more regret with K retrained than standalone search does with the compute
a supernet spends, no supernet can win at that K here. Table lookups only, a second or two:

    python studies/supernet_search_bound.py --seeds 50 --candidates 1000 --top-k 5 50 --trainings 5 40 60 100 130
"""

from __future__ import annotations

import argparse

import numpy as np

from optunas.benchmarks import load_nb201_table


def _top_k_regret(estimate: np.ndarray, truth: np.ndarray, cells: np.ndarray, k: int) -> float:
    """Regret (points) of the best true accuracy among the ``k`` cells ``estimate`` ranks first."""
    chosen = cells[np.argsort(-estimate[cells], kind="stable")[:k]]
    return 100 * float(truth.max() - truth[chosen].max())


def main(args: argparse.Namespace) -> None:
    table, other = load_nb201_table(), load_nb201_table(variant="pruning")
    truth = table.valid
    estimates = {
        "the table for pruners (tau 0.23)": other.valid,
        "the parameter count (tau 0.30)": table.params.astype(float),
        "the table's own test accuracy (tau 0.87)": table.test,
    }
    rows: dict[str, list[float]] = {}
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        cells = rng.choice(len(truth), args.candidates, replace=False)
        for name, estimate in estimates.items():
            for k in args.top_k:
                regret = _top_k_regret(estimate, truth, cells, k)
                rows.setdefault(f"top {k} of {args.candidates} by {name}", []).append(regret)
        for n in args.trainings:
            drawn = rng.choice(len(truth), n, replace=False)
            regret = 100 * float(truth.max() - truth[drawn].max())
            rows.setdefault(f"standalone random search, {n} trainings", []).append(regret)
    print(f"| estimate or search | regret, mean ± standard error over {args.seeds} seeds (pp) |")
    print("|---|---|")
    for name, values in rows.items():
        error = np.std(values, ddof=1) / np.sqrt(len(values))
        print(f"| {name} | {np.mean(values):.1f} ± {error:.1f} |")
    print(
        f"\nMedian training of the table's recipe: {np.median(table.seconds):.2f} s (table's machine)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=50)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--top-k", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--trainings", type=int, nargs="+", default=[5, 40, 60, 100, 130])
    main(parser.parse_args())
