"""DARTS on NB201 x MNIST-1D in the table's own setting: where do the derived cells rank?

Each search runs :class:`~optunas.evaluation.DartsSearch` on the table's network (4 channels,
one cell per stage) and data (1,000 training signals: half train the weights, half the
alphas), then looks the derived cell up in the table: its validation and test accuracy and
its percentile (the share of the 15,625 cells whose validation accuracy is below it). One
search serves every rule that reads its end state: the largest alpha (NB201's rule, and
DARTS's without ``none``), the softmax averaged over the last half of the epochs, and
perturbation-based selection (DARTS-PT); ``--variants`` names what runs:

- ``first``: plain first-order DARTS; ``second``: plain second-order;
- ``minus``: first-order with DARTS-'s decaying auxiliary skip (``--skip``).

The cost of random search to the same rank: a cell drawn uniformly lands in the top
``q`` share with probability ``q``, so reaching a percentile ``p`` takes ``1 / (1 - p)``
standalone trainings on average (each the table's recipe, ``seconds`` per cell measured on
this machine by training one cell).

``--bound`` retrains the table's best cells with other seeds (how much of the table's top is
one training's luck); ``--cost`` measures CPU seconds of a standalone training and of a
search; ``--summarise`` prints the markdown table of BENCHMARKS.md from the output.

Time, on the 2-core VM loaded by other jobs (about 1/6 of a core for this process): about
40 minutes for ``--variants first,second`` (a first-order search about 25 CPU seconds, a
second-order one about 60), 15 for ``minus``, 3 for ``--bound 5 2``, 2 for ``--cost``:

    nice -n 10 python studies/darts_bench.py --seeds 5 --epochs 30 --variants first,second
    nice -n 10 python studies/darts_bench.py --seeds 5 --epochs 30 --variants minus
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import optuna
import torch

from optunas.benchmarks import SETTING, load_nb201_table
from optunas.evaluation import DartsSearch, TrainObjective
from optunas.spaces import NB201, NB201Genotype

VARIANTS = {
    "first": {"order": 1, "guard": "none"},
    "second": {"order": 2, "guard": "none"},
    "minus": {"order": 1, "guard": "dartsminus"},
}


def _percentile(table, ops: tuple[str, ...]) -> float:
    return float((table.valid < table.valid[table.index(ops)]).mean())


def _rules(search: DartsSearch) -> dict[str, tuple[str, ...]]:
    """The cell each derive rule takes from the search's end state."""
    cells = {}
    for name, guard, rule in (
        ("argmax", "none", "nb201"),
        ("argmax_no_none", "none", "darts"),
        ("average", "average", "nb201"),
        ("average_no_none", "average", "darts"),
        ("pt", "pt", "nb201"),
    ):
        search.guard, search.derive_rule = guard, rule
        search.guard_strength = 0.5 if guard == "average" else search.guard_strength
        cells[name] = search.derived()
    return cells


def _standalone_seconds(data, clock=time.perf_counter) -> float:
    """Seconds of one standalone training in the table's recipe on this machine."""
    space = NB201(channels=SETTING.channels, cells_per_stage=SETTING.cells_per_stage)
    recipe = SETTING.recipe
    objective = TrainObjective(
        space,
        data,
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        lr=recipe.lr,
        weight_decay=recipe.weight_decay,
        draw=False,
    )
    study = optuna.create_study(direction="maximize")
    study.enqueue_trial(space.params(NB201Genotype(("nor_conv_3x3",) * 6)))
    started = clock()
    study.optimize(objective, n_trials=1)
    return clock() - started


def summarise(path: str) -> None:
    """A markdown table of a run's output: per variant and derive rule, the mean over seeds."""
    rows = [json.loads(line) for line in open(path) if line.startswith("{")]
    standalone = next(r["standalone_seconds"] for r in rows if "standalone_seconds" in r)
    searches = [r for r in rows if "cells" in r]
    print(
        "| variant | derive rule | percentile per seed | mean percentile | valid | test "
        "| wall s per search | random trainings to that rank |"
    )
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for variant in dict.fromkeys(r["variant"] for r in searches):
        mine = [r for r in searches if r["variant"] == variant]
        for rule in mine[0]["cells"]:
            cells = [r["cells"][rule] for r in mine]
            p = float(np.mean([c["percentile"] for c in cells]))
            trainings = 1.0 / (1.0 - p)
            print(
                f"| {variant} | {rule} | "
                + ", ".join(f"{100 * c['percentile']:.0f}" for c in cells)
                + f" | {100 * p:.1f} | {np.mean([c['valid'] for c in cells]):.4f} "
                f"| {np.mean([c['test'] for c in cells]):.4f} "
                f"| {np.mean([r['search_seconds'] for r in mine]):.0f} "
                f"| {trainings:.1f} |"
            )
    print(f"\nOne standalone training in the table's recipe: {standalone:.1f} s wall.")


