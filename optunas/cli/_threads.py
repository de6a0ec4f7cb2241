"""The ``--threads`` option of the commands that train: torch's intra-op threads.

torch starts as many threads as the machine has cores. The networks of a search are small, for
which those threads gain little alone, and where processes share the cores (a worker per core,
as the README runs them, or any other job beside) every process spins as many threads as there
are cores and each trial runs several times slower (BENCHMARKS.md, "Threads of a worker").
So a command trains on one thread unless ``--threads`` or ``OMP_NUM_THREADS`` says otherwise.

Example:
    >>> import argparse
    >>> from optunas.cli._threads import add_threads_option
    >>> parser = argparse.ArgumentParser()
    >>> add_threads_option(parser)
    >>> parser.parse_args(["--threads", "4"]).threads
    4
"""

from __future__ import annotations

import argparse
import os

#: torch (OpenMP) reads its thread count from this variable; a user who set it is obeyed.
THREADS_ENV = "OMP_NUM_THREADS"
THREADS_HELP = (
    "torch threads for training (default: $OMP_NUM_THREADS if set, else 1: a search's small "
    "networks gain little from more, and workers that share the cores, a worker per core or "
    "any other job beside, run several times slower with torch's default of a thread per "
    "core; give more for large networks on an otherwise idle machine)"
)


def _threads(value: str) -> int:
    if not value.isdigit() or int(value) == 0:
        raise argparse.ArgumentTypeError(f"must be a whole number greater than 0, got {value!r}")
    return int(value)


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--threads`` to ``parser`` (None when not given: see :func:`use_threads`)."""
    parser.add_argument("--threads", type=_threads, default=None, help=THREADS_HELP)


def use_threads(threads: int | None) -> int:
    """Set torch's intra-op threads: ``threads``, else ``$OMP_NUM_THREADS`` (which torch has
    read already), else 1. Returns the count torch now uses."""
    import torch

    if threads is None and not os.environ.get(THREADS_ENV, "").strip():
        threads = 1
    if threads is not None:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def say_threads(threads: int) -> None:
    """One line that says how many threads train, so a slow worker can be told why."""
    print(
        f"Training on {threads} torch thread{'s' if threads != 1 else ''} (--threads).", flush=True
    )
