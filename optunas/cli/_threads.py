"""torch's intra-op threads of the commands that train (their ``--threads`` option is
:func:`optunas.cli._args.add_threads_option`).

torch starts as many threads as the machine has cores. The networks of a search are small, for
which those threads gain little alone, and where processes share the cores (a worker per core,
as the README runs them, or any other job beside) every process spins as many threads as there
are cores and each trial runs several times slower (BENCHMARKS.md, "Threads of a worker").
So a command trains on one thread unless ``--threads`` or ``OMP_NUM_THREADS`` says otherwise.

Example:
    >>> from optunas.cli._threads import say_threads
    >>> say_threads(2)
    Training on 2 torch threads (--threads).
"""

from __future__ import annotations

import os

from optunas.cli._args import THREADS_ENV


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