def bound(top: int, seeds: int) -> None:
    """How much of the table's top is the luck of its one training: retrain its ``top`` best
    cells with ``seeds`` other seeds each (the table's recipe, weights and batch order seeded
    as its generator does, by another number) and print where they land in the table."""
    from optunas.benchmarks import arch_ops
    from optunas.evaluation import evaluate_accuracy
    from optunas.nn import NB201Network

    table = load_nb201_table()
    data = SETTING.dataset()
    order = np.argsort(-table.valid)[:top]
    landed = []
    for index in order:
        for s in range(1, seeds + 1):
            seed = int(index) + 100_000 * s
            torch.manual_seed(seed)
            net = NB201Network(
                arch_ops(int(index)),
                1,
                10,
                dims=1,
                channels=SETTING.channels,
                cells_per_stage=SETTING.cells_per_stage,
            )
            SETTING.recipe.train(net, data.train, data.valid, seed=seed)
            valid = evaluate_accuracy(net, data.valid)
            p = float((table.valid < valid).mean())
            landed.append(p)
            print(
                json.dumps(
                    {
                        "cell": int(index),
                        "table_valid": round(float(table.valid[index]), 4),
                        "seed": seed,
                        "valid": round(valid, 4),
                        "percentile": round(p, 4),
                    }
                ),
                flush=True,
            )
    print(
        json.dumps(
            {
                "retrained_top_cells_mean_percentile": round(float(np.mean(landed)), 4),
                "share_in_top_5": round(float(np.mean(np.array(landed) >= 0.95)), 4),
            }
        )
    )


def cost(epochs: int, arch_lr: float, batch_size: int) -> None:
    """CPU seconds (not wall: the machine is shared) of one standalone training in the
    table's recipe and of one first- and one second-order search, seed 0."""
    data = SETTING.dataset()
    space = NB201(channels=SETTING.channels, cells_per_stage=SETTING.cells_per_stage)
    record = {"standalone_cpu_seconds": _standalone_seconds(data, time.process_time)}
    for order in (1, 2):
        search = DartsSearch(
            space, data, epochs=epochs, batch_size=batch_size, arch_lr=arch_lr, order=order
        )
        started = time.process_time()
        search.run()
        record[f"order{order}_cpu_seconds"] = time.process_time() - started
    print(json.dumps({k: round(v, 1) for k, v in record.items()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--bound",
        nargs=2,
        type=int,
        metavar=("TOP", "SEEDS"),
        help="retrain the table's TOP best cells with SEEDS other seeds each",
    )
    parser.add_argument(
        "--cost", action="store_true", help="CPU seconds of a standalone training and a search"
    )
    parser.add_argument("--summarise", metavar="JSONL", help="print the table of a run's output")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--variants", default="first,second,minus")
    parser.add_argument("--arch-lr", type=float, default=3e-3)
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--skip", type=float, default=1.0, help="DARTS- initial skip")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.summarise:
        summarise(args.summarise)
        return
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.bound:
        bound(*args.bound)
        return
    if args.cost:
        cost(args.epochs, args.arch_lr, args.batch_size)
        return
    table = load_nb201_table()
    data = SETTING.dataset()
    space = NB201(channels=SETTING.channels, cells_per_stage=SETTING.cells_per_stage)
    standalone = _standalone_seconds(data)
    print(json.dumps({"standalone_seconds": round(standalone, 2)}), flush=True)
    for variant in args.variants.split(","):
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            search = DartsSearch(
                space,
                data,
                epochs=args.epochs,
                batch_size=args.batch_size,
                lr=args.lr,
                arch_lr=args.arch_lr,
                guard_strength=args.skip if variant == "minus" else None,
                seed=seed,
                **VARIANTS[variant],
            )
            started = time.perf_counter()
            search.run()
            seconds = time.perf_counter() - started
            cells = {}
            for rule, ops in _rules(search).items():
                row = table.lookup(ops)
                p = _percentile(table, ops)
                cells[rule] = {
                    "percentile": round(p, 4),
                    "valid": round(row["valid"], 4),
                    "test": round(row["test"], 4),
                    "random_trainings_to_rank": round(1.0 / max(1e-9, 1.0 - p), 1),
                    "genotype": row["genotype"],
                }
            record = {
                "variant": variant,
                "seed": seed,
                "search_seconds": round(seconds, 1),
                "cells": cells,
                # Every epoch's softmax, so that other derive rules can be scored later.
                "probabilities": [r["probabilities"] for r in search.history],
            }
            print(json.dumps(record), flush=True)


if __name__ == "__main__":
    main()
