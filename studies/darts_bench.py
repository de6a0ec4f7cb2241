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

Takes about 20 minutes on one loaded core for the default (5 seeds x 3 variants x 50
epochs); run it with ``nice``:

    nice -n 10 python studies/darts_bench.py --seeds 5 --epochs 50 --variants first,second,minus
"""

from __future__ import annotations

import argparse
import json
import time

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
        ("pt", "pt", "nb201"),
    ):
        search.guard, search.derive_rule = guard, rule
        search.guard_strength = 0.5 if guard == "average" else search.guard_strength
        cells[name] = search.derived()
    return cells


def _standalone_seconds(data) -> float:
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
    started = time.perf_counter()
    study.optimize(objective, n_trials=1)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--variants", default="first,second,minus")
    parser.add_argument("--arch-lr", type=float, default=3e-3)
    parser.add_argument("--lr", type=float, default=0.025)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--skip", type=float, default=1.0, help="DARTS- initial skip")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    table = load_nb201_table()
    data = SETTING.dataset()
    space = NB201(channels=SETTING.channels, cells_per_stage=SETTING.cells_per_stage)
    standalone = _standalone_seconds(data)
    print(json.dumps({"standalone_seconds": round(standalone, 2)}), flush=True)
    for variant in args.variants.split(","):
        for seed in range(args.seeds):
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
            for rule, ops in _rules(search).items():
                row = table.lookup(ops)
                p = _percentile(table, ops)
                print(
                    json.dumps(
                        {
                            "variant": variant,
                            "seed": seed,
                            "rule": rule,
                            "percentile": round(p, 4),
                            "valid": round(row["valid"], 4),
                            "test": round(row["test"], 4),
                            "search_seconds": round(seconds, 1),
                            "random_trainings_to_rank": round(1.0 / max(1e-9, 1.0 - p), 1),
                            "genotype": row["genotype"],
                        }
                    ),
                    flush=True,
                )


if __name__ == "__main__":
    main()
