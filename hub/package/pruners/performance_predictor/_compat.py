# Generated from optunas's optunas/_compat.py by hub/generate.py: edit that file.
"""The one door to Optuna's (and optuna-dashboard's) private internals.

optunas stands on Optuna >= 5.0, < 6 (``pyproject.toml``; tested with 5.1). Where Optuna has
no public API for what optunas needs (a study's storage and id, a trial's id, a trial created
inside the cache of an RDB storage, the heartbeat machinery, ...), the private name is used
here and only here, each behind a small named function whose comment says why it is private
and which public alternative was checked. ``tests/test_compat.py`` exercises every one of them
on real studies, so that an Optuna release that renames or changes one fails there, loudly,
instead of somewhere deep in a worker.

This module imports only Optuna and the standard library, so that the samplers and pruners,
which stand on Optuna alone, may use it (hub/generate.py copies it into each OptunaHub
package beside them, its imports made relative).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from collections.abc import Container
from collections.abc import Iterator
import contextlib
import logging
import os
import threading
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.storages import _heartbeat
from optuna.storages import BaseStorage
from optuna.storages.journal import BaseJournalBackend
from optuna.storages.journal import JournalRedisBackend
from optuna.trial import BaseTrial
from optuna.trial import FrozenTrial
from optuna.trial import TrialState


# --- used by optunas/samplers, optunas/pruners, optunas/storages (generic: any area may use) ---


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


def study_key(study: optuna.Study) -> tuple[int, int]:
    """A key telling studies apart within this process: the storage object's id and the
    study's id there. A sampler's cache keyed on it starts over for another study, or for the
    same study reached through another storage object (each ``optuna.load_study`` of an RDB
    URL puts a cache of its own in front). Built on :func:`storage_of` and :func:`study_id_of`.
    """
    return id(storage_of(study)), study_id_of(study)


def get_trials_cached(
    study: optuna.Study, states: Container[TrialState] | None = None
) -> list[FrozenTrial]:
    """The study's trials, not copied, from the list ``study.optimize`` caches for the trial
    being sampled (read once per trial, not once per parameter); do not mutate them.

    Private: ``Study._get_trials(deepcopy=False, use_cache=True)``. Checked:
    ``study.get_trials(deepcopy=False)`` is public and what Optuna's own samplers use outside
    ``optimize``, but it reads the storage on every call (``use_cache=False``), which a sampler
    asked for each parameter of a trial pays many times over.
    """
    return study._get_trials(deepcopy=False, states=states, use_cache=True)


def get_study_system_attrs(study: optuna.Study) -> dict[str, Any]:
    """The study's system attrs, read from its storage.

    Private through :func:`storage_of` and :func:`study_id_of`. Checked:
    ``Study.system_attrs`` was removed in Optuna 5 (deprecated since 3.1), and
    ``Study.user_attrs`` is the user's namespace, which optunas must not fill.
    """
    return storage_of(study).get_study_system_attrs(study_id_of(study))


def set_study_system_attr(study: optuna.Study, key: str, value: Any) -> None:
    """Set one study system attr (JSON-serialisable ``value``).

    Private through :func:`storage_of` and :func:`study_id_of`. Checked:
    ``Study.set_system_attr`` was removed in Optuna 5 (deprecated since 3.1).
    """
    storage_of(study).set_study_system_attr(study_id_of(study), key, value)


def set_trial_system_attr(
    study: optuna.Study, trial: BaseTrial | FrozenTrial, key: str, value: Any
) -> None:
    """Set one system attr of a trial of ``study`` (a live ``Trial`` or a ``FrozenTrial``,
    as a sampler's ``after_trial`` gets it).

    Private through :func:`storage_of` and :func:`trial_id_of`. Checked:
    ``Trial.set_system_attr`` was removed in Optuna 5 (deprecated since 3.1), and a
    ``FrozenTrial`` writes nothing back.
    """
    storage_of(study).set_trial_system_attr(trial_id_of(trial), key, value)


def unwrap_storage(storage: BaseStorage) -> BaseStorage:
    """The storage itself, out of the cache Optuna puts in front of an RDB storage
    (``optuna.create_study`` wraps every ``RDBStorage`` in a ``_CachedStorage``).

    Private: ``optuna.storages._CachedStorage`` and its ``_backend``. Checked: nothing public
    gives the wrapped storage back; the cache's class is not exported.
    """
    if isinstance(storage, optuna.storages._CachedStorage):
        return storage._backend
    return storage


def distribution_contains(distribution: BaseDistribution, value: Any) -> bool:
    """Whether ``value`` (external representation, as ``trial.params`` holds it) lies in
    ``distribution``: a choice among its choices, a number in its range and on its step.

    Private: ``BaseDistribution._contains``. Checked: ``optuna.distributions`` exports
    ``check_distribution_compatibility`` (two distributions, not a value) and nothing else that
    tests a value; ``to_internal_repr`` raises for some values outside the distribution but
    accepts most (a float off the step, an int out of range).
    """
    try:
        internal = distribution.to_internal_repr(value)
    except (ValueError, TypeError):
        return False
    return distribution._contains(internal)


# --- used by optunas/storages ---


class Heartbeat(_heartbeat.BaseHeartbeat):
    """Optuna's heartbeat contract, for a storage that implements it (``study.optimize`` beats
    for its trials and fails the stale ones of a storage that is an instance of this).

    A subclass implements ``record_heartbeat``, ``get_heartbeat_interval``,
    ``get_heartbeat_stale_trial_callback`` (public names) and :meth:`stale_trial_ids`.

    Private: ``optuna.storages._heartbeat.BaseHeartbeat`` and its abstract
    ``_get_stale_trial_ids``. Checked: ``optuna.storages`` does not export the class, and
    ``optimize`` and ``fail_stale_trials`` test ``isinstance(storage, BaseHeartbeat)``, so no
    duck-typed storage gets a heartbeat.
    """

    def stale_trial_ids(self, study_id: int) -> list[int]:
        """The ids of the study's RUNNING trials whose heartbeat is older than the grace."""
        raise NotImplementedError

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        return self.stale_trial_ids(study_id)


