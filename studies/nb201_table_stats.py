"""Statistics of a shipped NB201 x MNIST-1D table, for BENCHMARKS.md.

python studies/nb201_table_stats.py            # the default table
python studies/nb201_table_stats.py pruning    # the table aimed at pruners
"""

from __future__ import annotations

import sys

import numpy as np
from scipy.stats import spearmanr

from optunas.benchmarks import NUM_ARCHS, PRUNING_SETTING, SETTING, load_nb201_table

variant = sys.argv[1] if len(sys.argv) > 1 else "default"
table = load_nb201_table(variant=variant)
setting = PRUNING_SETTING if variant == "pruning" else SETTING
valid, test = 100 * table.valid, 100 * table.test
unique = np.unique(table.canonical)
print(
    f"rows: {len(table)} of {NUM_ARCHS}; trained cells (canonical): {len(unique)}; "
    f"epochs: {table.epochs}; setting: {setting}"
)
for name, values in (("validation", valid), ("test", test)):
    print(
        f"{name} accuracy %: min {values.min():.2f}, median {np.median(values):.2f}, "
        f"90th pct {np.percentile(values, 90):.2f}, best {values.max():.2f}"
    )
best = table.best()
print(
    f"best by validation: {best['genotype']} valid {100 * best['valid']:.2f} test "
    f"{100 * best['test']:.2f} params {best['params']}"
)
print(
    f"Spearman(valid, test), all rows: {spearmanr(valid, test)[0]:.3f}; "
    f"trained cells only: {spearmanr(valid[unique], test[unique])[0]:.3f}"
)
for k in (1, 2, 3, 5, 7):
    if k <= table.epochs:
        rho = spearmanr(table.curves[unique, k - 1], table.valid[unique])[0]
        print(f"Spearman(epoch {k}, final validation), trained cells: {rho:.3f}")
print(
    f"training seconds per cell: median {np.median(table.seconds):.2f}, "
    f"total {table.seconds[unique].sum() / 3600:.2f} core-hours for the trained cells"
)
