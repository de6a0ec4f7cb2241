"""Which setting makes NB201 cells on Fashion-MNIST rank the same way twice?

    python studies/fmnist_setting.py train [--settings s1,s2] [--cells 40] [--shard K/N]  # resumable
    python studies/fmnist_setting.py summary
    python studies/fmnist_setting.py pack --settings c16-n1-s14-10k-e5   # the shipped truth set

A truth set is only worth its cost when the cell, not the luck of one training, decides the
accuracy. `train` trains random connected canonical NB201 cells (drawn with seed 2026) with two
training seeds in each candidate setting, one training at a time on one thread, and appends
each result as a JSON line to studies/results/fmnist_setting.jsonl (a killed run resumes where
it stopped). The settings are interleaved cell by cell, so a partial run has about as many
cells in each. `summary` prints, per setting: the cells with both seeds, Kendall tau between
the two trainings over all of them and among the better half (by the mean of the two), the
seed-to-seed standard deviation, how many of those the best cell stands above the median, and
the CPU seconds per training.

Data: Fashion-MNIST from Debian's dataset-fashion-mnist (optunas.data.load_dataset), 10,000
validation images held out of the training set (fixed by seed 0), the first ``train`` images
of the rest for training; ``side`` 14 halves each image side by 2x2 average pooling.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from optunas.benchmarks import NUM_ARCHS, TRUTH_SETS, TruthSet, arch_index, arch_ops, canonical
from optunas.data import Dataset, load_dataset
from optunas.evaluation import Recipe
from optunas.nn import NB201Network
from optunas.spaces import NB201

RESULTS = Path(__file__).resolve().parent / "results" / "fmnist_setting.jsonl"
#: Where ``pack`` writes the truth set optunas ships (optunas.benchmarks.load_truth_set).
TRUTH_FILE = (
    Path(__file__).resolve().parent.parent / "optunas/benchmarks/data" / TRUTH_SETS["fashion_mnist"]
)


@dataclass(frozen=True)
class Setting:
    channels: int
    cells_per_stage: int
    side: int
    train: int
    epochs: int
    batch_size: int = 128
    lr: float = 0.01


SETTINGS: dict[str, Setting] = {
    "c4-n1-s28-10k-e5": Setting(4, 1, 28, 10_000, 5),
    "c8-n1-s14-20k-e5": Setting(8, 1, 14, 20_000, 5),
    "c8-n1-s14-10k-e10": Setting(8, 1, 14, 10_000, 10),
    "c16-n1-s14-10k-e5": Setting(16, 1, 14, 10_000, 5),
    "c8-n1-s28-10k-e4": Setting(8, 1, 28, 10_000, 4),
}
SEEDS = (0, 1)


def connected_cells(count: int, seed: int = 2026) -> list[int]:
    """``count`` distinct canonical cells whose output depends on the input, in a random order."""
    cells = sorted(
        {
            arch_index(canonical(arch_ops(i)))
            for i in range(NUM_ARCHS)
            if any(op != "none" for op in canonical(arch_ops(i)))
        }
    )
    return [int(i) for i in np.random.default_rng(seed).permutation(cells)[:count]]


_DATA: dict[tuple[int, int], tuple[TensorDataset, TensorDataset]] = {}


def splits(setting: Setting) -> tuple[TensorDataset, TensorDataset]:
    key = (setting.side, setting.train)
    if key not in _DATA:
        data = load_dataset("fashion_mnist", valid_fraction=10_000 / 60_000, seed=0)
        x, y = data.train.tensors
        vx, vy = data.valid.tensors
        if setting.side != 28:
            factor = 28 // setting.side
            x, vx = F.avg_pool2d(x, factor), F.avg_pool2d(vx, factor)
        _DATA[key] = (TensorDataset(x[: setting.train], y[: setting.train]), TensorDataset(vx, vy))
    return _DATA[key]


def search_inputs(setting: Setting) -> tuple[NB201, Dataset]:
    """The space and the dataset a search (a supernet, DARTS) runs on in ``setting``: the truth
    set's own network and images, the validation images serving as the test split too."""
    train, valid = splits(setting)
    space = NB201(channels=setting.channels, cells_per_stage=setting.cells_per_stage)
    shape = (1, setting.side, setting.side)
    return space, Dataset("fashion_mnist", train, valid, valid, shape, 10)


