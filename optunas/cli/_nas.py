"""The NAS commands of ``optunas``: create a study with its configuration, run workers on it,
or do both in one process; compare samplers and pruners on the tabular benchmark."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

import optuna
from optuna.trial import TrialState

from optunas import __version__
from optunas._metrics import n_parameters, name_metrics
from optunas._names import (
    DATASETS,
    NASBENCH201_TABLES,
    OBJECTIVES,
    OPTIMIZERS,
    SPACES,
    canonical,
    unknown,
)
from optunas._names import PRUNERS as PRUNER_NAMES
from optunas._names import SAMPLERS as SAMPLER_NAMES
from optunas._signals import exit_status, interrupt_name, raise_if_stopped, sigterm_as_interrupt
from optunas._storage import (
    STORAGE_HELP,
    dashboard_target,
    failure,
    is_connection_lost,
    is_storage_failure,
    open_existing_storage,
    open_storage,
    stop_heartbeats,
)
from optunas.cli import OPTUNA_COMMANDS
from optunas.cli._config import (
    EVALUATORS,
    STUDY_SETTINGS,
    SUPERNET_MODES,
    UsageError,
    check_directions,
    describe,
    directions,
    record,
    resolve,
    stored_config,
)
from optunas.cli._threads import add_threads_option, say_threads, use_threads
from optunas.pruners import get_pruner
from optunas.samplers import get_sampler

DEFAULT_STORAGE = "sqlite:///optunas.db"
#: Modules of further sub-commands. Each defines ``register(commands)``, which adds its
#: parsers to the sub-parser action ``commands`` and sets ``handler=fn(args) -> int`` on each.
COMMAND_MODULES: list[str] = [
    "optunas.cli._supernet",
    "optunas.cli._darts",
    "optunas.cli._dashboard",
    "optunas.cli._export",
]
#: Trial states that count towards ``--until``: a trial of another worker that is still
#: running will finish, so it is counted; a failed one will be tried again, so it is not.
_COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
#: Times a worker reconnects after losing its database or Redis server (after 1, 2, 4 s)
#: before it stops; the study is left as it was, for a worker to go on later.
RECONNECTS = 3


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the message itself names the valid choices.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _CommandParser(_Parser):
    """A command's parser: it takes the options `optuna` gives every command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_global_options(self)


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    """Optuna's options of every command (``optunas --verbose run`` and ``optunas run
    --verbose`` alike, as with ``optuna``)."""
    group = parser.add_argument_group("options of every command, as with optuna")
    loudness = group.add_mutually_exclusive_group()
    loudness.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="Optuna's log: every trial (run, worker) or study created; twice for debug",
    )
    loudness.add_argument(
        "-q", "--quiet", action="store_true", help="say nothing but warnings and errors"
    )
    group.add_argument("--log-file", default=None, help="also write the log to this file")
    group.add_argument(
        "--debug", action="store_true", help="show the traceback of an error, not one line"
    )


def _choice(kind: str, valid: Sequence[str]) -> Any:
    def parse(value: str) -> str:
        if value not in valid:
            raise argparse.ArgumentTypeError(unknown(kind, value, list(valid)))
        return value

    parse.__name__ = kind
    return parse


def _positive(cast: type) -> Any:
    def parse(value: str) -> Any:
        try:
            number = cast(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a {cast.__name__}") from None
        if number <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
        return number

    parse.__name__ = f"positive {cast.__name__}"
    return parse


def _registered(kind: str, names: dict[str, str]) -> Any:
    """A sampler or pruner by its name or its class name; the name is what is recorded."""

    def parse(value: str) -> str:
        try:
            return canonical(kind, value, names)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind
    return parse


def _names(kind: str, names: dict[str, str]) -> Any:
    one = _registered(kind, names)

    def parse(value: str) -> list[str]:
        given = [n.strip() for n in value.split(",") if n.strip()]
        if not given:
            raise argparse.ArgumentTypeError(unknown(kind, value, list(names)))
        return [one(n) for n in given]

    parse.__name__ = f"{kind} list"
    return parse


def _objectives(value: str) -> str:
    names = [n.strip() for n in value.split(",")]
    unknown = [n for n in names if n not in OBJECTIVES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown objective {unknown[0]!r}; choose from {', '.join(OBJECTIVES)} "
            "(comma-separated for several)"
        )
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"objective {twice[0]!r} is named twice")
    return ",".join(names)


