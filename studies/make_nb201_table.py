"""Generate the NB201 x MNIST-1D tabular benchmark: train every canonical cell once.

    python studies/make_nb201_table.py train [--workers 2] [--limit N]   # resumable
    python studies/make_nb201_table.py assemble                           # -> the shipped table

`train` trains the 9,445 canonical cells (see optunas.benchmarks.canonical) with the fixed
setting of optunas.benchmarks.SETTING, one process per core with one thread each (tiny
networks are bound by per-call overhead, so processes beat threads), in shards of 100 cells
written atomically to studies/nb201_table/: a killed run loses at most the shards in flight
and the next run resumes. `assemble` expands the shards to all 15,625 cells (an equivalent
cell shares its canonical cell's accuracies; its parameters and FLOPs are its own, its
training seconds are the canonical cell's scaled by the FLOPs ratio) and writes
optunas/benchmarks/data/nb201_mnist1d.npz.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch

from optunas.benchmarks import NUM_ARCHS, SETTING, arch_index, arch_ops, canonical
from optunas.evaluation import evaluate_accuracy
from optunas.nn import NB201Network, count_flops, count_params

ROOT = Path(__file__).resolve().parent.parent
SHARDS = ROOT / "studies" / "nb201_table"
TABLE = ROOT / "optunas" / "benchmarks" / "data" / "nb201_mnist1d.npz"
SHARD_SIZE = 100


def canonical_cells() -> list[int]:
    return sorted({arch_index(canonical(arch_ops(i))) for i in range(NUM_ARCHS)})


def build(index: int) -> NB201Network:
    torch.manual_seed(index)  # each cell's initial weights are fixed by its row
    return NB201Network(arch_ops(index), 1, 10, dims=1, channels=SETTING.channels,
                        cells_per_stage=SETTING.cells_per_stage)


_DATA = None


def _init_worker() -> None:
    global _DATA
    torch.set_num_threads(1)
    _DATA = SETTING.dataset()


def train_shard(job: tuple[int, list[int]]) -> tuple[int, int, float]:
    shard, cells = job
    rows = {"index": [], "curve": [], "test": [], "seconds": []}
    started = time.perf_counter()
    for index in cells:
        net = build(index)
        curve: list[float] = []
        t0 = time.perf_counter()
        SETTING.recipe.train(net, _DATA.train, _DATA.valid, seed=index,
                             on_epoch=lambda epoch, acc: curve.append(acc))
        seconds = time.perf_counter() - t0
        rows["index"].append(index)
        rows["curve"].append(curve)
        rows["test"].append(evaluate_accuracy(net, _DATA.test))
        rows["seconds"].append(seconds)
    path = SHARDS / f"shard-{shard:04d}.npz"
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, index=np.array(rows["index"], dtype=np.int32),
             curve=np.array(rows["curve"], dtype=np.float32),
             test=np.array(rows["test"], dtype=np.float32),
             seconds=np.array(rows["seconds"], dtype=np.float32))
    os.replace(tmp, path)  # atomic: a shard file is whole or absent
    return shard, len(cells), time.perf_counter() - started


def train(workers: int, limit: int | None) -> None:
    SHARDS.mkdir(parents=True, exist_ok=True)
    cells = canonical_cells()
    jobs = [(k, cells[k * SHARD_SIZE:(k + 1) * SHARD_SIZE])
            for k in range((len(cells) + SHARD_SIZE - 1) // SHARD_SIZE)]
    todo = [job for job in jobs if not (SHARDS / f"shard-{job[0]:04d}.npz").exists()]
    if limit is not None:
        todo = todo[:limit]
    print(f"{len(cells)} canonical cells in {len(jobs)} shards; {len(todo)} shards to train "
          f"with {workers} workers", flush=True)
    started = time.perf_counter()
    done = 0
    with multiprocessing.get_context("spawn").Pool(workers, initializer=_init_worker) as pool:
        for shard, n, seconds in pool.imap_unordered(train_shard, todo):
            done += n
            elapsed = time.perf_counter() - started
            print(f"shard {shard}: {n} cells in {seconds:.0f} s; {done} cells in {elapsed:.0f} s "
                  f"({elapsed / done:.2f} s per cell)", flush=True)


def assemble() -> None:
    shards = sorted(SHARDS.glob("shard-*.npz"))
    trained: dict[int, tuple[np.ndarray, float, float]] = {}
    for path in shards:
        with np.load(path) as shard:
            for i, curve, test, seconds in zip(shard["index"], shard["curve"], shard["test"], shard["seconds"]):
                trained[int(i)] = (curve, float(test), float(seconds))
    missing = [i for i in canonical_cells() if i not in trained]
    if missing:
        sys.exit(f"{len(missing)} canonical cells are not trained yet; run `train` first")
    epochs = SETTING.recipe.epochs
    curves = np.zeros((NUM_ARCHS, epochs), dtype=np.float32)
    test = np.zeros(NUM_ARCHS, dtype=np.float32)
    seconds = np.zeros(NUM_ARCHS, dtype=np.float32)
    params = np.zeros(NUM_ARCHS, dtype=np.int64)
    flops = np.zeros(NUM_ARCHS, dtype=np.int64)
    for i in range(NUM_ARCHS):
        net = build(i)
        params[i], flops[i] = count_params(net), count_flops(net, (1, 40))
    for i in range(NUM_ARCHS):
        c = arch_index(canonical(arch_ops(i)))
        curve, test[i], base_seconds = trained[c]
        curves[i] = curve
        seconds[i] = base_seconds * flops[i] / flops[c]
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        TABLE, curves=curves, test=test, params=params, flops=flops, seconds=seconds,
        canonical=np.array([arch_index(canonical(arch_ops(i))) for i in range(NUM_ARCHS)], dtype=np.int32),
        machine=np.array(f"{platform.machine()} {platform.processor() or ''} torch {torch.__version__}"),
    )
    print(f"wrote {TABLE} ({TABLE.stat().st_size / 1e6:.2f} MB, {NUM_ARCHS} rows)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    t.add_argument("--limit", type=int, default=None, help="train at most this many shards")
    sub.add_parser("assemble")
    args = parser.parse_args()
    train(args.workers, args.limit) if args.command == "train" else assemble()
