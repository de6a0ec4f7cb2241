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

from collections.abc import Container
from typing import Any

import optuna
from optuna.distributions import BaseDistribution
from optuna.storages import BaseStorage
from optuna.trial import BaseTrial, FrozenTrial, TrialState

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
    study's id there (two ``Study`` objects of one study share it; a cache keyed on it is
    dropped for another study). Built on :func:`storage_of` and :func:`study_id_of`."""
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
