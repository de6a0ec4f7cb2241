"""The one door to Optuna's (and optuna-dashboard's) private internals: each private name is
used here only, behind a small function that says why and which public alternative was
checked; tests/test_compat.py exercises each on real studies. Imports Optuna and the standard
library only (optuna-dashboard lazily, where a wrapper needs it)."""

from __future__ import annotations

import os
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.storages import BaseStorage
from optuna.trial import BaseTrial, FrozenTrial

# --- used by optunas/evaluation, nn, dashboard, spaces, export ---
# (storage_of, study_id_of, trial_id_of, study_key, get_study_system_attrs, unwrap_storage,
# distribution_contains and journal_backend_of are copies of the generic section's, same
# names and signatures, for the merge to keep one of each.)


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
    is public but costs a storage round trip on every call.
    """
    return study._study_id


def trial_id_of(trial: BaseTrial | FrozenTrial) -> int:
    """The id the storage knows a trial by, of a live ``Trial`` or a ``FrozenTrial``.

    Private: ``Trial._trial_id`` / ``FrozenTrial._trial_id``. Checked:
    ``storage.get_trial_id_from_study_id_trial_number(study_id, trial.number)`` is public but
    a storage round trip, and it needs the study's id, itself private (:func:`study_id_of`).
    """
    return trial._trial_id  # type: ignore[union-attr]


def study_key(study: optuna.Study) -> tuple[int, int]:
    """A key telling studies apart within this process: the storage object's id and the
    study's id there. Built on :func:`storage_of` and :func:`study_id_of`.
    """
    return id(storage_of(study)), study_id_of(study)


def get_study_system_attrs(study: optuna.Study) -> dict[str, Any]:
    """The study's system attrs, read from its storage.

    Private through :func:`storage_of` and :func:`study_id_of`. Checked:
    ``Study.system_attrs`` was removed in Optuna 5 (deprecated since 3.1), and
    ``Study.user_attrs`` is the user's namespace, which optunas must not fill.
    """
    return storage_of(study).get_study_system_attrs(study_id_of(study))


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


def journal_backend_of(storage: optuna.storages.JournalStorage) -> Any:
    """The backend (file, Redis) a journal storage writes its log to.

    Private: ``JournalStorage._backend``. Checked: the constructor takes the backend but nothing
    public gives it back.
    """
    return storage._backend


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
