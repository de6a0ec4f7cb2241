"""Open any Optuna storage from one string, as the CLI's ``--storage`` takes it."""

from __future__ import annotations

import os

import optuna
from optuna.storages import BaseStorage

_RDB_SCHEMES = ("sqlite", "postgresql", "mysql", "mariadb", "oracle", "mssql")
STORAGE_HELP = (
    "an RDB URL (sqlite:///FILE, postgresql://USER@HOST/DB, mysql+pymysql://USER@HOST/DB), "
    "redis://HOST:PORT for a Redis journal, or journal:FILE for a journal file"
)


def open_storage(url: str) -> BaseStorage:
    """Open ``url`` as an Optuna storage.

    RDB URLs get a heartbeat, so a worker that dies mid-trial has that trial marked FAIL by
    the next run instead of left RUNNING for ever.

    Raises:
        ValueError: the string is not a storage URL this function knows, or the storage
            cannot be opened.

    Example:
        >>> from optunas._storage import open_storage
        >>> type(open_storage("sqlite:///:memory:")).__name__
        'RDBStorage'
    """
    scheme, sep, rest = url.partition(":")
    dialect = scheme.split("+")[0].lower()
    try:
        if dialect in _RDB_SCHEMES and rest.startswith("//"):
            return optuna.storages.RDBStorage(url, heartbeat_interval=30, grace_period=90)
        if dialect in ("redis", "rediss") and rest.startswith("//"):
            backend = optuna.storages.journal.JournalRedisBackend(url)
            return optuna.storages.JournalStorage(backend)
        if scheme == "journal" and sep and rest:
            path = os.path.expanduser(rest)
            return optuna.storages.JournalStorage(optuna.storages.journal.JournalFileBackend(path))
    except Exception as exc:  # SQLAlchemy, drivers and Redis each raise their own kinds
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"cannot open storage {url!r}: {first_line}") from exc
    raise ValueError(f"malformed storage URL {url!r}: expected {STORAGE_HELP}")


def dashboard_target(url: str) -> str:
    """What to hand optuna-dashboard to open the same storage."""
    return url[len("journal:") :] if url.startswith("journal:") else url
