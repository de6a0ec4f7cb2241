"""SIGTERM stops a worker as Ctrl-C does.

Kubernetes, systemd, Slurm and ``timeout`` stop a process with SIGTERM, whose default action
ends it on the spot: its running trial would stay RUNNING until another worker's heartbeat
fails it, and on a study with no other worker it would count towards ``--until`` for ever.
Inside :func:`sigterm_as_interrupt` SIGTERM raises :class:`Terminated`, a
``KeyboardInterrupt``, so every path that closes a trial on Ctrl-C closes it on SIGTERM too.

Example:
    >>> import os, signal
    >>> from optunas._signals import Terminated, exit_status, interrupt_name, sigterm_as_interrupt
    >>> with sigterm_as_interrupt():
    ...     try:
    ...         os.kill(os.getpid(), signal.SIGTERM)
    ...     except Terminated as exc:
    ...         print(interrupt_name(exc), exit_status(exc))
    SIGTERM 143
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Callable, Iterator

#: The signals that stop a worker and close its trial: Ctrl-C, and the stop of a scheduler.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the process is being stopped, as by Ctrl-C."""

    signum = signal.SIGTERM


def interrupt_name(exc: BaseException) -> str:
    """How a fail reason names the interruption: ``SIGTERM`` or ``KeyboardInterrupt``."""
    return "SIGTERM" if isinstance(exc, Terminated) else "KeyboardInterrupt"


def exit_status(exc: BaseException) -> int:
    """The shell's status for a process stopped by the signal: 128 + its number (130, 143)."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


#: The stop signals received inside :func:`sigterm_as_interrupt`, for :func:`raise_if_stopped`.
_received: list[int] = []


def _raise_stop(signum: int, frame: object) -> None:
    _received.append(signum)
    raise Terminated if signum == signal.SIGTERM else KeyboardInterrupt


def raise_if_stopped() -> None:
    """Raise the interruption again if a stop signal came: one that landed in a garbage
    collector's callback or a ``__del__`` was printed as "Exception ignored" and lost, and the
    worker would have run on. Called between trials and at every training step, it ends the
    worker there. Outside :func:`sigterm_as_interrupt` it never raises."""
    if _received:
        raise Terminated if _received[-1] == signal.SIGTERM else KeyboardInterrupt


def _quiet_lost_stop(
    previous: Callable[[sys.UnraisableHookArgs], object],
) -> Callable[[sys.UnraisableHookArgs], None]:
    """An unraisable-exception hook that stays silent on a stop raised in a garbage
    collector's callback or a ``__del__``: :func:`raise_if_stopped` raises it again between
    trials, so its "Exception ignored ... Traceback" would report a fault that is not one."""

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if not (_received and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            previous(unraisable)

    return hook


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` and Ctrl-C ``KeyboardInterrupt``,
    and both are remembered for :func:`raise_if_stopped` (in the main thread only, which is the
    only one that receives signals); the handlers that were there are put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _received.clear()  # a stop of an earlier block in this process was dealt with there
    previous = {signum: signal.signal(signum, _raise_stop) for signum in STOP_SIGNALS}
    previous_hook = sys.unraisablehook
    sys.unraisablehook = _quiet_lost_stop(previous_hook)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _received.clear()  # outside the block raise_if_stopped raises nothing


class _UntracedStops(logging.Filter):
    """Optuna logs a trial closed by Ctrl-C or SIGTERM with the traceback of wherever the
    signal landed: noise, since the command says "Interrupted" itself. The line stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], KeyboardInterrupt):
            record.exc_info = None
        return True


@contextlib.contextmanager
def stoppable_trials() -> Iterator[None]:
    """:func:`sigterm_as_interrupt` for a command that runs trials with ``study.optimize``:
    a stop closes the running trial as FAIL, and Optuna's warning of it has no traceback."""
    from optunas._compat import optimize_logger

    # SQLAlchemy logs a cursor that a stop interrupted ("Error closing cursor") on its
    # engine's logger, with the same traceback.
    loggers, untraced = (
        [optimize_logger(), logging.getLogger("sqlalchemy.engine.Engine")],
        _UntracedStops(),
    )
    for logger in loggers:
        logger.addFilter(untraced)
    try:
        with sigterm_as_interrupt():
            yield
    finally:
        for logger in loggers:
            logger.removeFilter(untraced)
