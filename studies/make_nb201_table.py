"""Generate an NB201 x MNIST-1D tabular benchmark: train every canonical cell once.

    python studies/make_nb201_table.py train [--workers 2] [--limit N]   # resumable
    python studies/make_nb201_table.py assemble                           # -> the shipped table
    python studies/make_nb201_table.py --setting pruning train            # the table for pruners
    python studies/make_nb201_table.py --setting pruning assemble

`train` trains the 9,445 canonical cells (see optunas.benchmarks.canonical) in shards of 100
cells written atomically to studies/nb201_table[_pruning]/, one process per core with one
thread each: a killed run loses at most the shards in flight and the next run resumes.
`assemble` expands the shards to all 15,625 cells (an equivalent cell shares its canonical
cell's accuracies; its parameters and FLOPs are its own, its training seconds are the
canonical cell's scaled by the FLOPs ratio) and writes the table under
optunas/benchmarks/data/.

The two settings (optunas.benchmarks.SETTING and PRUNING_SETTING) differ in how cells are
trained, not only in the recipe:
- default (the shipped table): one network at a time, initial weights and batch order seeded
  by the cell's row.
- pruning: a shard's 100 cells (a random mix, fixed by seed 0) are trained together as one
  optunas.nn._population.PopulationNB201 on the same batches, initial weights and batch order seeded by the
  shard. With AdamW that is each cell trained alone on those batches, up to float rounding
  (tests/test_population.py), in about half the time per cell on this CPU.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from optunas.benchmarks import (
    NUM_ARCHS,
    PRUNING_SETTING,
    SETTING,
    BenchmarkSetting,
    arch_index,
    arch_ops,
    canonical,
)
from optunas.evaluation import evaluate_accuracy
from optunas.nn import NB201Network, count_flops, count_params
from optunas.nn._population import PopulationNB201

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "optunas" / "benchmarks" / "data"
SETTINGS: dict[str, tuple[BenchmarkSetting, Path, Path]] = {
    "default": (SETTING, ROOT / "studies" / "nb201_table", DATA / "nb201_mnist1d.npz"),
    "pruning": (
        PRUNING_SETTING,
        ROOT / "studies" / "nb201_table_pruning",
        DATA / "nb201_mnist1d_pruning.npz",
    ),
}
SHARD_SIZE = 100


def canonical_cells() -> list[int]:
    return sorted({arch_index(canonical(arch_ops(i))) for i in range(NUM_ARCHS)})


def pruning_shards() -> list[tuple[int, list[int]]]:
    """The pruning table's shards: (shard number, its cells), a random mix fixed by seed 0, so
    no population is all one kind of cell."""
    cells = [int(i) for i in np.random.default_rng(0).permutation(canonical_cells())]
    return [
        (k, cells[k * SHARD_SIZE : (k + 1) * SHARD_SIZE])
        for k in range((len(cells) + SHARD_SIZE - 1) // SHARD_SIZE)
    ]


def build(index: int, setting: BenchmarkSetting) -> NB201Network:
    torch.manual_seed(index)  # each cell's initial weights are fixed by its row
    return NB201Network(
        arch_ops(index),
        1,
        10,
        dims=1,
        channels=setting.channels,
        cells_per_stage=setting.cells_per_stage,
    )


_DATA = None


def _init_worker(setting: BenchmarkSetting) -> None:
    global _DATA
    torch.set_num_threads(1)
    _DATA = setting.dataset()


def _train_one_by_one(cells: list[int], setting: BenchmarkSetting) -> tuple[list, list, list]:
    curves, tests, seconds = [], [], []
    for index in cells:
        net = build(index, setting)
        curve: list[float] = []
        t0 = time.perf_counter()
        setting.recipe.train(
            net,
            _DATA.train,
            _DATA.valid,
            seed=index,
            on_epoch=lambda epoch, acc, curve=curve: curve.append(acc),
        )
        seconds.append(time.perf_counter() - t0)
        curves.append(curve)
        tests.append(evaluate_accuracy(net, _DATA.test))
    return curves, tests, seconds


def _member_accuracy(
    population: PopulationNB201, data: torch.utils.data.TensorDataset
) -> np.ndarray:
    x, y = data.tensors
    population.eval()
    with torch.no_grad():
        return (population(x).argmax(dim=-1) == y[:, None]).double().mean(dim=0).numpy()


def _train_population(
    cells: list[int], setting: BenchmarkSetting, seed: int
) -> tuple[list, list, list]:
    """Recipe.train's loop for a whole population: the sum of the members' mean losses, so each
    member gets its own gradient; one optimiser and schedule (elementwise, so per member)."""
    recipe = setting.recipe
    torch.manual_seed(seed)
    population = PopulationNB201(
        [arch_ops(i) for i in cells],
        1,
        10,
        channels=setting.channels,
        cells_per_stage=setting.cells_per_stage,
    )
    x, y = _DATA.train.tensors
    steps = math.ceil(len(y) / recipe.batch_size)
    opt = recipe._optimizer(population)
    sched = recipe._schedule(opt, recipe.epochs * steps)
    generator = torch.Generator().manual_seed(seed)
    members = len(cells)
    columns = []
    t0 = time.perf_counter()
    for _ in range(recipe.epochs):
        population.train()
        order = torch.randperm(len(y), generator=generator)
        for step in range(steps):
            batch = order[step * recipe.batch_size : (step + 1) * recipe.batch_size]
            logits = population(x[batch])
            loss = F.cross_entropy(
                logits.reshape(-1, logits.shape[-1]),
                y[batch].repeat_interleave(members),
                reduction="sum",
            ) / len(batch)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        columns.append(_member_accuracy(population, _DATA.valid))
    per_cell = (time.perf_counter() - t0) / members
    curves = np.array(columns).T.tolist()
    return curves, _member_accuracy(population, _DATA.test).tolist(), [per_cell] * members


def train_shard(job: tuple[str, int, list[int]]) -> tuple[int, int, float]:
    name, shard, cells = job
    setting, shards, _ = SETTINGS[name]
    started = time.perf_counter()
    if name == "default":
        curves, tests, seconds = _train_one_by_one(cells, setting)
    else:
        curves, tests, seconds = _train_population(cells, setting, seed=shard)
    path = shards / f"shard-{shard:04d}.npz"
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        index=np.array(cells, dtype=np.int32),
        curve=np.array(curves, dtype=np.float32),
        test=np.array(tests, dtype=np.float32),
        seconds=np.array(seconds, dtype=np.float32),
    )
    os.replace(tmp, path)  # atomic: a shard file is whole or absent
    return shard, len(cells), time.perf_counter() - started


def train(name: str, workers: int, limit: int | None) -> None:
    setting, shards, _ = SETTINGS[name]
    shards.mkdir(parents=True, exist_ok=True)
    if name == "default":
        cells = canonical_cells()
        layout = [
            (k, cells[k * SHARD_SIZE : (k + 1) * SHARD_SIZE])
            for k in range((len(cells) + SHARD_SIZE - 1) // SHARD_SIZE)
        ]
    else:
        layout = pruning_shards()
    jobs = [(name, k, cells) for k, cells in layout]
    todo = [job for job in jobs if not (shards / f"shard-{job[1]:04d}.npz").exists()]
    if limit is not None:
        todo = todo[:limit]
    print(
        f"{sum(len(c) for _, c in layout)} canonical cells in {len(jobs)} shards; {len(todo)} shards to train "
        f"with {workers} workers",
        flush=True,
    )
    started = time.perf_counter()
    done = 0
    with multiprocessing.get_context("spawn").Pool(
        workers, initializer=_init_worker, initargs=(setting,)
    ) as pool:
        for shard, n, seconds in pool.imap_unordered(train_shard, todo):
            done += n
            elapsed = time.perf_counter() - started
            print(
                f"shard {shard}: {n} cells in {seconds:.0f} s; {done} cells in {elapsed:.0f} s "
                f"({elapsed / done:.2f} s per cell)",
                flush=True,
            )


def assemble(name: str) -> None:
    setting, shards, table = SETTINGS[name]
    trained: dict[int, tuple[np.ndarray, float, float]] = {}
    for path in sorted(shards.glob("shard-*.npz")):
        with np.load(path) as shard:
            for i, curve, test, seconds in zip(
                shard["index"], shard["curve"], shard["test"], shard["seconds"]
            ):
                trained[int(i)] = (curve, float(test), float(seconds))
    missing = [i for i in canonical_cells() if i not in trained]
    if missing:
        sys.exit(f"{len(missing)} canonical cells are not trained yet; run `train` first")
    epochs = setting.recipe.epochs
    curves = np.zeros((NUM_ARCHS, epochs), dtype=np.float32)
    test = np.zeros(NUM_ARCHS, dtype=np.float32)
    seconds = np.zeros(NUM_ARCHS, dtype=np.float32)
    params = np.zeros(NUM_ARCHS, dtype=np.int64)
    flops = np.zeros(NUM_ARCHS, dtype=np.int64)
    for i in range(NUM_ARCHS):
        net = build(i, setting)
        params[i], flops[i] = count_params(net), count_flops(net, (1, 40))
    for i in range(NUM_ARCHS):
        c = arch_index(canonical(arch_ops(i)))
        curve, test[i], base_seconds = trained[c]
        curves[i] = curve
        seconds[i] = base_seconds * flops[i] / flops[c]
    table.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        table,
        curves=curves,
        test=test,
        params=params,
        flops=flops,
        seconds=seconds,
        canonical=np.array(
            [arch_index(canonical(arch_ops(i))) for i in range(NUM_ARCHS)], dtype=np.int32
        ),
        machine=np.array(
            f"{platform.machine()} {platform.processor() or ''} torch {torch.__version__}"
        ),
    )
    print(f"wrote {table} ({table.stat().st_size / 1e6:.2f} MB, {NUM_ARCHS} rows)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--setting", choices=sorted(SETTINGS), default="default")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    t.add_argument("--limit", type=int, default=None, help="train at most this many shards")
    sub.add_parser("assemble")
    args = parser.parse_args()
    if args.command == "train":
        train(args.setting, args.workers, args.limit)
    else:
        assemble(args.setting)
