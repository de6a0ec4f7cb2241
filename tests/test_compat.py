"""optunas._compat against the Optuna installed: each private name it stands on still exists
and still does what the wrapper promises on real studies. A release of Optuna or
optuna-dashboard that changes one fails here, by name."""

from __future__ import annotations

import optuna
import optuna_dashboard
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from optunas import _compat

# --- used by optunas/evaluation, nn, dashboard, spaces, export ---


def test_study_and_trial_ids_are_the_storages(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'a.db'}", study_name="a")
    trial = study.ask()
    storage = _compat.storage_of(study)
    assert storage.get_study_id_from_name("a") == _compat.study_id_of(study)
    number_id = storage.get_trial_id_from_study_id_trial_number
    assert number_id(_compat.study_id_of(study), trial.number) == _compat.trial_id_of(trial)
    study.tell(trial, 1.0)
    assert _compat.trial_id_of(study.trials[0]) == _compat.trial_id_of(trial)
    assert _compat.study_key(study) == (id(storage), _compat.study_id_of(study))
    study.set_user_attr("u", 1)
    storage.set_study_system_attr(_compat.study_id_of(study), "s", 2)
    assert _compat.get_study_system_attrs(study)["s"] == 2


def test_unwrap_storage_gives_the_rdb_storage_behind_the_cache(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'b.db'}")
    assert isinstance(_compat.unwrap_storage(_compat.storage_of(study)), RDBStorage)
    memory = optuna.storages.InMemoryStorage()
    assert _compat.unwrap_storage(memory) is memory


def test_journal_file_path(tmp_path) -> None:
    path = str(tmp_path / "j.log")
    assert _compat.journal_file_path(JournalStorage(JournalFileBackend(path))) == path
    assert _compat.journal_file_path(optuna.storages.InMemoryStorage()) is None


def test_distribution_contains() -> None:
    assert _compat.distribution_contains(IntDistribution(1, 5), 3)
    assert not _compat.distribution_contains(IntDistribution(1, 5), 9)
    assert not _compat.distribution_contains(FloatDistribution(0.0, 1.0, step=0.5), 0.3)
    assert _compat.distribution_contains(CategoricalDistribution(["a", "b"]), "b")
    assert not _compat.distribution_contains(CategoricalDistribution(["a", "b"]), "c")


def test_checked_fixed_trial_refuses_values_outside_the_distribution() -> None:
    trial = _compat.CheckedFixedTrial({"x": 3, "y": 9})
    assert trial.suggest_int("x", 1, 5) == 3
    with pytest.raises(ValueError, match="'y'=9 is not in"):
        trial.suggest_int("y", 1, 5)


def test_dashboard_note_attrs_are_the_keys_save_note_writes() -> None:
    study = optuna.create_study()
    trial = study.ask()
    before = set(_compat.get_study_system_attrs(study))
    optuna_dashboard.save_note(trial, "a note")
    written = {
        key: value
        for key, value in _compat.get_study_system_attrs(study).items()
        if key not in before
    }
    assert written == _compat.dashboard_note_attrs(_compat.trial_id_of(trial), "a note")
