"""A journal storage with the heartbeat Optuna gives only to RDB storages."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import optuna
from optuna.storages import JournalStorage
from optuna.storages.journal import BaseJournalBackend, JournalRedisBackend
from optuna.trial import FrozenTrial, TrialState

from optunas._compat import Heartbeat, journal_backend_of, redis_client_of, trial_id_of
from optunas.storages._started import BeatFromTheStart

_logger = logging.getLogger(__name__)
#: The trial system attr that holds ``[trial_id, seconds]`` of the latest beat. The trial id
#: is part of the value because RetryHeartbeatStaleTrialCallback copies a failed trial's
#: system attrs into its retry: a copied beat names another trial and is no beat at all, so a
#: retry just picked up is not failed before its first own beat.
HEARTBEAT_ATTR = "optunas:heartbeat"


class HeartbeatJournalStorage(BeatFromTheStart, JournalStorage, Heartbeat):
    """A :class:`~optuna.storages.JournalStorage` whose running trials beat, like RDB's.

    Optuna's heartbeat (``heartbeat_interval``, ``grace_period`` and the stale-trial callback
    of :class:`~optuna.storages.RDBStorage`) covers RDB storages only, so a worker killed
    while it ran a trial on a journal leaves that trial RUNNING for ever. This storage keeps
    the same contract on a journal file or a Redis journal: while ``study.optimize`` runs a
    trial, a thread records a beat every ``heartbeat_interval`` seconds in the trial's system
    attrs (and a first one when the trial starts, before the sampler's work); before each trial, every worker fails the RUNNING trials whose last beat is older
    than ``grace_period`` and hands them to ``heartbeat_stale_trial_callback`` (for instance
    :class:`~optuna.storages.RetryHeartbeatStaleTrialCallback`, which queues them again).
    Trials that never beat (made by ``study.ask()`` outside ``optimize``) are never failed,
    as with RDB.

    Times come from the Redis server for a Redis journal (one clock for all workers), and
    from each machine's clock for a journal file, whose machines must then agree on the time
    to well within the grace period (NTP does).

    Args:
        backend: The journal, e.g. ``JournalFileBackend(path)`` or ``JournalRedisBackend(url)``.
        heartbeat_interval: Seconds between two beats of a running trial (None: no heartbeat,
            a plain JournalStorage).
        grace_period: Seconds without a beat after which a RUNNING trial is failed; default
            twice the interval.
        heartbeat_stale_trial_callback: Called with ``(study, trial)`` for each trial failed
            for want of beats.

    Example:
        >>> import tempfile, optuna
        >>> from optuna.storages.journal import JournalFileBackend
        >>> from optunas.storages import HeartbeatJournalStorage
        >>> path = tempfile.mkdtemp() + "/study.log"
        >>> storage = HeartbeatJournalStorage(
        ...     JournalFileBackend(path),
        ...     heartbeat_interval=30,
        ...     grace_period=90,
        ...     heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(3),
        ... )
        >>> study = optuna.create_study(storage=storage)
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> len(study.trials)
        2
    """

    def __init__(
        self,
        backend: BaseJournalBackend,
        heartbeat_interval: int | None = None,
        grace_period: int | None = None,
        heartbeat_stale_trial_callback: Callable[[optuna.Study, FrozenTrial], None] | None = None,
    ) -> None:
        if heartbeat_interval is not None and heartbeat_interval <= 0:
            raise ValueError("heartbeat_interval must be a positive integer")
        if grace_period is not None and grace_period <= 0:
            raise ValueError("grace_period must be a positive integer")
        super().__init__(backend)
        self.heartbeat_interval = heartbeat_interval
        self.grace_period = grace_period
        self.heartbeat_stale_trial_callback = heartbeat_stale_trial_callback

    def _now(self) -> float:
        backend = journal_backend_of(self)
        if isinstance(backend, JournalRedisBackend):
            seconds, micros = redis_client_of(backend).time()
            now: float = seconds + micros / 1e6
            return now
        return time.time()

    def record_heartbeat(self, trial_id: int) -> None:
        try:
            self.set_trial_system_attr(trial_id, HEARTBEAT_ATTR, [trial_id, self._now()])
        except optuna.exceptions.UpdateFinishedTrialError:
            # Another worker found this trial stale and failed it (this process was stalled
            # past the grace period): its retry runs elsewhere; nothing to beat for.
            pass
        except Exception as exc:  # a journal that is briefly unwritable or unreachable
            # Raising would end the beating thread for good; the next beat may get through,
            # and a worker that stays cut off has its trial failed and retried by the others.
            _logger.warning(f"Heartbeat of trial {trial_id} not recorded: {exc!r}")

    def stale_trial_ids(self, study_id: int) -> list[int]:
        assert self.heartbeat_interval is not None
        grace = self.grace_period or 2 * self.heartbeat_interval
        now = self._now()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            beat = trial.system_attrs.get(HEARTBEAT_ATTR)
            if beat is None or beat[0] != trial_id_of(trial):
                continue  # never beat: a trial of ask/tell on a storage without heartbeat
            if now - beat[1] > grace:
                stale.append(trial_id_of(trial))
        return stale

    def get_heartbeat_interval(self) -> int | None:
        return self.heartbeat_interval

    def get_heartbeat_stale_trial_callback(
        self,
    ) -> Callable[[optuna.Study, FrozenTrial], None] | None:
        return self.heartbeat_stale_trial_callback
