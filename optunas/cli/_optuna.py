"""Optuna's own commands (``ask``, ``tell``, ``trials``, ...) run through Optuna's CLI, with
what optunas adds: its samplers resolvable by ``--sampler`` name, its storage URLs and their
one-line errors, bad input reported in one line with exit status 2, and no ExperimentalWarning
noise. Nothing of Optuna's commands is re-implemented: their options, output formats and
messages are Optuna's.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

#: The optunas samplers ``--sampler`` knows beside Optuna's, by class name, with the module
#: each lives in (imported only when named: ReinforceSampler loads torch).
NAS_SAMPLERS = {
    "ReinforceSampler": "optunas.samplers._reinforce",
    "EvolutionSampler": "optunas.samplers._evolution",
}


class _Usage(Exception):
    """Bad input found before Optuna runs: one line, exit status 2."""


def command_of(argv: Sequence[str], commands: Sequence[str]) -> str | None:
    """The Optuna command ``argv`` starts with (one or two words), if any."""
    for words in (2, 1):
        candidate = " ".join(argv[:words])
        if len(argv) >= words and candidate in commands:
            return candidate
    return None


def main(argv: Sequence[str], command: str) -> int:
    """Run Optuna's ``command`` with the rest of ``argv``."""
    import optuna.cli

    words = len(command.split())
    rest = list(argv[words:])
    debug = "--debug" in rest
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            _check_sampler(rest)
            with _optunas_samplers(), _optunas_storages():
                return _run_optuna(command, rest)
    except (_Usage, optuna.exceptions.CLIUsageError, KeyError, ValueError, TypeError) as exc:
        if debug:
            raise
        print(f"optunas {command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _run_optuna(command: str, rest: list[str]) -> int:
    import optuna.cli

    parser, _ = optuna.cli._get_parser()
    args = parser.parse_args([command, *rest])
    optuna.cli._set_verbosity(args)
    optuna.cli._set_log_file(args)
    return args.handler(args)


def _check_sampler(rest: list[str]) -> None:
    """Name and keyword arguments of ``--sampler`` checked before a study is touched."""
    import optuna

    name = _option(rest, "--sampler")
    if name is not None:
        known = sorted(set(optuna.samplers.__all__) | set(NAS_SAMPLERS))
        known = [
            n for n in known if n.endswith("Sampler") and not n.startswith(("Base", "Partial"))
        ]
        if name not in known:
            raise _Usage(f"unknown sampler {name!r}; choose from {', '.join(known)}")
    kwargs = _option(rest, "--sampler-kwargs")
    if kwargs is not None:
        try:
            parsed = json.loads(kwargs)
        except json.JSONDecodeError as exc:
            raise _Usage(
                f"--sampler-kwargs is not JSON ({exc.msg} at character {exc.pos}): {kwargs!r}"
            ) from None
        if not isinstance(parsed, dict):
            raise _Usage(
                f"--sampler-kwargs must be a JSON object such as '{{\"seed\": 0}}', not {kwargs!r}"
            )


def _option(rest: list[str], name: str) -> str | None:
    for i, word in enumerate(rest):
        if word == name and i + 1 < len(rest):
            return rest[i + 1]
        if word.startswith(name + "="):
            return word[len(name) + 1 :]
    return None


@contextlib.contextmanager
def _optunas_samplers() -> Iterator[None]:
    """Optuna's ``ask`` looks the sampler up in ``optuna.samplers``: the optunas samplers are
    put there for the command's duration, and taken out again."""
    import importlib

    import optuna

    added = []
    try:
        for cls_name, module in NAS_SAMPLERS.items():
            if not hasattr(optuna.samplers, cls_name):
                setattr(optuna.samplers, cls_name, _LazyClass(module, cls_name, importlib))
                added.append(cls_name)
        yield
    finally:
        for cls_name in added:
            delattr(optuna.samplers, cls_name)


class _LazyClass:
    """Stands in ``optuna.samplers`` for a sampler class until it is called, so naming
    EvolutionSampler does not load torch and naming no optunas sampler loads nothing."""

    def __init__(self, module: str, name: str, importlib: Any) -> None:
        self._module, self._name, self._importlib = module, name, importlib

    def __call__(self, **kwargs: Any) -> Any:
        cls = getattr(self._importlib.import_module(self._module), self._name)
        return cls(**kwargs)


@contextlib.contextmanager
def _optunas_storages() -> Iterator[None]:
    """Optuna's commands open ``--storage`` themselves; routing that through optunas's
    ``open_storage`` gives them the ``journal:FILE`` form, heartbeats, a connect timeout
    and one-line errors for a missing driver or an unreachable server."""
    import optuna.cli

    from optunas._storage import StorageError, open_storage

    original = optuna.cli._get_storage

    def get_storage(url: str | None, storage_class: str | None) -> Any:
        if storage_class is not None or url is None:
            return original(url, storage_class)  # Optuna's hints and OPTUNA_STORAGE
        try:
            return open_storage(url, heartbeat=False)
        except StorageError as exc:
            if "malformed storage URL" in str(exc):
                return original(url, storage_class)  # e.g. a bare journal file path
            raise

    optuna.cli._get_storage = get_storage
    try:
        yield
    finally:
        optuna.cli._get_storage = original


def _one_line(exc: BaseException) -> str:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = str(text).strip()
    return text.splitlines()[0] if text else type(exc).__name__
