"""Storages: Optuna's journal with a heartbeat, so a dead worker's trial is failed and retried."""

from optunas.storages._journal_heartbeat import HeartbeatJournalStorage

__all__ = ["HeartbeatJournalStorage"]
