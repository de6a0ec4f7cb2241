"""What a heartbeat storage does when one of its trials starts running."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import Any

from optuna.trial import FrozenTrial, TrialState

from optunas._signals import STOP_SIGNALS


@contextlib.contextmanager
def _interrupt_deferred() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM back until the block ends: a trial written to the storage but
    not yet noted in ``started_here`` would be RUNNING with nobody to close it. A signal that
    came is raised again, to the handler that was there, as soon as the block is done."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread receives signals
        return
    caught: list[int] = []
    # A handler installed from C is None here and could not be put back: leave it alone.
    held = [s for s in STOP_SIGNALS if signal.getsignal(s) is not None]
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in held}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for received in caught:
            signal.raise_signal(received)


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
        with _interrupt_deferred():
            trial_id: int = super().create_new_trial(study_id, template_trial)  # type: ignore[misc]
            self._created(trial_id, template_trial)
        return trial_id

    def _created(self, trial_id: int, template_trial: FrozenTrial | None) -> None:
        if template_trial is None or template_trial.state == TrialState.RUNNING:
            self._started(trial_id)

    def set_trial_state_values(self, trial_id: int, state: TrialState, values: Any = None) -> bool:
        with _interrupt_deferred():
            changed: bool = super().set_trial_state_values(trial_id, state, values)  # type: ignore[misc]
            if changed and state == TrialState.RUNNING:
                self._started(trial_id)  # a queued trial (a retry, an enqueued cell) taken up
        return changed

    def _started(self, trial_id: int) -> None:
        if not hasattr(self, "started_here"):
            self.started_here = []
        self.started_here.append(trial_id)
        if self.get_heartbeat_interval() is not None:  # type: ignore[attr-defined]
            self.record_heartbeat(trial_id)  # type: ignore[attr-defined]