def _seed(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an int") from None
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return number


def _add_settings(parser: argparse.ArgumentParser) -> None:
    """The options a study records (see ``optunas.cli._config``); None means "not given"."""
    parser.add_argument(
        "--space",
        type=_choice("space", tuple(SPACES)),
        default=None,
        help=f"search space: {', '.join(SPACES)} (default: {STUDY_SETTINGS['space']})",
    )
    parser.add_argument(
        "--dataset",
        type=_choice("dataset", DATASETS),
        default=None,
        help=f"dataset: {', '.join(DATASETS)} (default: {STUDY_SETTINGS['dataset']}, "
        "generated offline)",
    )
    parser.add_argument(
        "--sampler",
        type=_registered("sampler", SAMPLER_NAMES),
        default=None,
        help=f"sampler: {', '.join(SAMPLER_NAMES)}, or its class name as `optunas ask` "
        f"takes it (EvolutionSampler; default: the study's, else {STUDY_SETTINGS['sampler']})",
    )
    parser.add_argument(
        "--pruner",
        type=_registered("pruner", PRUNER_NAMES),
        default=None,
        help=f"pruner: {', '.join(PRUNER_NAMES)}, or its class name (MedianPruner; default: "
        "the study's, else median for one objective and none for several)",
    )
    parser.add_argument(
        "--epochs",
        type=_positive(int),
        default=None,
        help=f"training epochs per trial (default: {STUDY_SETTINGS['epochs']})",
    )
    parser.add_argument(
        "--objectives",
        type=_objectives,
        default=None,
        help=f"what to optimise, comma-separated from {', '.join(OBJECTIVES)}; e.g. "
        "accuracy,params for a two-objective study (default: accuracy)",
    )
    parser.add_argument(
        "--evaluator",
        type=_choice("evaluator", EVALUATORS),
        default=None,
        help=f"how a trial is scored: {', '.join(EVALUATORS)} (default: train, a standalone "
        "training of each architecture; supernet: weights shared by all architectures, "
        "--epochs then sets the supernet's pretraining; tabular: looked up in the NB201 x "
        "MNIST-1D table in microseconds, to try samplers, pruners and workers cheaply)",
    )
    parser.add_argument(
        "--supernet-mode",
        type=_choice("supernet mode", SUPERNET_MODES),
        default=None,
        help="with --evaluator supernet: one-shot (pretrain the supernet once, then score "
        "each path with inherited weights) or enas (each trial trains the shared weights "
        "along its path first); default: one-shot",
    )
    parser.add_argument(
        "--batch-size",
        type=_positive(int),
        default=None,
        help=f"minibatch size (default: {STUDY_SETTINGS['batch_size']})",
    )
    parser.add_argument(
        "--lr",
        type=_positive(float),
        default=None,
        help=f"peak learning rate (default: {STUDY_SETTINGS['lr']})",
    )
    parser.add_argument(
        "--optimizer",
        type=_choice("optimizer", OPTIMIZERS),
        default=None,
        help=f"optimiser: {', '.join(OPTIMIZERS)} (default: {STUDY_SETTINGS['optimizer']})",
    )


def _add_storage(parser: argparse.ArgumentParser, required: bool = False) -> None:
    # As with optuna, OPTUNA_STORAGE stands in for a --storage not given (read after parsing,
    # in ``_storage_from_environment``). Without either, create-study and run use an SQLite
    # file here (optuna refuses); a worker joins a study that exists, so it needs one.
    otherwise = "required" if required else f"else {DEFAULT_STORAGE}"
    parser.add_argument(
        "--storage",
        default=None,
        help=f"{STORAGE_HELP} (default: $OPTUNA_STORAGE, {otherwise})",
    )
    parser.set_defaults(storage_default=None if required else DEFAULT_STORAGE)


def _add_work_options(parser: argparse.ArgumentParser, n_trials_help: str) -> None:
    parser.add_argument("--n-trials", type=_positive(int), default=None, help=n_trials_help)
    parser.add_argument(
        "--timeout",
        type=_positive(float),
        default=None,
        help="stop starting trials after this many seconds",
    )
    parser.add_argument(
        "--seed", type=_seed, default=None, help="seed of the sampler and of training (0 or more)"
    )
    parser.add_argument("--data-root", default=None, help="folder of torchvision datasets")
    parser.add_argument(
        "--download", action="store_true", help="let torchvision download a missing dataset"
    )
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.add_argument(
        "--no-draw",
        action="store_true",
        help="do not record a drawing of each architecture for the dashboard",
    )
    parser.add_argument(
        "--no-charts",
        action="store_true",
        help="do not draw the study's charts (choices, best so far, Pareto front, "
        "learning curves, entropy) for the dashboard",
    )
    parser.add_argument(
        "--charts-every",
        type=_positive(int),
        default=10,
        help="redraw the study's charts every this many finished trials (default: 10)",
    )
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="with --evaluator supernet: file of the shared weights (default: the study's, "
        "else beside an SQLite or journal file, else here); workers on several machines need "
        "it at that path in a folder all of them mount: a worker whose file is missing or "
        "differs from the study's (its SHA-256) stops",
    )
    parser.add_argument(
        "--artifact-dir",
        default=None,
        help="folder for the drawings (default: beside an SQLite or journal file; a database "
        "server or Redis has none: name one that the workers and the dashboard share, or the "
        "command warns once and draws nothing)",
    )
    add_threads_option(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="optunas",
        description="Neural architecture search on Optuna: create studies that carry their "
        "configuration, run workers on them from any machine, compare samplers and pruners.",
        epilog="Optuna's own commands work too, with the sampler names of every optunas "
        f"command (--sampler evolution or EvolutionSampler): {', '.join(OPTUNA_COMMANDS)}. "
        "See `optunas ask --help`. As with optuna, --storage may be the path of an existing "
        "journal file, OPTUNA_STORAGE stands in for a --storage not given, and the options "
        "of every command (-v, -q, --log-file, --debug, --storage) may come before its name.",
    )
    parser.add_argument("--version", action="version", version=f"optunas {__version__}")
    _add_global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_CommandParser)
    commands.add_parser(
        "help", help="show this help and exit (as `optunas` alone does)"
    ).set_defaults(handler=lambda args: parser.print_help() or 0)

    create = commands.add_parser(
        "create-study",
        help="create a study that records its NAS configuration (Optuna's options too)",
        description="Create a study and record its configuration (space, dataset, epochs, "
        "objectives, evaluator, training recipe, sampler, pruner) in its user attrs, so "
        "`optunas worker` runs it the same way on any machine. Prints the study name, as "
        "`optuna create-study` does. Unlike optuna's, it makes a NAS study: without "
        f"--storage or OPTUNA_STORAGE it uses {DEFAULT_STORAGE} (optuna refuses), without "
        "--study-name it names it optunas-SPACE-DATASET (optuna makes a new no-name-UUID "
        "each time), and its direction is what --objectives need (a --direction that "
        "contradicts them is refused).",
    )
    _add_storage(create)
    create.add_argument(
        "--study-name", default=None, help="study to create (default: optunas-SPACE-DATASET)"
    )
    create.add_argument(
        "--direction",
        choices=("minimize", "maximize"),
        default=None,
        help="Optuna's option; it must agree with --objectives",
    )
    create.add_argument(
        "--directions",
        choices=("minimize", "maximize"),
        nargs="+",
        default=None,
        help="Optuna's option; it must agree with --objectives",
    )
    create.add_argument(
        "--skip-if-exists",
        action="store_true",
        help="an existing study of that name is no error (if its configuration agrees)",
    )
    _add_settings(create)
    create.set_defaults(handler=_create_study)

    worker = commands.add_parser(
        "worker",
        help="run trials of an existing study with its recorded configuration",
        description="Run trials of a study with the configuration it recorded, on any "
        "machine that reaches its storage; start as many workers as you like. Options "
        "given for settings the study has not recorded (a study made by `optuna "
        "create-study`) are recorded; options that contradict it are refused. Ctrl-C or "
        "SIGTERM closes the running trial as FAIL (exit status 130 or 143); the same command "
        "resumes.",
    )
    _add_storage(worker, required=True)
    worker.add_argument("--study-name", required=True, help="the study to work on")
    worker.add_argument(
        "--until",
        type=_positive(int),
        default=None,
        help="stop when the study as a whole has this many finished trials "
        "(counted across all workers)",
    )
    _add_work_options(worker, "trials this worker runs (default: no limit; see --until)")
    _add_settings(worker)
    worker.set_defaults(handler=_worker)

    run = commands.add_parser(
        "run",
        help="create or resume a study and search for an architecture",
        description="Create a study (or resume one of the same name) and add trials, each a "
        "network trained on the dataset: create-study and worker in one process. The "
        "configuration is stored in the study; a resumed run takes it from there. Ctrl-C or "
        "SIGTERM closes the running trial as FAIL (exit status 130 or 143).",
    )
    _add_storage(run)
    run.add_argument(
        "--study-name",
        default=None,
        help="study to create or resume (default: optunas-SPACE-DATASET)",
    )
    _add_work_options(
        run, "trials to add in this run (default: 20, or unlimited when --timeout is given)"
    )
    _add_settings(run)
    run.set_defaults(handler=_run)

    bench = commands.add_parser(
        "bench",
        help="compare samplers or pruners on the tabular benchmark",
        description="Run samplers or pruners side by side on the NB201 x MNIST-1D table "
        "(every cell trained once, looked up in microseconds) over many seeds, or samplers "
        "on NAS-Bench-201's own tables (CIFAR-10, CIFAR-100, ImageNet16-120; "
        "pip install 'optunas[nb201]').",
    )
    kinds = bench.add_subparsers(dest="kind", required=True, parser_class=_Parser)
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
        type=_names("sampler", SAMPLER_NAMES),
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
        "--gp-seeds", type=_positive(int), default=None, help="fewer seeds for the slow gp sampler"
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
        type=_positive(float),
        default=12000.0,
        help="simulated training time per search with --protocol paper (default: 12000, "
        "the paper's)",
    )
    samplers.add_argument("--first-seed", type=int, default=0, help="the first seed (default: 0)")
    samplers.add_argument(
        "--real-epochs",
        type=_positive(int),
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
        type=_names("pruner", PRUNER_NAMES),
        default=list(PRUNER_NAMES),
        help="comma-separated pruner names",
    )
    pruners.add_argument(
        "--samplers",
        type=_names("sampler", SAMPLER_NAMES),
        default=["random", "tpe"],
        help="comma-separated sampler names",
    )
    for sub in (samplers, pruners):
        sub.add_argument(
            "--seeds", type=_positive(int), default=30, help="seeds per method (default: 30)"
        )
        sub.add_argument(
            "--trials", type=_positive(int), default=200, help="trials per study (default: 200)"
        )
        sub.add_argument(
            "--jobs", type=_positive(int), default=1, help="worker processes (default: 1)"
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
    bench.set_defaults(handler=_bench)

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
        type=_choice("space", tuple(SPACES)),
        default=STUDY_SETTINGS["space"],
        help=f"search space: {', '.join(SPACES)} (default: {STUDY_SETTINGS['space']})",
    )
    space.set_defaults(handler=_search_space)

    commands.add_parser(
        "list",
        help="list the spaces, datasets, samplers and pruners",
        description="List the names --space, --dataset, --sampler and --pruner accept.",
    ).set_defaults(handler=lambda args: _list())
    for module in COMMAND_MODULES:
        # Each module adds its own sub-commands and sets ``handler`` on them, so a group of
        # commands lives in one file and this one only lists them.
        importlib.import_module(module).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        _log_as_asked(args)
        _storage_from_environment(args)
        return args.handler(args)
    except UsageError as exc:
        if args.debug:
            raise
        print(f"optunas {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        # A storage that fails outside a worker's trials (reading the study, recording its
        # configuration): the driver's words in one line, not the stack of SQLAlchemy.
        if not is_storage_failure(exc) or args.debug:
            raise
        storage = getattr(args, "storage", None)
        print(
            f"optunas {args.command}: error: storage {storage!r} failed: {failure(exc)}",
            file=sys.stderr,
        )
        return 2


def _log_as_asked(args: argparse.Namespace) -> None:
    """``--verbose``, ``--quiet`` and ``--log-file`` as Optuna's commands take them; without
    them each command keeps its own level (run and worker show a progress bar, not a log)."""
    if args.quiet:
        optuna.logging.set_verbosity(logging.WARNING)
    elif args.verbose:
        optuna.logging.set_verbosity(logging.INFO if args.verbose == 1 else logging.DEBUG)
    if args.log_file is not None:
        try:
            handler = logging.FileHandler(args.log_file)
        except OSError as exc:
            raise UsageError(f"cannot write --log-file {args.log_file!r}: {exc.strerror}") from None
        handler.setFormatter(optuna.logging.create_default_formatter())
        # Optuna's logger does not propagate to the root logger: give the file both.
        for name in ("", "optuna"):
            logging.getLogger(name).addHandler(handler)


def _storage_from_environment(args: argparse.Namespace) -> None:
    if getattr(args, "storage", "") is not None:
        return  # given, or a command without --storage
    args.storage = os.environ.get("OPTUNA_STORAGE") or args.storage_default
    if args.storage is None:
        raise UsageError("the following arguments are required: --storage (or OPTUNA_STORAGE)")


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

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.kind == "samplers":
        field = args.table in NASBENCH201_TABLES
        if args.protocol == "paper" and not field:
            raise UsageError("--protocol paper needs one of NAS-Bench-201's tables (--table)")
        if field and args.real_epochs:
            raise UsageError("--real-epochs trains the MNIST-1D table's cells; not with --table")
        if field and not harness.nasbench201.has_nasbench201():
            raise UsageError(harness.nasbench201.EXTRA_HINT)
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


def _default_name(args: argparse.Namespace) -> str:
    return args.study_name or (
        f"optunas-{args.space or STUDY_SETTINGS['space']}-"
        f"{args.dataset or STUDY_SETTINGS['dataset']}"
    )


def _open(url: str, existing: bool = False) -> optuna.storages.BaseStorage:
    """The storage at ``url``; with ``existing``, for a command that reads a study, one that
    is not there yet is an error (as a missing SQLite file), not created."""
    try:
        return open_existing_storage(url) if existing else open_storage(url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _load(storage: optuna.storages.BaseStorage, name: str, url: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None
    except Exception as exc:  # a reachable URL whose server refuses us mid-way
        raise UsageError(
            f"cannot read storage {url!r}: {str(exc).strip().splitlines()[0]}"
        ) from None


def _create_or_load(
    storage: optuna.storages.BaseStorage,
    name: str,
    config: dict[str, Any],
    wanted: list[str] | None = None,
) -> tuple[optuna.Study, bool]:
    """The study of that name, created with the objectives' directions if it does not exist
    (by this process: another worker may win the race, which is no error)."""
    try:
        study = optuna.create_study(
            storage=storage, study_name=name, directions=wanted or directions(config)
        )
    except optuna.exceptions.DuplicatedStudyError:
        return optuna.load_study(study_name=name, storage=storage), False
    # Named at once, so the dashboard says "validation accuracy" before the first trial ends.
    name_metrics(study, config["objectives"].split(","))
    return study, True


def _create_study(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    if args.direction and args.directions:
        raise UsageError("give --direction or --directions, not both")
    storage = _open(args.storage)
    name = _default_name(args)
    existing = _load(storage, name, args.storage)
    if existing is not None and not args.skip_if_exists:
        raise UsageError(
            f"study {name!r} already exists on {args.storage}; run `optunas worker "
            f"--study-name {name} --storage {args.storage}`, or pass --skip-if-exists"
        )
    config = resolve(args, existing)
    wanted = directions(config)
    given = args.directions or ([args.direction] if args.direction else None)
    if given is not None and given != wanted:
        raise UsageError(
            f"--direction{'s' if len(given) > 1 else ''} {' '.join(given)} does not fit "
            f"objectives {config['objectives']}, which need {' '.join(wanted)}; leave the "
            "direction out and optunas sets it"
        )
    study, created = _create_or_load(storage, name, config)
    check_directions(study, config)
    record(study, config)
    print(name)
    if not args.quiet:
        print(
            f"{'Created' if created else 'Kept existing'} study {name!r} on {args.storage}: "
            f"{describe(config)}.",
            file=sys.stderr,
        )
    return 0


def _worker(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _open(args.storage, existing=True)
    study = _load(storage, args.study_name, args.storage)
    if study is None:
        raise UsageError(
            f"no study {args.study_name!r} on {args.storage}; create it first with "
            f"`optunas create-study --study-name {args.study_name} --storage {args.storage}`"
        )
    adopted = not stored_config(study)
    config = resolve(args, study)
    check_directions(study, config)
    objective = _objective(config, args, study)
    record(study, config)
    verb = "Adopted" if adopted else "Working on"
    return _work(study, objective, config, args, verb)


def _run(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = _open(args.storage)
    name = _default_name(args)
    existing = _load(storage, name, args.storage)
    config = resolve(args, existing)
    if existing is not None:
        check_directions(existing, config)
    objective = _objective(config, args, existing)
    study, created = _create_or_load(storage, name, config)
    record(study, config)
    if args.n_trials is None and args.timeout is None:
        args.n_trials = 20
    return _work(study, objective, config, args, "Created" if created else "Resuming")


def _objective(
    config: dict[str, Any], args: argparse.Namespace, study: optuna.Study | None = None
) -> Any:
    # Imported here so that `optunas --help` and bad input answer without loading torch.
    from optunas.data import DatasetUnavailableError
    from optunas.evaluation import TrainObjective
    from optunas.spaces import get_space

    common = {
        "objectives": config["objectives"].split(","),
        "seed": 0 if args.seed is None else args.seed,
        "data_root": args.data_root,
        "download": args.download,
        "draw": not args.no_draw,
        "artifact_store": args.artifact_dir,
    }
    recipe = {
        "epochs": config["epochs"],
        "batch_size": config["batch_size"],
        "lr": config["lr"],
        "optimizer": config["optimizer"],
    }
    try:
        if config["evaluator"] == "tabular":
            return _tabular_objective(config)
        say_threads(use_threads(args.threads))
        _warn_if_not_drawn(args)
        if config["evaluator"] == "supernet":
            return _supernet_objective(config, args, study, {**common, **recipe})
        return TrainObjective(get_space(config["space"]), config["dataset"], **recipe, **common)
    except DatasetUnavailableError as exc:
        raise UsageError(str(exc)) from None


def _artifact_dir(args: argparse.Namespace) -> str | None:
    """The folder the drawings go to: ``--artifact-dir``, else beside an SQLite or journal
    file; None for a database server or Redis, which has no folder beside it."""
    from optunas.dashboard import default_artifact_dir

    return args.artifact_dir or default_artifact_dir(args.storage)


def _warn_if_not_drawn(args: argparse.Namespace) -> None:
    if args.no_draw or _artifact_dir(args) is not None:
        return
    print(
        f"optunas {args.command}: warning: the architectures are not drawn for the dashboard: "
        f"{args.storage} has no folder beside it for them; pass --artifact-dir DIR (one that "
        "the workers and the dashboard share), or --no-draw",
        file=sys.stderr,
        flush=True,
    )


def _tabular_objective(config: dict[str, Any]) -> Any:
    from optunas.benchmarks import SETTING, TabularObjective

    table = (config["space"], config["dataset"], config["epochs"])
    if table != ("nb201", "mnist1d", SETTING.recipe.epochs):
        raise UsageError(
            "--evaluator tabular looks trials up in the NB201 x MNIST-1D table of "
            f"{SETTING.recipe.epochs} epochs; it needs --space nb201 --dataset mnist1d "
            f"--epochs {SETTING.recipe.epochs}"
        )
    return TabularObjective(objectives=config["objectives"].split(","))


def _supernet_objective(
    config: dict[str, Any],
    args: argparse.Namespace,
    study: optuna.Study | None,
    options: dict[str, Any],
) -> Any:
    """A SupernetObjective on the study's checkpoint; a one-shot supernet that is not
    pretrained to ``--epochs`` yet is pretrained first (resumably: a restart goes on)."""
    from optunas.evaluation import SupernetObjective
    from optunas.evaluation._supernet import STUDY_ATTR_CHECKPOINT
    from optunas.spaces import get_space

    recorded = None if study is None else study.user_attrs.get(STUDY_ATTR_CHECKPOINT)
    if args.checkpoint and recorded and os.path.abspath(args.checkpoint) != recorded:
        raise UsageError(f"the study's supernet checkpoint is {recorded}, not {args.checkpoint}")
    if recorded and not args.checkpoint:
        _check_recorded_checkpoint(recorded)
    checkpoint = args.checkpoint or recorded or _default_checkpoint(args)
    objective = SupernetObjective(
        get_space(config["space"]),
        config["dataset"],
        mode=config["supernet_mode"],
        checkpoint=checkpoint,
        **options,
    )
    if study is not None:
        _check_study_checkpoint(objective, study)
    if config["supernet_mode"] == "one-shot":
        print(
            f"Supernet {checkpoint}: pretraining to {config['epochs']} "
            f"epoch{'s' if config['epochs'] != 1 else ''} (it resumes "
            "where it stopped, and does nothing when it is there).",
            flush=True,
        )
        objective.pretrain(show_progress_bar=not args.no_progress)
    return objective


def _check_recorded_checkpoint(path: str) -> None:
    """A joining worker writes to the checkpoint its study records, a path that came from the
    database and not from this user's command line: write only what can be nothing but a
    supernet checkpoint (a ``.pt`` file, not a link, in a folder that exists, holding a
    checkpoint or nothing yet), never another file of this machine."""
    reason = None
    if not os.path.isabs(path) or not path.endswith(".pt"):
        reason = "not an absolute path to a .pt file"
    elif os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        reason = "a link or not a regular file"
    elif not os.path.isdir(os.path.dirname(path)):
        reason = "its folder does not exist here"
    if reason is not None:
        raise UsageError(
            f"the study records its supernet checkpoint as {path!r}, which optunas will not "
            f"write ({reason}); correct the study's user attr or start another study"
        )


def _check_study_checkpoint(objective: Any, study: optuna.Study) -> None:
    """Where the study records its checkpoint's SHA-256, the file here must be that one:
    a worker on a machine without the shared folder stops before it trains a copy of its own."""
    from optunas.evaluation import CheckpointMismatchError

    try:
        objective.check_study(study)
    except CheckpointMismatchError as exc:
        raise UsageError(str(exc)) from None


def _default_checkpoint(args: argparse.Namespace) -> str:
    from optunas.dashboard import default_artifact_dir

    # A study name becomes a file name: keep to characters that cannot leave the folder.
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in _default_name(args))
    folder = default_artifact_dir(args.storage) or "."
    os.makedirs(folder, exist_ok=True)
    return os.path.join(folder, f"supernet-{safe.lstrip('.')}.pt")


class _BeyondQuota(Exception):
    """This worker's trial would take the study past ``--until``: another worker got there."""


def _work(
    study: optuna.Study,
    objective: Any,
    config: dict[str, Any],
    args: argparse.Namespace,
    verb: str,
) -> int:
    """Run trials on ``study`` until this worker's ``--n-trials``, the study's ``--until``,
    ``--timeout`` or Ctrl-C."""
    study.sampler = get_sampler(config["sampler"], args.seed)
    study.pruner = get_pruner(config["pruner"])
    until = getattr(args, "until", None)
    _fail_stale_trials(study)
    done_before = len(study.trials)
    print(
        f"{verb} study {study.study_name!r} on {args.storage} ({done_before} trial"
        f"{'s' if done_before != 1 else ''} so far): {describe(config)}.",
        flush=True,
    )
    if until is not None and _count(study) >= until:
        print(
            f"The study already has {_count(study)} finished or running trials "
            f"(--until {until}); nothing to do."
        )
        _report(study, config["objectives"].split(","), args)
        return 0
    running: list[optuna.Trial] = []
    done: list[int] = []  # trials this worker finished, across reconnections

    def tracked(trial: optuna.Trial) -> Any:
        running[:] = [trial]
        raise_if_stopped()
        if until is not None and _count(study, below=trial.number) >= until:
            # Trials are numbered atomically by the storage, so exactly one of two workers
            # racing for the last place finds the quota full: that trial is closed at once.
            trial.set_user_attr("fail_reason", f"not run: the study reached --until {until}")
            raise _BeyondQuota
        return objective(trial)

    def finished(study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        done.append(trial.number)
        raise_if_stopped()  # a stop whose interruption was lost ends the worker here

    callbacks: list[Any] = [finished]
    if until is not None:
        callbacks.append(optuna.study.MaxTrialsCallback(until, states=_COUNTED))
    charts = None
    if not args.no_charts:
        from optunas.dashboard import StudyCharts

        charts = StudyCharts(every=args.charts_every)
        callbacks.append(charts)
    logging.getLogger("optuna.study._optimize").addFilter(_QuietFailures())
    with sigterm_as_interrupt():  # a scheduler's stop closes the trial as Ctrl-C does
        return _optimize(study, tracked, callbacks, charts, running, done, config, args)


def _optimize(
    study: optuna.Study,
    tracked: Any,
    callbacks: list[Any],
    charts: Any,
    running: list[optuna.Trial],
    done: list[int],
    config: dict[str, Any],
    args: argparse.Namespace,
) -> int:
    """The loop of :func:`_work`: ``study.optimize`` again after each lost connection."""
    started = time.monotonic()
    attempt, done_then = 0, 0
    while args.timeout is None or time.monotonic() - started < args.timeout:
        n_trials = None if args.n_trials is None else args.n_trials - len(done)
        try:
            study.optimize(
                tracked,
                n_trials=n_trials,
                timeout=None
                if args.timeout is None
                else args.timeout - (time.monotonic() - started),
                callbacks=callbacks,
                # Optuna has no bar without a count or a time, and warns on each start instead.
                show_progress_bar=not args.no_progress
                and (n_trials is not None or args.timeout is not None),
                gc_after_trial=False,
            )
            break
        except _BeyondQuota:
            break
        except KeyboardInterrupt as exc:
            return _interrupted(study, running, exc)
        except Exception as exc:
            interrupt = _interrupt_of(exc)
            if interrupt is not None:
                # Ctrl-C inside a storage call, which raised an error of its own on the way out.
                return _interrupted(study, running, interrupt)
            if not is_storage_failure(exc):
                raise
            # The bound is on drops in a row: a worker that finished trials since the last
            # one starts counting again, so a long study survives a database restart a week.
            attempt = attempt + 1 if len(done) == done_then else 1
            done_then = len(done)
            if not is_connection_lost(exc) or attempt > RECONNECTS:
                raise UsageError(
                    f"storage {args.storage!r} failed: {failure(exc)} (the trials it holds "
                    "are kept)"
                ) from None
            wait = 2 ** (attempt - 1)
            print(
                f"Lost the connection to {args.storage} ({failure(exc)}); reconnecting in "
                f"{wait} s (attempt {attempt} of {RECONNECTS}).",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(wait)
            _retry_if_running(study, running)
    if charts is not None:
        charts.refresh(study)  # the trials since the last multiple of --charts-every
    _report(study, config["objectives"].split(","), args)
    return 0


def _interrupted(
    study: optuna.Study, running: list[optuna.Trial], interrupt: KeyboardInterrupt
) -> int:
    """Close the trial of a worker stopped by Ctrl-C or SIGTERM; 130 or 143, as a shell says."""
    stop_heartbeats()  # first: a beat must not race the trial's closing
    name = interrupt_name(interrupt)
    _fail_if_running(study, running, f"interrupted ({name})")
    print(
        f"\nInterrupted ({name}): the running trial was closed as FAIL. Run the same command "
        f"to resume study {study.study_name!r}.",
        file=sys.stderr,
    )
    return exit_status(interrupt)


def _interrupt_of(exc: BaseException) -> KeyboardInterrupt | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _fail_stale_trials(study: optuna.Study) -> None:
    """Fail (and queue again) the trials of dead workers now, as ``optimize`` does before each
    trial: a stale trial counted as running would make ``--until`` stop short."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def _count(study: optuna.Study, below: int | None = None) -> int:
    trials = study.get_trials(deepcopy=False, states=_COUNTED)
    return len(trials if below is None else [t for t in trials if t.number < below])


class _QuietFailures(logging.Filter):
    """Optuna logs a failed trial with its traceback; for Ctrl-C, a trial closed because the
    study is full, or a storage that failed under it, that is noise, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is _BeyondQuota:
            return False
        if record.exc_info and is_storage_failure(record.exc_info[1]):
            return False  # the worker says it in one line of its own
        if record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt):
            record.exc_info = None
        return True


def _retry_if_running(study: optuna.Study, running: list[optuna.Trial]) -> None:
    """The trial this worker ran when its connection dropped is dead: fail it and queue it
    again now, as the heartbeat would after its grace period."""
    storage = study._storage
    for trial in running:
        try:
            frozen = storage.get_trial(trial._trial_id)
            if frozen.state != optuna.trial.TrialState.RUNNING:
                continue
            if storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL):
                retry = getattr(storage, "get_heartbeat_stale_trial_callback", lambda: None)()
                if retry is not None:
                    retry(study, storage.get_trial(trial._trial_id))
        except Exception as exc:
            if not is_storage_failure(exc):
                raise
            # Still cut off: the next attempt fails as well and says so; otherwise the
            # heartbeat fails and retries this trial after its grace period.
    running.clear()


def _fail_if_running(study: optuna.Study, running: list[optuna.Trial], reason: str) -> None:
    """Optuna closes a trial interrupted inside the objective as FAIL; one interrupted while
    being asked for (the sampler's work) or told (a storage write) could stay RUNNING, so
    close it here: the last trial this process started, as its storage noted."""
    storage = study._storage
    backend = storage._backend if isinstance(storage, optuna.storages._CachedStorage) else storage
    ids = {trial._trial_id for trial in running} | set(getattr(backend, "started_here", [])[-1:])
    for trial_id in ids:
        if storage.get_trial(trial_id).state == optuna.trial.TrialState.RUNNING:
            storage.set_trial_user_attr(trial_id, "fail_reason", reason)
            storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)


def _report(study: optuna.Study, objectives: list[str], args: argparse.Namespace) -> None:
    states = [t.state.name for t in study.trials]
    counts = ", ".join(f"{states.count(s)} {s.lower()}" for s in sorted(set(states)))
    print(
        f"\nStudy {study.study_name!r}: {len(states)} trial{'s' if len(states) != 1 else ''} "
        f"({counts})."
    )
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = (
        [] if not completed else ([study.best_trial] if len(objectives) == 1 else study.best_trials)
    )
    if not best:
        print("No trial has completed yet.")
    for trial in best[:10]:
        values = ", ".join(f"{name} {_fmt(name, v)}" for name, v in zip(objectives, trial.values))
        print(
            f"Best architecture (trial {trial.number}): validation {values}, "
            f"{n_parameters(trial, 0):,} params\n  {trial.user_attrs.get('genotype')}"
        )
    if len(best) > 10:
        print(f"... and {len(best) - 10} more on the Pareto front.")
    folder = _artifact_dir(args)
    folder_option = f" --artifact-dir {folder}" if folder else ""
    drawn = ", with a drawing of each architecture" if folder and not args.no_draw else ""
    print(
        f"Watch it in optuna-dashboard{drawn}:\n"
        f"  optunas dashboard --storage {args.storage}"
        f"{folder_option if args.artifact_dir else ''}"
    )
    print(f"  (or optuna-dashboard {dashboard_target(args.storage)}{folder_option})")


def _fmt(name: str, value: float) -> str:
    return f"{value:.4f}" if name == "accuracy" else f"{value:,.0f}"
