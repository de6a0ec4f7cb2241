"""What a heartbeat storage does when one of its trials starts running."""

from __future__ import annotations

from typing import Any

from optuna.trial import FrozenTrial, TrialState


class BeatFromTheStart:
    """Mixin for a storage with a heartbeat: a trial beats as soon as it runs.

    Optuna's beating thread starts after ``study.ask`` returns, and the sampler's work inside
    ``ask`` (reading the study, relative sampling) takes a while: a worker killed or
    interrupted then leaves a RUNNING trial that never beat, which no heartbeat ever fails.
    A first beat written when the trial is created, or popped from the queue, closes that
    gap. The ids of the trials started by this process are kept in ``started_here``, so the
    process can close its own trial when it is interrupted inside ``ask``.
    """

    started_here: list[int]

    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        trial_id = super().create_new_trial(study_id, template_trial)  # type: ignore[misc]
        if template_trial is None or template_trial.state == TrialState.RUNNING:
            self._started(trial_id)
        return trial_id

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Any = None) -> bool:
        changed = super().set_trial_state_values(trial_id, state, values)  # type: ignore[misc]
        if changed and state == TrialState.RUNNING:
            self._started(trial_id)  # a queued trial (a retry, an enqueued cell) taken up
        return changed

    def _started(self, trial_id: int) -> None:
        if not hasattr(self, "started_here"):
            self.started_here = []
        self.started_here.append(trial_id)
        if self.get_heartbeat_interval() is not None:  # type: ignore[attr-defined]
            self.record_heartbeat(trial_id)  # type: ignore[attr-defined]
