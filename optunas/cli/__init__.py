"""The ``optunas`` command.

Its own commands are parsed in :mod:`optunas.cli._main` and live in a module per group
(``_study``: create-study, worker, run; ``_worker`` and ``_recovery``: the worker's loop;
``_tools``: bench, search-space, list; ``_supernet``, ``_darts``, ``_dashboard``, ``_export``);
Optuna's own commands (``ask``, ``tell``, ``trials``, ...) go through
Optuna's CLI (:mod:`optunas.cli._optuna`) without loading torch, so scripting them costs what
``optuna`` itself costs. Every command takes the options ``optuna`` takes before a command's
name (``optunas --verbose --storage URL trials ...``), and ``optunas`` alone is ``optunas help``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from optunas._names import OPTUNA_COMMANDS
from optunas.cli._config import STUDY_SETTINGS, UsageError

#: Optuna's commands that ``optunas`` hands to Optuna's CLI.


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``optunas`` command with ``argv`` (default: the process's arguments).

    Example:
        >>> from optunas.cli import main
        >>> main(["--version"])  # doctest: +SKIP
        optunas 0.1.0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from optunas.cli import _optuna

        argv = _optuna.command_first(argv, OPTUNA_COMMANDS) or ["help"]  # as `optuna` alone
        command = _optuna.command_of(argv, OPTUNA_COMMANDS)
        if command is not None:
            return _optuna.main(argv, command)
        from optunas.cli import _main

        return _main.main(argv)
    except KeyboardInterrupt as exc:
        # Ctrl-C before a study is touched (loading torch, opening the storage): nothing to
        # close, nothing to report but that.
        from optunas._signals import exit_status

        print("\nInterrupted.", file=sys.stderr)
        return exit_status(exc)


__all__ = ["OPTUNA_COMMANDS", "STUDY_SETTINGS", "UsageError", "main"]
