"""HeartbeatJournalStorage in one process: a trial that stops beating is failed and queued
again exactly once, with Optuna's own sweep; trials that never beat are left alone."""

from __future__ import annotations

import os
import time
import warnings

import optuna
import pytest
from optuna.storages.journal import JournalFileBackend, JournalRedisBackend
from optuna.trial import TrialState

from optunas.storages import HeartbeatJournalStorage


def _storage(kind: str, tmp_path, beat: bool = True) -> HeartbeatJournalStorage:
    """The test's journal; ``beat=False`` opens it as ``optunas ask`` does, without heartbeat."""
    if kind == "redis":
        from conftest import service_url

        backend = JournalRedisBackend(service_url("redis"), prefix=f"{tmp_path.name}-{os.getpid()}")
    else:
        backend = JournalFileBackend(str(tmp_path / "hb.log"))
    if not beat:
        return HeartbeatJournalStorage(backend)
    return HeartbeatJournalStorage(
        backend,
        heartbeat_interval=1,
        grace_period=1,
        heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(3),
    )


def _sweep(study: optuna.Study) -> None:
    """What ``study.optimize`` does before each trial."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


# Optuna warns that a heartbeat storage is meant for optimize; here ask and tell play the worker.
@pytest.mark.filterwarnings("ignore:Heartbeat of storage")
@pytest.mark.parametrize("kind", ["journal", "redis"])
def test_a_trial_that_stops_beating_is_failed_and_retried_once(kind, tmp_path) -> None:
    storage = _storage(kind, tmp_path)
    study = optuna.create_study(storage=storage, study_name="hb")
    shell = optuna.load_study(study_name="hb", storage=_storage(kind, tmp_path, beat=False))
    x = {"x": optuna.distributions.FloatDistribution(0, 1)}
    asked = shell.ask(x)  # by `optunas ask` in a shell loop: it never beats
    dead = study.ask(x)  # its worker beat when it started, then died
    time.sleep(1.5)  # past the grace period
    assert storage._get_stale_trial_ids(study._study_id) == [dead._trial_id]
    _sweep(study)
    _sweep(study)  # a second worker's sweep finds nothing more to do
    states = [t.state for t in study.trials]
    assert states == [TrialState.RUNNING, TrialState.FAIL, TrialState.WAITING]
    retry = study.trials[2]
    assert retry.system_attrs["failed_trial"] == dead.number
    assert retry.params == dead.params
    # Picked up, the retry beats at once; the beat it carries, copied from its original by
    # the callback, names the original and would not count.
    popped = study.ask()
    assert popped.number == retry.number
    assert storage._get_stale_trial_ids(study._study_id) == []
    storage.record_heartbeat(popped._trial_id)
    study.tell(popped, 0.5)
    shell.tell(asked, 0.1)
    storage.record_heartbeat(popped._trial_id)  # a late beat of a finished trial is harmless
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL] + [
        TrialState.COMPLETE
    ]


def test_optimize_beats_while_the_objective_runs(tmp_path) -> None:
    storage = _storage("journal", tmp_path)
    study = optuna.create_study(storage=storage)

    def objective(trial: optuna.Trial) -> float:
        time.sleep(1.5)  # a beat at the start and one a second later
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=1)
    (trial,) = study.trials
    trial_id, beat = trial.system_attrs["optunas:heartbeat"]
    assert trial_id == trial._trial_id
    assert trial.datetime_start.timestamp() < beat <= trial.datetime_complete.timestamp()


def test_heartbeat_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="heartbeat_interval"):
        HeartbeatJournalStorage(JournalFileBackend("/dev/null"), heartbeat_interval=0)
