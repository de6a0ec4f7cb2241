"""The entry of the ``optunas`` command's own commands: the top-level parser, whose commands
each module of :data:`COMMAND_MODULES` adds, and the one place errors become one line.

Example:
    >>> from optunas.cli._main import build_parser
    >>> build_parser().parse_args(["list"]).command
    'list'
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
from collections.abc import Sequence

import optuna

from optunas import __version__
from optunas._names import OPTUNA_COMMANDS
from optunas._storage import failure, is_storage_failure
from optunas.cli._args import CommandParser, Parser, add_global_options, say_error
from optunas.cli._config import UsageError

#: Modules of the commands. Each defines ``register(commands)``, which adds its parsers to
#: the sub-parser action ``commands`` and sets ``handler=fn(args) -> int`` on each; a handler
#: reports bad input by raising :class:`~optunas.cli.UsageError` (see ``_args.reported``).
COMMAND_MODULES: list[str] = [
    "optunas.cli._study",
    "optunas.cli._tools",
    "optunas.cli._supernet",
    "optunas.cli._darts",
    "optunas.cli._dashboard",
    "optunas.cli._export",
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
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
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=CommandParser)

    def show_help(args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    commands.add_parser(
        "help", help="show this help and exit (as `optunas` alone does)"
    ).set_defaults(handler=show_help)

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
        code: int = args.handler(args)
        return code
    except UsageError as exc:  # before the command's handler, which reports its own
        if args.debug:
            raise
        return say_error(args, str(exc))
    except Exception as exc:
        # A storage that fails outside a worker's trials (reading the study, recording its
        # configuration): the driver's words in one line, not the stack of SQLAlchemy.
        if not is_storage_failure(exc) or args.debug:
            raise
        storage = getattr(args, "storage", None)
        return say_error(args, f"storage {storage!r} failed: {failure(exc)}")


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
