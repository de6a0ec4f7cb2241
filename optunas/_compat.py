"""The one door to Optuna's (and optuna-dashboard's) private internals.

optunas stands on Optuna >= 5.0, < 6 (``pyproject.toml``; tested with 5.1). Where Optuna has
no public API for what optunas needs (a study's storage and id, a trial's id, a trial created
inside the cache of an RDB storage, the heartbeat machinery, ...), the private name is used
here and only here, each behind a small named function whose comment says why it is private
and which public alternative was checked. ``tests/test_compat.py`` exercises every one of them
on real studies, so that an Optuna release that renames or changes one fails there, loudly,
instead of somewhere deep in a worker.

This module imports only Optuna and the standard library, so that the samplers and pruners,
which stand on Optuna alone, may use it (the hub packages carry it along).

Example:
    >>> import optuna
    >>> from optunas._compat import study_id_of, trial_id_of
    >>> study = optuna.create_study()
    >>> trial = study.ask()
    >>> trial_id_of(trial) == trial_id_of(study.trials[0])
    True
    >>> isinstance(study_id_of(study), int)
    True
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Callable, Iterator

import optuna
from optuna.storages import BaseStorage
from optuna.trial import BaseTrial, FrozenTrial

# --- used by optunas/cli ---
# The generic handles below (storage_of, study_id_of, trial_id_of, unwrap_storage) repeat those of the
# generic section with the same names and signatures, for the command's worker recovery.


def storage_of(study: optuna.Study) -> BaseStorage:
    """The storage a study reads and writes (Optuna's cache in front of an RDB storage).

    Private: ``Study._storage``. Checked: ``Study`` has no public storage attribute in 5.x
    (a live ``Trial`` has ``trial.storage``, a ``Study`` does not); reopening the storage from
    its URL would give another object, without the study's cache.
    """
    return study._storage


def study_id_of(study: optuna.Study) -> int:
    """The id the storage knows the study by (what every storage method takes).

    Private: ``Study._study_id``. Checked: ``storage.get_study_id_from_name(study.study_name)``
    is public but costs a storage round trip on every call, and samplers ask per parameter.
    """
    return study._study_id


def trial_id_of(trial: BaseTrial | FrozenTrial) -> int:
    """The id the storage knows a trial by, of a live ``Trial`` or a ``FrozenTrial``.

    Private: ``Trial._trial_id`` / ``FrozenTrial._trial_id``. Checked:
    ``storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)`` is public but
    a storage round trip (a sampler asks for every parameter), and it needs the study's id,
    itself private (:func:`study_id_of`).
    """
    return trial._trial_id  # type: ignore[union-attr]


def unwrap_storage(storage: BaseStorage) -> BaseStorage:
    """The storage itself, out of the cache Optuna puts in front of an RDB storage
    (``optuna.create_study`` wraps every ``RDBStorage`` in a ``_CachedStorage``).

    Private: ``optuna.storages._CachedStorage`` and its ``_backend``. Checked: nothing public
    gives the wrapped storage back; the cache's class is not exported.
    """
    if isinstance(storage, optuna.storages._CachedStorage):
        return storage._backend
    return storage


def optuna_cli_parser() -> argparse.ArgumentParser:
    """The parser of Optuna's own commands (``ask``, ``tell``, ``trials``, ...), each of whose
    parsed arguments carries its ``handler``.

    Private: ``optuna.cli._get_parser``. Checked: ``optuna.cli.main()`` is the only public
    entry point, and it reads ``sys.argv`` and prints its whole help for a usage error, where
    ``optunas`` reports one line; the commands' classes are public but have no parser of their
    own outside ``_get_parser``.
    """
    import optuna.cli

    parser, _ = optuna.cli._get_parser()
    return parser


def optuna_cli_logging(args: argparse.Namespace) -> None:
    """Set Optuna's log as its commands do for ``-v``, ``-q``, ``--debug`` and ``--log-file``.

    Private: ``optuna.cli._set_verbosity`` and ``optuna.cli._set_log_file``. Checked:
    ``optuna.logging.set_verbosity`` is public, but re-implementing Optuna's mapping of the
    options to levels and handlers would drift from the ``optuna`` command's.
    """
    import optuna.cli

    optuna.cli._set_verbosity(args)
    optuna.cli._set_log_file(args)


@contextlib.contextmanager
def optuna_cli_storages(open_url: Callable[[str], BaseStorage]) -> Iterator[None]:
    """For the block, Optuna's commands open a ``--storage`` (else ``OPTUNA_STORAGE``) given
    without ``--storage-class`` as ``open_url(url)``; with a class, or no URL at all, Optuna's
    own opening (and its usage error) stays.

    Private: ``optuna.cli._get_storage``, replaced for the block and restored after. Checked:
    it is the one place Optuna's commands turn ``--storage`` into a storage, and no option or
    hook of the public CLI takes a storage object.
    """
    import optuna.cli

    original = optuna.cli._get_storage

    def get_storage(storage_url: str | None, storage_class: str | None) -> BaseStorage:
        url = storage_url if storage_url is not None else os.environ.get("OPTUNA_STORAGE")
        if storage_class is not None or url is None:
            return original(url, storage_class)  # Optuna's class hints; its usage error
        return open_url(url)

    optuna.cli._get_storage = get_storage
    try:
        yield
    finally:
        optuna.cli._get_storage = original


def optimize_logger() -> logging.Logger:
    """The logger on which ``study.optimize`` reports each failed trial with its traceback
    (a worker filters the tracebacks it says in one line of its own).

    Private: the logger is named after Optuna's private module ``optuna.study._optimize``.
    Checked: ``optuna.logging`` sets levels and handlers of Optuna's root logger only; a filter
    there would see every message of Optuna, not only the trials' failures.
    """
    return logging.getLogger("optuna.study._optimize")
