"""``optunas bench`` (samplers or pruners side by side on a tabular benchmark),
``search-space`` (a space's distributions for ``optunas ask``) and ``list`` (the names the
commands take).

Example:
    >>> import argparse
    >>> from optunas.cli._args import CommandParser
    >>> from optunas.cli._tools import register
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers(dest="command", parser_class=CommandParser))
    >>> parser.parse_args(["bench", "samplers", "--samplers", "EvolutionSampler"]).samplers
    ['evolution']
"""

from __future__ import annotations

import argparse
from typing import Any

import optuna

from optunas._names import DATASETS, NASBENCH201_TABLES, OBJECTIVES, SPACES
from optunas._names import PRUNERS as PRUNER_NAMES
from optunas._names import SAMPLERS as SAMPLER_NAMES
from optunas.cli._args import Parser, choice, name_list, positive, reported
from optunas.cli._config import STUDY_SETTINGS, UsageError


def register(commands: Any) -> None:
    """Add ``bench``, ``search-space`` and ``list`` to the sub-parser action ``commands``."""
    bench = commands.add_parser(
        "bench",
        help="compare samplers or pruners on the tabular benchmark",
        description="Run samplers or pruners side by side on the NB201 x MNIST-1D table "
        "(every cell trained once, looked up in microseconds) over many seeds, or samplers "
        "on NAS-Bench-201's own tables (CIFAR-10, CIFAR-100, ImageNet16-120; "
        "pip install 'optunas[nb201]').",
    )
    kinds = bench.add_subparsers(dest="kind", required=True, parser_class=Parser)
    samplers = kinds.add_parser(
        "samplers",
        help="regret against trials, test accuracy and overhead per sampler",
        description="For each sampler, S seeds x T trials: mean regret (best validation "
        "accuracy in the table minus the best found, percentage points) with its standard "
        "error at 10, 25, 50, 100, 200 and 300 trials, the test accuracy of the "
        "best-by-validation cell, and the median milliseconds per trial around trial 100 and "
        "1,000. Each run is also written to OUT/samplers-runs.jsonl as it finishes.",
    )
    samplers.add_argument(
        "--samplers",
        type=name_list("sampler", SAMPLER_NAMES),
        default=["random", "tpe"],
        help="comma-separated sampler names",
    )
    samplers.add_argument(
        "--overhead-trials",
        type=int,
        default=0,
        help="also time one run this long (1010 gives overhead at 100 and 1,000)",
    )
    samplers.add_argument(
        "--gp-seeds", type=positive(int), default=None, help="fewer seeds for the slow gp sampler"
    )
    samplers.add_argument(
        "--table",
        choices=("default", "pruning", *NASBENCH201_TABLES),
        default="default",
        help="which table: default, pruning (the same cells trained so that early epochs "
        "tell more), or NAS-Bench-201's own (200-epoch accuracies, no test accuracies; "
        "pip install 'optunas[nb201]') (default: default)",
    )
    samplers.add_argument(
        "--protocol",
        choices=("regret", "paper"),
        default="regret",
        help="on NAS-Bench-201's tables: regret (--trials trials rewarded with the 200-epoch "
        "accuracy) or paper (the NB201 paper's: 12-epoch accuracy as the reward, "
        "--budget-seconds of simulated training, the figure is the returned cell's 200-epoch "
        "accuracy) (default: regret)",
    )
    samplers.add_argument(
        "--budget-seconds",
        type=positive(float),
        default=12000.0,
        help="simulated training time per search with --protocol paper (default: 12000, "
        "the paper's)",
    )
    samplers.add_argument("--first-seed", type=int, default=0, help="the first seed (default: 0)")
    samplers.add_argument(
        "--real-epochs",
        type=positive(int),
        default=None,
        help="train each cell for real for this many epochs instead of "
        "looking it up (regret is then the validation error)",
    )
    pruners = kinds.add_parser(
        "pruners",
        help="epochs consumed and final regret per pruner",
        description="For each sampler and pruner, S seeds x T trials: total epochs consumed "
        "and the final regret.",
    )
    pruners.add_argument(
        "--pruners",
        type=name_list("pruner", PRUNER_NAMES),
        default=list(PRUNER_NAMES),
        help="comma-separated pruner names",
    )
    pruners.add_argument(
        "--samplers",
        type=name_list("sampler", SAMPLER_NAMES),
        default=["random", "tpe"],
        help="comma-separated sampler names",
    )
    for sub in (samplers, pruners):
        sub.add_argument(
            "--seeds", type=positive(int), default=30, help="seeds per method (default: 30)"
        )
        sub.add_argument(
            "--trials", type=positive(int), default=200, help="trials per study (default: 200)"
        )
        sub.add_argument(
            "--jobs", type=positive(int), default=1, help="worker processes (default: 1)"
        )
        sub.add_argument(
            "--out",
            default="bench-results",
            help="folder for JSON and PNG (default: bench-results)",
        )
    pruners.add_argument(
        "--table",
        choices=("default", "pruning"),
        default="default",
        help="which shipped table: default, or pruning (the same cells trained "
        "so that early epochs tell more; default: default)",
    )
    bench.set_defaults(handler=reported(_bench))

    space = commands.add_parser(
        "search-space",
        help="print a space's distributions as `optunas ask --search-space` takes them",
        description="Print the space's parameters and their distributions as JSON, in the form "
        "Optuna's `ask --search-space` takes, for a loop of `optunas ask` and `optunas tell` "
        "around a training script of your own. Only spaces whose parameters do not depend on "
        "each other have one (nb201; chain's layers exist only up to its depth).",
    )
    space.add_argument(
        "--space",
        type=choice("space", tuple(SPACES)),
        default=STUDY_SETTINGS["space"],
        help=f"search space: {', '.join(SPACES)} (default: {STUDY_SETTINGS['space']})",
    )
    space.set_defaults(handler=reported(_search_space))

    commands.add_parser(
        "list",
        help="list the spaces, datasets, samplers and pruners",
        description="List the names --space, --dataset, --sampler and --pruner accept.",
    ).set_defaults(handler=lambda args: _list())