def journal_backend_of(storage: optuna.storages.JournalStorage) -> BaseJournalBackend:
    """The backend (file, Redis) a journal storage writes its log to.

    Private: ``JournalStorage._backend``. Checked: the constructor takes the backend but nothing
    public gives it back.
    """
    return storage._backend


def redis_client_of(backend: JournalRedisBackend) -> Any:
    """The ``redis.Redis`` client of a Redis journal, to ask its server (``ping``, ``time``).

    Private: ``JournalRedisBackend._redis``. Checked: the backend has no public client or
    method for it; a client of our own (``redis.Redis.from_url``) would be a second connection
    pool to the same server, and would need redis imported here.
    """
    return backend._redis


class RDBTrialCreation:
    """Mixin, before :class:`optuna.storages.RDBStorage` in the bases: every new trial of the
    storage, whoever creates it, goes through :meth:`around_trial_creation`.

    Private: ``RDBStorage._create_new_trial``. Checked: the public ``create_new_trial`` is not
    enough: ``optuna.create_study`` wraps every ``RDBStorage`` in Optuna's cache, which creates
    trials through this private method (it needs the ``FrozenTrial`` back), so an override of
    the public method alone misses every trial of ``study.optimize`` and ``study.ask``.
    """

    def around_trial_creation(
        self, create: Callable[[], FrozenTrial], template_trial: FrozenTrial | None
    ) -> FrozenTrial:
        """Create the trial (``create()``); a subclass adds what must happen around it."""
        return create()

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        return trial_id_of(self._create_new_trial(study_id, template_trial))

    def _create_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None = None
    ) -> FrozenTrial:
        create = super()._create_new_trial  # type: ignore[misc]
        return self.around_trial_creation(lambda: create(study_id, template_trial), template_trial)


def running_heartbeats() -> list[tuple[threading.Thread, threading.Event]]:
    """The beating threads Optuna's ``study.optimize`` started in this process that still run,
    each with the event that stops it.

    Private: ``optuna.storages._heartbeat.HeartbeatThread._record_heartbeat`` (the thread's
    target) and CPython's ``Thread._target``/``Thread._args`` (a running thread keeps them,
    ``(trial_id, storage, stop_event)``). Checked: Optuna keeps the thread inside the context
    manager of ``optimize`` and gives no handle on it; the threads have no name of their own.
    """
    beating = _heartbeat.HeartbeatThread._record_heartbeat
    found = []
    for thread in threading.enumerate():
        if getattr(thread, "_target", None) is beating:
            found.append((thread, thread._args[2]))  # type: ignore[attr-defined]
    return found


# --- used by optunas/evaluation, nn, dashboard, spaces, export ---


def journal_file_path(storage: BaseStorage) -> str | None:
    """The path of a journal storage's log file; None for any other storage or backend.

    Private: ``JournalFileBackend._file_path`` (through :func:`journal_backend_of`). Checked:
    the backend takes the path in its constructor and gives it back through nothing public.
    """
    if not isinstance(storage, optuna.storages.JournalStorage):
        return None
    path = getattr(journal_backend_of(storage), "_file_path", None)
    return None if path is None else os.fspath(path)


def dashboard_note_attrs(trial_id: int, body: str) -> dict[str, Any]:
    """The study system attrs optuna-dashboard reads a trial's first note (version 1) from:
    its version key and the body's chunks.

    Private: ``optuna_dashboard._note.note_ver_key`` and ``split_body``. Checked: the public
    ``optuna_dashboard.save_note`` writes the same keys but first reads every study system attr
    twice (to find the version and clear an old text), a cost that grows with the study; it
    stays the way to rewrite a note that exists.
    """
    from optuna_dashboard import _note

    return {_note.note_ver_key(trial_id): 1, **_note.split_body(body, trial_id)}


def fix_trial_params(trial: optuna.trial.Trial, params: dict[str, Any]) -> None:
    """Fix ``params`` on a running trial, the way ``study.enqueue_trial`` fixes a queued
    trial's: the next ``suggest_*`` of each name returns its value, recorded with the
    distribution of that call, and the sampler is not asked.

    Private: ``Trial._fixed_params``, which Optuna fills from an enqueued trial's system attrs
    when the trial starts. Checked: ``study.enqueue_trial`` is public but fixes a trial that
    has not started yet, and a DARTS search learns its cell inside the trial it runs in.
    """
    trial._fixed_params = {**trial._fixed_params, **params}


class CheckedFixedTrial(optuna.trial.FixedTrial):
    """A ``FixedTrial`` that refuses values outside a parameter's distribution (Optuna's only
    warns), so that a genotype rebuilt from params is one the space can produce.

    Private: the override of ``FixedTrial._suggest``, the one method every ``suggest_*``
    passes through with the distribution, and its ``_params``. Checked: the public
    ``suggest_*`` methods would each need overriding, and they receive no distribution.
    """

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name in self._params:
            value = self._params[name]
            if not distribution_contains(distribution, value):
                raise ValueError(f"parameter {name!r}={value!r} is not in {distribution}")
        return super()._suggest(name, distribution)


# --- used by optunas/cli ---


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
