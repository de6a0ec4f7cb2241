"""The ``optunas`` command: run and resume architecture searches on any Optuna storage."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import optuna

from optunas._storage import STORAGE_HELP, dashboard_target, open_storage
from optunas.data import DATASETS, DatasetUnavailableError
from optunas.evaluation import OBJECTIVES, OPTIMIZERS
from optunas.pruners import PRUNERS, get_pruner
from optunas.samplers import SAMPLERS, get_sampler
from optunas.spaces import SPACES, get_space

DEFAULT_STORAGE = "sqlite:///optunas.db"
#: Settings a study keeps in its user attrs; a resumed run must not contradict them.
STUDY_SETTINGS: dict[str, Any] = {
    "space": "nb201",
    "dataset": "mnist1d",
    "epochs": 10,
    "objectives": "accuracy",
    # The training recipe changes every trial's value as much as the epochs do.
    "batch_size": 128,
    "lr": 0.01,
    "optimizer": "adamw",
}
_ATTR_PREFIX = "optunas:"
#: Modules of further sub-commands. Each defines ``register(commands)``, which adds its
#: parsers to the sub-parser action ``commands`` and sets ``handler=fn(args) -> int`` on each.
COMMAND_MODULES: list[str] = []


class UsageError(Exception):
    """Bad input: reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the message itself names the valid choices.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _choice(kind: str, valid: Sequence[str]) -> Any:
    def parse(value: str) -> str:
        if value not in valid:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {value!r}; choose from {', '.join(valid)}"
            )
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


def _names(kind: str, valid: Sequence[str]) -> Any:
    def parse(value: str) -> list[str]:
        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in valid]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {kind} {(unknown or [value])[0]!r}; choose from {', '.join(valid)}"
            )
        return names

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
    return ",".join(names)