def train_one(setting: Setting, cell: int, seed: int) -> dict:
    train, valid = splits(setting)
    torch.manual_seed(1_000_003 * seed + cell)
    net = NB201Network(
        arch_ops(cell),
        1,
        10,
        dims=2,
        channels=setting.channels,
        cells_per_stage=setting.cells_per_stage,
    )
    # Channels-last convolutions: 1.4x less CPU a training for the same recipe (37 against 53
    # CPU-s at c16-n1-s14-10k-e5), which brings a 500-cell truth set to about 10 core-hours.
    # Each row records it; the rows written before it came are contiguous.
    net = net.to(memory_format=torch.channels_last)
    recipe = Recipe(epochs=setting.epochs, batch_size=setting.batch_size, lr=setting.lr)
    curve: list[float] = []
    start = time.process_time()
    recipe.train(net, train, valid, seed=seed, on_epoch=lambda epoch, acc: curve.append(acc))
    cpu_s = time.process_time() - start
    return {
        "cell": cell,
        "seed": seed,
        "curve": curve,
        "cpu_s": cpu_s,
        "memory_format": "channels_last",
    }


def _done() -> set[tuple[str, int, int]]:
    if not RESULTS.exists():
        return set()
    rows = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    return {(r["setting"], r["cell"], r["seed"]) for r in rows}


def train(names: list[str], count: int, shard: tuple[int, int] = (0, 1)) -> None:
    torch.set_num_threads(1)
    done = _done()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    k, n = shard
    for cell in connected_cells(count)[k::n]:
        for name in names:
            for seed in SEEDS:
                if (name, cell, seed) in done:
                    continue
                row = {"setting": name, **asdict(SETTINGS[name])}
                row.update(train_one(SETTINGS[name], cell, seed))
                with RESULTS.open("a") as f:  # one line per training: a kill loses one at most
                    f.write(json.dumps(row) + "\n")
                print(
                    name, cell, seed, f"{row['curve'][-1]:.4f}", f"{row['cpu_s']:.0f}s", flush=True
                )


def _rows() -> list[dict]:
    return [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]


def truth_set(name: str, rows: list[dict] | None = None) -> TruthSet:
    """The cells of setting ``name`` trained with both seeds so far, as a truth set."""
    rows = [r for r in (rows if rows is not None else _rows()) if r["setting"] == name]
    formats = sorted({r.get("memory_format", "contiguous") for r in rows})
    setting = {
        "name": name,
        "dataset": "fashion_mnist",
        "valid_images": 10_000,
        "optimizer": "adamw",
        "memory_format": "+".join(formats),
        **asdict(SETTINGS[name]),
    }
    return TruthSet.from_rows(rows, setting)


def summary() -> None:
    rows = _rows()
    print(
        "| setting | cells | tau all | tau better half | seed SD (pt) | best above median (SDs) | median | best | CPU s/training |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in SETTINGS:
        truth = truth_set(name, rows)
        if len(truth) < 4:
            continue
        agreement, mean = truth.self_agreement(), 100 * truth.valid
        sd = 100 * agreement["seed_sd"]
        print(
            f"| {name} | {len(truth)} | {agreement['tau']:.2f} "
            f"| {agreement['tau_better_half']:.2f} | {sd:.2f} "
            f"| {(mean.max() - np.median(mean)) / sd:.1f} | {np.median(mean):.2f} "
            f"| {mean.max():.2f} | {truth.cpu_seconds.mean():.0f} |"
        )


def pack(name: str, out: Path) -> None:
    """Write setting ``name``'s cells with both seeds as the shipped truth set."""
    truth = truth_set(name)
    truth.save(out)
    print(f"{out}: {len(truth)} cells x {truth.seeds} seeds, {truth.self_agreement()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["train", "summary", "pack"])
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--cells", type=int, default=40)
    parser.add_argument(
        "--shard", default="0/1", help="K/N: every Nth cell from the Kth, for N processes"
    )
    args = parser.parse_args()
    if args.action == "train":
        k, n = (int(v) for v in args.shard.split("/"))
        train(args.settings.split(","), args.cells, (k, n))
    elif args.action == "pack":
        (name,) = args.settings.split(",")
        pack(name, TRUTH_FILE)
    else:
        summary()


if __name__ == "__main__":
    main()
