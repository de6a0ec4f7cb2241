"""Recovery of the trials a worker leaves behind: those of dead workers (stale heartbeats),
the one that was running when the connection dropped, and the one a Ctrl-C or SIGTERM caught
between Optuna's calls. Each is closed as FAIL (and queued again where the storage's
heartbeat says so), so a study never keeps a RUNNING trial that nobody runs.
"""

from __future__ import annotations

import warnings

import optuna

from optunas._compat import storage_of, trial_id_of, unwrap_storage
from optunas._storage import is_storage_failure


def fail_stale_trials(study: optuna.Study) -> None:
    """Fail (and queue again) the trials of dead workers now, as ``optimize`` does before each
    trial: a stale trial counted as running would make ``--until`` stop short."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def retry_if_running(study: optuna.Study, running: list[optuna.Trial]) -> None:
    """The trial this worker ran when its connection dropped is dead: fail it and queue it
    again now, as the heartbeat would after its grace period."""
    storage = storage_of(study)
    for trial in running:
        try:
            trial_id = trial_id_of(trial)
            if storage.get_trial(trial_id).state != optuna.trial.TrialState.RUNNING:
                continue
            if storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL):
                retry = getattr(storage, "get_heartbeat_stale_trial_callback", lambda: None)()
                if retry is not None:
                    retry(study, storage.get_trial(trial_id))
        except Exception as exc:
            if not is_storage_failure(exc):
                raise
            # Still cut off: the next attempt fails as well and says so; otherwise the
            # heartbeat fails and retries this trial after its grace period.
    running.clear()


def fail_if_running(study: optuna.Study, running: list[optuna.Trial], reason: str) -> None:
    """Optuna closes a trial interrupted inside the objective as FAIL; one interrupted while
    being asked for (the sampler's work) or told (a storage write) could stay RUNNING, so
    close it here: the last trial this process started, as its storage noted."""
    storage = storage_of(study)
    started_here = getattr(unwrap_storage(storage), "started_here", [])
    ids = {trial_id_of(trial) for trial in running} | set(started_here[-1:])
    for trial_id in ids:
        if storage.get_trial(trial_id).state == optuna.trial.TrialState.RUNNING:
            storage.set_trial_user_attr(trial_id, "fail_reason", reason)
            storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL)
