"""Optuna's own commands (``ask``, ``tell``, ``trials``, ...) run through Optuna's CLI, with
what optunas adds: the sampler names every optunas command takes (``evolution`` or
``EvolutionSampler``), its storage URLs and their one-line errors, bad input reported in one
line with exit status 2, and no ExperimentalWarning noise. Nothing of Optuna's commands is
re-implemented: their options, output formats and messages are Optuna's.
"""

from __future__ import annotations

import contextlib
import json
import sys
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from optunas._compat import optuna_cli_logging, optuna_cli_parser, optuna_cli_storages
from optunas._names import SAMPLERS, unknown

#: Options ``optuna`` takes before a command's name (those of its main parser), with whether
#: each takes a value; ``optunas`` moves them after the name, where every command takes them.
GLOBAL_OPTIONS = {
    "--storage": True,
    "--storage-class": True,
    "--log-file": True,
    "-v": False,
    "--verbose": False,
    "-q": False,
    "--quiet": False,
    "--debug": False,
}


class _Usage(Exception):
    """Bad input found before Optuna runs: one line, exit status 2."""


def command_first(argv: Sequence[str], commands: Sequence[str]) -> list[str]:
    """``argv`` with the options given before the command's name moved after it, so that
    ``optunas --verbose --storage URL trials`` is ``optunas trials --verbose --storage URL``.

    Example:
        >>> from optunas.cli._optuna import command_first
        >>> command_first(["-q", "storage", "upgrade"], ["storage upgrade"])
        ['storage', 'upgrade', '-q']
    """
    argv = list(argv)
    i = 0
    while i < len(argv):
        name, equals, _ = argv[i].partition("=")
        if name not in GLOBAL_OPTIONS and not (
            argv[i].startswith("-v") and set(argv[i]) <= {"-", "v"}
        ):
            break
        i += 2 if GLOBAL_OPTIONS.get(name) and not equals else 1
    if i == 0 or i >= len(argv):
        return argv  # nothing to move, or no command: the parser says what is missing
    command = command_of(argv[i:], commands)
    words = len(command.split()) if command else 1
    return argv[i : i + words] + argv[:i] + argv[i + words :]


def command_of(argv: Sequence[str], commands: Sequence[str]) -> str | None:
    """The Optuna command ``argv`` starts with (one or two words), if any."""
    for words in (2, 1):
        candidate = " ".join(argv[:words])
        if len(argv) >= words and candidate in commands:
            return candidate
    return None


def main(argv: Sequence[str], command: str) -> int:
    """Run Optuna's ``command`` with the rest of ``argv``."""
    import optuna

    words = len(command.split())
    rest = list(argv[words:])
    debug = "--debug" in rest
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            _check_sampler(rest)
            with _optunas_samplers(), _optunas_storages():
                return _run_optuna_command(command, rest)
    except (_Usage, optuna.exceptions.CLIUsageError, KeyError, ValueError, TypeError) as exc:
        # Optuna reports the user's mistakes with these (no such study, a value that is not
        # a number, a keyword the sampler lacks); from inside a sampler's own code they are
        # a bug of the sampler, whose traceback is what its author needs.
        if debug or _raised_in_sampler(exc):
            raise
        print(f"optunas {command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2


def _run_optuna_command(command: str, rest: list[str]) -> int:
    """Optuna's ``command`` through its own parser and handler, so that Optuna's commands,
    options and output stay Optuna's while optunas reports errors in one line (Optuna's
    ``main()`` reads ``sys.argv`` and prints its whole help for a usage error)."""
    args = optuna_cli_parser().parse_args([command, *rest])
    optuna_cli_logging(args)
    code: int = args.handler(args)
    return code


def _check_sampler(rest: list[str]) -> None:
    """Name and keyword arguments of ``--sampler`` checked before a study is touched; a name
    of the optunas commands (``evolution``) becomes its class name, as Optuna takes it."""
    name = _option(rest, "--sampler")
    if name is not None:
        class_name = _sampler_class_name(name)
        if class_name != name:
            _replace_option(rest, "--sampler", class_name)
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


def _sampler_class_name(name: str) -> str:
    """The class ``ask --sampler NAME`` builds: a name of the registry, or a sampler class of
    ``optuna.samplers`` (as Optuna resolves it) or of optunas."""
    import optuna

    if name in SAMPLERS:
        return SAMPLERS[name]
    found = getattr(optuna.samplers, name, None)
    if name in SAMPLERS.values() or (
        isinstance(found, type) and issubclass(found, optuna.samplers.BaseSampler)
    ):
        return name
    optuna_classes = [
        n
        for n in optuna.samplers.__all__
        if n.endswith("Sampler") and not n.startswith(("Base", "Partial"))
    ]
    classes = sorted(set(optuna_classes) | set(SAMPLERS.values()))
    message = unknown("sampler", name, [*SAMPLERS, *classes])
    raise _Usage(message)


def _option(rest: list[str], name: str) -> str | None:
    for i, word in enumerate(rest):
        if word == name and i + 1 < len(rest):
            return rest[i + 1]
        if word.startswith(name + "="):
            return word[len(name) + 1 :]
    return None


def _replace_option(rest: list[str], name: str, value: str) -> None:
    for i, word in enumerate(rest):
        if word == name and i + 1 < len(rest):
            rest[i + 1] = value
        elif word.startswith(name + "="):
            rest[i] = f"{name}={value}"


@contextlib.contextmanager
def _optunas_samplers() -> Iterator[None]:
    """Optuna's ``ask`` looks the sampler up in ``optuna.samplers``: the optunas samplers are
    put there for the command's duration, and taken out again."""
    import optuna

    added = []
    try:
        for class_name in SAMPLERS.values():
            if not hasattr(optuna.samplers, class_name):
                setattr(optuna.samplers, class_name, _LazyClass(class_name))
                added.append(class_name)
        yield
    finally:
        for class_name in added:
            delattr(optuna.samplers, class_name)


class _LazyClass:
    """Stands in ``optuna.samplers`` for an optunas sampler class until it is called, so
    naming EvolutionSampler does not load torch and naming no optunas sampler loads nothing
    (``optunas.samplers`` loads ReinforceSampler, and torch, when it is asked for)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, **kwargs: Any) -> Any:
        import optunas.samplers

        return getattr(optunas.samplers, self._name)(**kwargs)


def _optunas_storages() -> contextlib.AbstractContextManager[None]:
    """Optuna's commands open their storage through optunas's ``open_storage``: the
    ``journal:FILE`` form, heartbeats, a connect timeout and one-line errors for a missing
    driver or an unreachable server."""
    from optunas._storage import open_storage

    return optuna_cli_storages(lambda url: open_storage(url, heartbeat=False))


def _raised_in_sampler(exc: BaseException) -> bool:
    """Whether ``exc`` came out of a sampler's own code while it sampled, rather than from
    its constructor (which takes the user's ``--sampler-kwargs``) or from Optuna's command."""
    import optuna

    seen: BaseException | None = exc
    while seen is not None:
        frames = []
        tb = seen.__traceback__
        while tb is not None:
            frames.append(tb.tb_frame)
            tb = tb.tb_next
        owners = [(f.f_code.co_name, f.f_locals.get("self")) for f in frames]
        in_sampler = [
            name for name, owner in owners if isinstance(owner, optuna.samplers.BaseSampler)
        ]
        if in_sampler and "__init__" not in in_sampler:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _one_line(exc: BaseException) -> str:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
    text = str(text).strip()
    return text.splitlines()[0] if text else type(exc).__name__