def _list() -> int:
    for label, names in (
        ("spaces", SPACES),
        ("datasets", DATASETS),
        ("samplers", SAMPLER_NAMES),
        ("pruners", PRUNER_NAMES),
        ("objectives", OBJECTIVES),
    ):
        print(f"{label}: {', '.join(names)}")
    return 0


def _search_space(args: argparse.Namespace) -> int:
    import json

    from optunas.spaces import get_space

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = get_space(args.space)
    seen = []
    for seed in range(8):  # a conditional space shows a different set of params soon
        study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
        trial = study.ask()
        space.suggest(trial)
        seen.append(trial.distributions)
    if any(d.keys() != seen[0].keys() for d in seen):
        raise UsageError(
            f"space {args.space!r} is conditional (its params depend on earlier choices), so "
            "no fixed --search-space describes it; use `optunas worker` or the Python API"
        )
    print(
        json.dumps(
            {
                name: json.loads(optuna.distributions.distribution_to_json(dist))
                for name, dist in seen[0].items()
            }
        )
    )
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from optunas.benchmarks import _harness as harness
    from optunas.benchmarks import _nasbench201 as nasbench201

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.kind == "samplers":
        field = args.table in NASBENCH201_TABLES
        if args.protocol == "paper" and not field:
            raise UsageError("--protocol paper needs one of NAS-Bench-201's tables (--table)")
        if field and args.real_epochs:
            raise UsageError("--real-epochs trains the MNIST-1D table's cells; not with --table")
        if field and not nasbench201.has_nasbench201():
            raise UsageError(nasbench201.EXTRA_HINT)
        limits = {"gp": args.gp_seeds} if args.gp_seeds else None
        paper = args.protocol == "paper"
        # The runs go to a JSON-lines file as each finishes: a long run stopped early keeps them.
        log = out / "samplers-runs.jsonl"
        log.unlink(missing_ok=True)
        result = harness.bench_samplers(
            args.samplers,
            seeds=args.seeds,
            # Under the paper's protocol the budget ends each search; --trials only caps it.
            trials=args.trials if not paper else max(args.trials, 100_000),
            overhead_trials=args.overhead_trials,
            processes=args.jobs,
            seed_limits=limits,
            real_epochs=args.real_epochs,
            variant=args.table,
            budget_seconds=args.budget_seconds if paper else None,
            log=log,
            first_seed=args.first_seed,
        )
        harness.write_json(result, out / "samplers.json")
        written = [out / "samplers.json", log]
        if not paper:
            harness.plot_regret(result, out / "samplers.png")
            written.append(out / "samplers.png")
        print(harness.format_sampler_table(result))
        print(f"\nWrote {', '.join(map(str, written))}")
    else:
        result = harness.bench_pruners(
            args.pruners,
            samplers=args.samplers,
            seeds=args.seeds,
            trials=args.trials,
            processes=args.jobs,
            variant=args.table,
        )
        harness.write_json(result, out / "pruners.json")
        print(harness.format_pruner_table(result))
        print(f"\nWrote {out / 'pruners.json'}")
    return 0
