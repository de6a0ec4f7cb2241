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
import signal
import threading
from collections.abc import Iterator

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


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` (in the main thread only, which is
    the only one that receives signals); the handler that was there is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
