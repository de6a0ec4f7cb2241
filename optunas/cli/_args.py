"""The parser of the ``optunas`` command and what its commands share: one error convention
(one line naming the valid choices, exit status 2), one validator per kind of value, and the
option groups of the NAS commands. Every command module builds its options from here.

Example:
    >>> from optunas.cli._args import CommandParser, positive
    >>> parser = CommandParser(prog="optunas x")
    >>> _ = parser.add_argument("--epochs", type=positive(int))
    >>> parser.parse_args(["--epochs", "3"]).epochs
    3
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from optunas._names import (
    DATASETS,
    DEFAULT_STORAGE,
    EVALUATORS,
    OBJECTIVES,
    OPTIMIZERS,
    SPACES,
    SUPERNET_MODES,
    canonical,
    unknown,
)
from optunas._names import PRUNERS as PRUNER_NAMES
from optunas._names import SAMPLERS as SAMPLER_NAMES
from optunas._storage import STORAGE_HELP
from optunas.cli._config import STUDY_SETTINGS, UsageError


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, no usage block: the message itself names the valid choices.
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class CommandParser(Parser):
    """A command's parser: it takes the options `optuna` gives every command."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_global_options(self)


def reported(handler: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``handler`` with the bad input it finds (a :class:`~optunas.cli.UsageError`) said as
    the parser says its own: one line, exit status 2 (with ``--debug``, the traceback). Every
    command's handler raises ``UsageError`` and is registered through this."""

    @functools.wraps(handler)
    def run(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except UsageError as exc:
            if getattr(args, "debug", False):
                raise
            return say_error(args, str(exc))

    return run


def say_error(args: argparse.Namespace, message: str) -> int:
    """Print ``optunas COMMAND: error: MESSAGE`` to stderr; returns the exit status, 2."""
    command = getattr(args, "command_name", None) or args.command
    print(f"optunas {command}: error: {message}", file=sys.stderr)
    return 2


def add_global_options(parser: argparse.ArgumentParser) -> None:
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


def choice(kind: str, valid: Sequence[str]) -> Any:
    def parse(value: str) -> str:
        if value not in valid:
            raise argparse.ArgumentTypeError(unknown(kind, value, list(valid)))
        return value

    parse.__name__ = kind
    return parse


def positive(cast: type) -> Any:
    def parse(value: str) -> Any:
        try:
            number = cast(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a {cast.__name__}") from None
        if not number > 0:  # NaN too
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {value}")
        return number

    parse.__name__ = f"positive {cast.__name__}"
    return parse


def registered(kind: str, names: dict[str, str]) -> Any:
    """A sampler or pruner by its name or its class name; the name is what is recorded."""

    def parse(value: str) -> str:
        try:
            return canonical(kind, value, names)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = kind
    return parse


def name_list(kind: str, names: dict[str, str]) -> Any:
    one = registered(kind, names)

    def parse(value: str) -> list[str]:
        given = [n.strip() for n in value.split(",") if n.strip()]
        if not given:
            raise argparse.ArgumentTypeError(unknown(kind, value, list(names)))
        return [one(n) for n in given]

    parse.__name__ = f"{kind} list"
    return parse


def objectives(value: str) -> str:
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


def non_negative(cast: type) -> Any:
    """A number of ``cast`` that is 0 or more (a seed, a trial number, a strength)."""

    def parse(value: str) -> Any:
        try:
            number = cast(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r} is not a {cast.__name__}") from None
        if not number >= 0:  # NaN too
            raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
        return number

    parse.__name__ = f"non-negative {cast.__name__}"
    return parse


def add_settings(parser: argparse.ArgumentParser) -> None:
    """The options a study records (see ``optunas.cli._config``); None means "not given"."""
    parser.add_argument(
        "--space",
        type=choice("space", tuple(SPACES)),
        default=None,
        help=f"search space: {', '.join(SPACES)} (default: {STUDY_SETTINGS['space']})",
    )
    parser.add_argument(
        "--dataset",
        type=choice("dataset", DATASETS),
        default=None,
        help=f"dataset: {', '.join(DATASETS)} (default: {STUDY_SETTINGS['dataset']}, "
        "generated offline)",
    )
    parser.add_argument(
        "--sampler",
        type=registered("sampler", SAMPLER_NAMES),
        default=None,
        help=f"sampler: {', '.join(SAMPLER_NAMES)}, or its class name as `optunas ask` "
        f"takes it (EvolutionSampler; default: the study's, else {STUDY_SETTINGS['sampler']})",
    )
    parser.add_argument(
        "--pruner",
        type=registered("pruner", PRUNER_NAMES),
        default=None,
        help=f"pruner: {', '.join(PRUNER_NAMES)}, or its class name (MedianPruner; default: "
        "the study's, else predictor for one objective and none for several)",
    )
    parser.add_argument(
        "--epochs",
        type=positive(int),
        default=None,
        help=f"training epochs per trial (default: {STUDY_SETTINGS['epochs']})",
    )
    parser.add_argument(
        "--objectives",
        type=objectives,
        default=None,
        help=f"what to optimise, comma-separated from {', '.join(OBJECTIVES)}; e.g. "
        "accuracy,params for a two-objective study (default: accuracy)",
    )
    parser.add_argument(
        "--evaluator",
        type=choice("evaluator", EVALUATORS),
        default=None,
        help=f"how a trial is scored: {', '.join(EVALUATORS)} (default: train, a standalone "
        "training of each architecture; supernet: weights shared by all architectures, "
        "--epochs then sets the supernet's pretraining; tabular: looked up in the NB201 x "
        "MNIST-1D table in microseconds, to try samplers, pruners and workers cheaply)",
    )
    parser.add_argument(
        "--supernet-mode",
        type=choice("supernet mode", SUPERNET_MODES),
        default=None,
        help="with --evaluator supernet: one-shot (pretrain the supernet once, then score "
        "each path with inherited weights) or enas (each trial trains the shared weights "
        "along its path first); default: one-shot",
    )
    parser.add_argument(
        "--batch-size",
        type=positive(int),
        default=None,
        help=f"minibatch size (default: {STUDY_SETTINGS['batch_size']})",
    )
    parser.add_argument(
        "--lr",
        type=positive(float),
        default=None,
        help=f"peak learning rate (default: {STUDY_SETTINGS['lr']})",
    )
    parser.add_argument(
        "--optimizer",
        type=choice("optimizer", OPTIMIZERS),
        default=None,
        help=f"optimiser: {', '.join(OPTIMIZERS)} (default: {STUDY_SETTINGS['optimizer']})",
    )


def add_storage(parser: argparse.ArgumentParser, required: bool = False) -> None:
    # As with optuna, OPTUNA_STORAGE stands in for a --storage not given (read after parsing,
    # in ``optunas.cli._main``). Without either, create-study and run use an SQLite
    # file here (optuna refuses); a worker joins a study that exists, so it needs one.
    otherwise = "required" if required else f"else {DEFAULT_STORAGE}"
    parser.add_argument(
        "--storage",
        default=None,
        help=f"{STORAGE_HELP} (default: $OPTUNA_STORAGE, {otherwise})",
    )
    parser.set_defaults(storage_default=None if required else DEFAULT_STORAGE)


def add_work_options(parser: argparse.ArgumentParser, n_trials_help: str) -> None:
    parser.add_argument("--n-trials", type=positive(int), default=None, help=n_trials_help)
    parser.add_argument(
        "--timeout",
        type=positive(float),
        default=None,
        help="stop starting trials after this many seconds",
    )
    parser.add_argument(
        "--seed",
        type=non_negative(int),
        default=None,
        help="seed of the sampler and of training (0 or more)",
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
        type=positive(int),
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


#: torch (OpenMP) reads its thread count from this variable; a user who set it is obeyed.
THREADS_ENV = "OMP_NUM_THREADS"
THREADS_HELP = (
    "torch threads for training (default: $OMP_NUM_THREADS if set, else 1: a search's small "
    "networks gain little from more, and workers that share the cores, a worker per core or "
    "any other job beside, run several times slower with torch's default of a thread per "
    "core; give more for large networks on an otherwise idle machine)"
)


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--threads`` to ``parser`` (None when not given: see
    :func:`optunas.cli._threads.use_threads`)."""
    parser.add_argument("--threads", type=positive(int), default=None, help=THREADS_HELP)