class _NoInterruptTraceback(logging.Filter):
    """Optuna logs a failed trial with its traceback; for Ctrl-C that is noise, not news."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[0] is KeyboardInterrupt:
            record.exc_info = None
        return True


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="optunas",
        description="Neural architecture search on Optuna: run studies, resume them, list "
        "what is available.",
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="create or resume a study and search for an architecture",
        description="Create a study (or resume one of the same name) and add trials, each a "
        "network trained on the dataset. Space, dataset, epochs and objectives are stored in "
        "the study; a resumed run takes them from there.",
    )
    run.add_argument(
        "--storage", default=DEFAULT_STORAGE, help=f"{STORAGE_HELP} (default: {DEFAULT_STORAGE})"
    )
    run.add_argument(
        "--study-name", default=None, help="study to create or resume (default: optunas-SPACE-DATASET)"
    )
    run.add_argument(
        "--space", type=_choice("space", tuple(SPACES)), default=None,
        help=f"search space: {', '.join(SPACES)} (default: {STUDY_SETTINGS['space']})",
    )
    run.add_argument(
        "--dataset", type=_choice("dataset", DATASETS), default=None,
        help=f"dataset: {', '.join(DATASETS)} (default: {STUDY_SETTINGS['dataset']}, "
        "generated offline)",
    )
    run.add_argument(
        "--sampler", type=_choice("sampler", tuple(SAMPLERS)), default="tpe",
        help=f"sampler: {', '.join(SAMPLERS)} (default: tpe)",
    )
    run.add_argument(
        "--pruner", type=_choice("pruner", tuple(PRUNERS)), default="median",
        help=f"pruner: {', '.join(PRUNERS)} (default: median)",
    )
    run.add_argument(
        "--n-trials", type=_positive(int), default=None,
        help="trials to add in this run (default: 20, or unlimited when --timeout is given)",
    )
    run.add_argument("--timeout", type=_positive(float), default=None, help="stop after this many seconds")
    run.add_argument(
        "--epochs", type=_positive(int), default=None,
        help=f"training epochs per trial (default: {STUDY_SETTINGS['epochs']})",
    )
    run.add_argument(
        "--objectives", type=_objectives, default=None,
        help=f"what to optimise, comma-separated from {', '.join(OBJECTIVES)}; e.g. "
        "accuracy,params for a two-objective study (default: accuracy)",
    )
    run.add_argument("--seed", type=int, default=None, help="seed of the sampler and of training")
    run.add_argument("--batch-size", type=_positive(int), default=None,
                     help=f"minibatch size (default: {STUDY_SETTINGS['batch_size']})")
    run.add_argument("--lr", type=_positive(float), default=None,
                     help=f"peak learning rate (default: {STUDY_SETTINGS['lr']})")
    run.add_argument(
        "--optimizer", type=_choice("optimizer", OPTIMIZERS), default=None,
        help=f"optimiser: {', '.join(OPTIMIZERS)} (default: {STUDY_SETTINGS['optimizer']})",
    )
    run.add_argument("--data-root", default=None, help="folder of torchvision datasets")
    run.add_argument("--download", action="store_true", help="let torchvision download a missing dataset")
    run.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    run.add_argument("-v", "--verbose", action="store_true", help="log every trial")

    bench = commands.add_parser(
        "bench", help="compare samplers or pruners on the tabular benchmark",
        description="Run samplers or pruners side by side on the NB201 x MNIST-1D table "
        "(every cell trained once, looked up in microseconds) over many seeds.",
    )
    kinds = bench.add_subparsers(dest="kind", required=True, parser_class=_Parser)
    samplers = kinds.add_parser(
        "samplers", help="regret against trials, test accuracy and overhead per sampler",
        description="For each sampler, S seeds x T trials: mean regret (best validation "
        "accuracy in the table minus the best found, percentage points) with its standard "
        "error at 10, 25, 50, 100 and 200 trials, the test accuracy of the best-by-validation "
        "cell, and the median milliseconds per trial around trial 100 and 1,000.",
    )
    samplers.add_argument("--samplers", type=_names("sampler", tuple(SAMPLERS)),
                          default=["random", "tpe"], help="comma-separated sampler names")
    samplers.add_argument("--overhead-trials", type=int, default=0,
                          help="also time one run this long (1010 gives overhead at 100 and 1,000)")
    samplers.add_argument("--gp-seeds", type=_positive(int), default=None,
                          help="fewer seeds for the slow gp sampler")
    samplers.add_argument("--real-epochs", type=_positive(int), default=None,
                          help="train each cell for real for this many epochs instead of "
                          "looking it up (regret is then the validation error)")
    pruners = kinds.add_parser(
        "pruners", help="epochs consumed and final regret per pruner",
        description="For each sampler and pruner, S seeds x T trials: total epochs consumed "
        "and the final regret.",
    )
    pruners.add_argument("--pruners", type=_names("pruner", tuple(PRUNERS)),
                         default=list(PRUNERS), help="comma-separated pruner names")
    pruners.add_argument("--samplers", type=_names("sampler", tuple(SAMPLERS)),
                         default=["random", "tpe"], help="comma-separated sampler names")
    for sub in (samplers, pruners):
        sub.add_argument("--seeds", type=_positive(int), default=30, help="seeds per method (default: 30)")
        sub.add_argument("--trials", type=_positive(int), default=200, help="trials per study (default: 200)")
        sub.add_argument("--jobs", type=_positive(int), default=1, help="worker processes (default: 1)")
        sub.add_argument("--out", default="bench-results", help="folder for JSON and PNG (default: bench-results)")
        sub.add_argument("--table", choices=("default", "pruning"), default="default",
                         help="which shipped table: default, or pruning (the same cells trained "
                         "so that early epochs tell more; default: default)")

    commands.add_parser(
        "list", help="list the spaces, datasets, samplers and pruners",
        description="List the names --space, --dataset, --sampler and --pruner accept.",
    )
    for module in COMMAND_MODULES:
        # Each module adds its own sub-commands and sets ``handler`` on them, so a group of
        # commands lives in one file and this one only lists them.
        importlib.import_module(module).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        handler = getattr(args, "handler", None)
        if handler is not None:
            return handler(args)
        if args.command == "list":
            return _list()
        if args.command == "bench":
            return _bench(args)
        return _run(args)
    except UsageError as exc:
        print(f"optunas {args.command}: error: {exc}", file=sys.stderr)
        return 2


def _list() -> int:
    for label, names in (
        ("spaces", SPACES), ("datasets", DATASETS), ("samplers", SAMPLERS),
        ("pruners", PRUNERS), ("objectives", OBJECTIVES),
    ):
        print(f"{label}: {', '.join(names)}")
    return 0


def _bench(args: argparse.Namespace) -> int:
    from pathlib import Path

    from optunas.benchmarks import _harness as harness

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.kind == "samplers":
        limits = {"gp": args.gp_seeds} if args.gp_seeds else None
        result = harness.bench_samplers(
            args.samplers, seeds=args.seeds, trials=args.trials,
            overhead_trials=args.overhead_trials, processes=args.jobs, seed_limits=limits,
            real_epochs=args.real_epochs, variant=args.table,
        )
        harness.write_json(result, out / "samplers.json")
        harness.plot_regret(result, out / "samplers.png")
        print(harness.format_sampler_table(result))
        print(f"\nWrote {out / 'samplers.json'} and {out / 'samplers.png'}")
    else:
        result = harness.bench_pruners(
            args.pruners, samplers=args.samplers, seeds=args.seeds, trials=args.trials,
            processes=args.jobs, variant=args.table,
        )
        harness.write_json(result, out / "pruners.json")
        print(harness.format_pruner_table(result))
        print(f"\nWrote {out / 'pruners.json'}")
    return 0


def _settings(args: argparse.Namespace, study: optuna.Study | None) -> dict[str, Any]:
    """Explicit options, else what the study stored, else the defaults; a contradiction of
    the stored settings is an error (its trials would not be comparable)."""
    stored = {} if study is None else {
        key[len(_ATTR_PREFIX):]: value
        for key, value in study.user_attrs.items() if key.startswith(_ATTR_PREFIX)
    }
    settings = {}
    for key, default in STUDY_SETTINGS.items():
        given = getattr(args, key)
        if given is not None and key in stored and given != stored[key]:
            raise UsageError(
                f"study {study.study_name!r} was created with --{key.replace('_', '-')} "
                f"{stored[key]}, not {given}; "
                "use another --study-name for a new search"
            )
        settings[key] = given if given is not None else stored.get(key, default)
    return settings


def _load_study(storage: optuna.storages.BaseStorage, name: str) -> optuna.Study | None:
    try:
        return optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return None


def _run(args: argparse.Namespace) -> int:
    if not args.verbose:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        storage = open_storage(args.storage)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    name = args.study_name or f"optunas-{args.space or STUDY_SETTINGS['space']}-" \
        f"{args.dataset or STUDY_SETTINGS['dataset']}"
    try:
        existing = _load_study(storage, name)
    except Exception as exc:  # a reachable URL whose server refuses us
        raise UsageError(f"cannot open storage {args.storage!r}: {exc}") from None
    settings = _settings(args, existing)
    objectives = settings["objectives"].split(",")

    # Imported here so that `optunas --help` and bad input answer without loading torch.
    from optunas.evaluation import TrainObjective

    if len(objectives) > 1 and args.sampler == "reinforce":
        raise UsageError("--sampler reinforce supports one objective; for several use "
                         "evolution, nsga2 or tpe")
    seed = 0 if args.seed is None else args.seed
    try:
        objective = TrainObjective(
            get_space(settings["space"]), settings["dataset"], epochs=settings["epochs"],
            batch_size=settings["batch_size"], lr=settings["lr"], optimizer=settings["optimizer"],
            objectives=objectives, seed=seed, data_root=args.data_root, download=args.download,
        )
    except DatasetUnavailableError as exc:
        raise UsageError(str(exc)) from None

    study = optuna.create_study(
        storage=storage, study_name=name, load_if_exists=True,
        directions=[OBJECTIVES[o].name.lower() for o in objectives],
        sampler=get_sampler(args.sampler, args.seed), pruner=get_pruner(args.pruner),
    )
    for key, value in settings.items():
        # A study made before a setting was recorded adopts the value it runs with now.
        if existing is None or _ATTR_PREFIX + key not in existing.user_attrs:
            study.set_user_attr(_ATTR_PREFIX + key, value)
    n_trials = args.n_trials if args.n_trials is not None or args.timeout else 20
    done_before = len(study.trials)
    print(
        f"{'Resuming' if existing else 'Created'} study {name!r} on {args.storage} "
        f"({done_before} trials so far): space {settings['space']}, dataset "
        f"{settings['dataset']}, {settings['epochs']} epochs, sampler {args.sampler}, "
        f"pruner {args.pruner}.",
        flush=True,
    )
    running: list[optuna.Trial] = []

    def tracked(trial: optuna.Trial) -> Any:
        running[:] = [trial]
        return objective(trial)

    logging.getLogger("optuna.study._optimize").addFilter(_NoInterruptTraceback())
    try:
        study.optimize(
            tracked, n_trials=n_trials, timeout=args.timeout,
            show_progress_bar=not args.no_progress, gc_after_trial=False,
        )
    except KeyboardInterrupt:
        _fail_if_running(study, running)
        print(
            f"\nInterrupted: the running trial was closed as FAIL. Run the same command to "
            f"resume study {name!r}.",
            file=sys.stderr,
        )
        return 130
    _report(study, objectives, args.storage)
    return 0


def _fail_if_running(study: optuna.Study, running: list[optuna.Trial]) -> None:
    """Optuna closes a trial interrupted inside the objective as FAIL; one interrupted while
    being told (a storage write) could stay RUNNING, so close it here."""
    for trial in running:
        frozen = study._storage.get_trial(trial._trial_id)
        if frozen.state == optuna.trial.TrialState.RUNNING:
            study._storage.set_trial_user_attr(
                trial._trial_id, "fail_reason", "interrupted (KeyboardInterrupt)"
            )
            study.tell(trial, state=optuna.trial.TrialState.FAIL)


def _report(study: optuna.Study, objectives: list[str], storage_url: str) -> None:
    states = [t.state.name for t in study.trials]
    counts = ", ".join(f"{states.count(s)} {s.lower()}" for s in sorted(set(states)))
    print(f"\nStudy {study.study_name!r}: {len(states)} trials ({counts}).")
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    best = [] if not completed else (
        [study.best_trial] if len(objectives) == 1 else study.best_trials
    )
    if not best:
        print("No trial has completed yet.")
    for trial in best[:10]:
        values = ", ".join(f"{name} {_fmt(name, v)}" for name, v in zip(objectives, trial.values))
        print(
            f"Best architecture (trial {trial.number}): validation {values}, "
            f"{trial.user_attrs.get('params', 0):,} params\n  {trial.user_attrs.get('genotype')}"
        )
    if len(best) > 10:
        print(f"... and {len(best) - 10} more on the Pareto front.")
    print(f"Watch it in optuna-dashboard:\n  optuna-dashboard {dashboard_target(storage_url)}")


def _fmt(name: str, value: float) -> str:
    return f"{value:.4f}" if name == "accuracy" else f"{value:,.0f}"


if __name__ == "__main__":
    sys.exit(main())
