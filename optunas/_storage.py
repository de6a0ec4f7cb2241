"""Open any Optuna storage from one string, as the CLI's ``--storage`` takes it."""

from __future__ import annotations

import logging
import os
import time
import traceback
import warnings
from collections.abc import Callable

import optuna
from optuna.storages import BaseStorage
from optuna.trial import FrozenTrial

from optunas._compat import RDBTrialCreation, redis_client_of, running_heartbeats, trial_id_of
from optunas.storages import HeartbeatJournalStorage
from optunas.storages._started import BeatFromTheStart, _interrupt_deferred

_RDB_SCHEMES = ("sqlite", "postgresql", "mysql", "mariadb", "oracle", "mssql")
STORAGE_HELP = (
    "an RDB URL (sqlite:///FILE, postgresql://USER@HOST/DB, mysql+pymysql://USER@HOST/DB), "
    "redis://HOST:PORT for a Redis journal, or journal:FILE (or the path of an existing "
    "file, as optuna takes it) for a journal file"
)
#: Seconds to wait for a database server before calling it unreachable: a host that drops
#: packets would otherwise hang a worker for the operating system's TCP timeout (minutes).
CONNECT_TIMEOUT = 10
#: The extra that installs each dialect's default driver (what SQLAlchemy loads for the URL).
_DRIVER_EXTRAS = {
    "postgresql": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "redis": "redis",
    "rediss": "redis",
}
#: Times a trial of a dead worker is re-queued before it stays FAIL.
MAX_RETRY = 3
#: Seconds between two heartbeats of a running trial, and without one before the trial is
#: failed as its worker's death; the environment variables override them (tests use seconds).
HEARTBEAT_INTERVAL = 30
GRACE_PERIOD = 90
INTERVAL_ENV = "OPTUNAS_HEARTBEAT_INTERVAL"
GRACE_ENV = "OPTUNAS_HEARTBEAT_GRACE"


_logger = logging.getLogger(__name__)


class StorageError(ValueError):
    """A storage that cannot be opened: the message is one line that says why."""


def open_storage(url: str, heartbeat: bool = True) -> BaseStorage:
    """Open ``url`` as an Optuna storage.

    Every storage gets a heartbeat (unless ``heartbeat`` is false: it serves
    ``study.optimize``, and ``ask``/``tell`` from a shell have no process to beat for them):
    Optuna's own on RDB URLs, :class:`~optunas.storages.HeartbeatJournalStorage` on journals.
    A trial whose worker died is marked FAIL by the next worker and queued again (up to
    ``MAX_RETRY`` times), instead of being left RUNNING for ever. A beat every
    ``HEARTBEAT_INTERVAL`` seconds, stale after ``GRACE_PERIOD``; the environment variables
    ``OPTUNAS_HEARTBEAT_INTERVAL`` and ``OPTUNAS_HEARTBEAT_GRACE`` (whole seconds) override them.

    Raises:
        StorageError: the string is not a storage URL this function knows, its driver is not
            installed, or the server cannot be reached. A subclass of ValueError.

    Example:
        >>> import optuna
        >>> from optunas._storage import open_storage
        >>> isinstance(open_storage("sqlite:///:memory:"), optuna.storages.RDBStorage)
        True
    """
    scheme, sep, rest = url.partition(":")
    dialect = scheme.split("+")[0].lower()
    with warnings.catch_warnings():
        # Heartbeats and journals are "experimental" in Optuna's words but are what a
        # distributed study stands on; the warning is noise on every command.
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return _open(url, scheme, sep, rest, dialect, heartbeat)


def _open(url: str, scheme: str, sep: str, rest: str, dialect: str, heartbeat: bool) -> BaseStorage:
    beat = _heartbeat_settings() if heartbeat else {}
    try:
        if dialect in _RDB_SCHEMES and rest.startswith("//"):
            return _RDBStorage(url, engine_kwargs=_engine_kwargs(dialect), **beat)
        if dialect in ("redis", "rediss") and rest.startswith("//"):
            backend = optuna.storages.journal.JournalRedisBackend(_with_connect_timeout(url))
            # The backend connects lazily; ask now so a dead server is an error here, not a
            # hang or a traceback at the first write.
            redis_client_of(backend).ping()
            return HeartbeatJournalStorage(backend, **beat)
        if scheme == "journal" and sep and rest:
            path = os.path.expanduser(rest)
            return HeartbeatJournalStorage(optuna.storages.journal.JournalFileBackend(path), **beat)
        if os.path.isfile(url):
            # As Optuna's commands take it: the path of an existing file is a journal file.
            return HeartbeatJournalStorage(optuna.storages.journal.JournalFileBackend(url), **beat)
    except Exception as exc:  # SQLAlchemy, drivers and Redis each raise their own kinds
        raise StorageError(_explain(url, dialect, exc)) from exc
    raise StorageError(f"malformed storage URL {url!r}: expected {STORAGE_HELP}")


def _with_connect_timeout(url: str) -> str:
    """The Redis URL with the connect timeout the database servers get (redis-py waits for
    ever by default), unless it sets one."""
    if "socket_connect_timeout=" in url:
        return url
    return f"{url}{'&' if '?' in url else '?'}socket_connect_timeout={CONNECT_TIMEOUT}"


def _heartbeat_settings() -> dict:
    def seconds(env: str, default: int) -> int:
        value = os.environ.get(env, "")
        if not value.isdigit() or int(value) == 0:
            if value:
                raise StorageError(f"{env} must be a whole number of seconds, not {value!r}")
            return default
        return int(value)

    return {
        "heartbeat_interval": seconds(INTERVAL_ENV, HEARTBEAT_INTERVAL),
        "grace_period": seconds(GRACE_ENV, GRACE_PERIOD),
        "heartbeat_stale_trial_callback": optuna.storages.RetryHeartbeatStaleTrialCallback(
            max_retry=MAX_RETRY
        ),
    }


class _RDBStorage(RDBTrialCreation, BeatFromTheStart, optuna.storages.RDBStorage):
    """RDBStorage whose heartbeat outlives a lost connection and starts with the trial.

    Optuna's beating thread ends, with a traceback, at the first beat that fails, and the
    trial is then failed as dead by the other workers although its worker lives on. A beat
    that fails is logged and the next one tried, as on journals.
    """

    def around_trial_creation(
        self, create: Callable[[], FrozenTrial], template_trial: FrozenTrial | None
    ) -> FrozenTrial:
        # Optuna's cache in front of an RDB storage creates trials without going through
        # ``create_new_trial`` (see RDBTrialCreation): the first beat must be taken here.
        with _interrupt_deferred():
            trial = create()
            self._created(trial_id_of(trial), template_trial)
        return trial

    def record_heartbeat(self, trial_id: int) -> None:
        try:
            super().record_heartbeat(trial_id)
        except Exception as exc:
            _logger.warning(f"Heartbeat of trial {trial_id} not recorded: {failure(exc)}")


def _engine_kwargs(dialect: str) -> dict:
    if dialect in ("postgresql", "mysql", "mariadb"):
        return {
            # Both psycopg and PyMySQL take this name; SQLite and the rest need nothing.
            "connect_args": {"connect_timeout": CONNECT_TIMEOUT},
            # A pooled connection the server dropped (a restart, pg_terminate_backend, an
            # idle timeout) is found dead when it is taken from the pool and replaced, instead
            # of failing the worker's next query.
            "pool_pre_ping": True,
        }
    return {}


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_storage_failure(exc: BaseException) -> bool:
    """Whether ``exc`` comes from the storage (its server, its driver, its journal file),
    not from the objective or from optunas."""
    import sqlalchemy.exc

    kinds: tuple[type[BaseException], ...] = (
        sqlalchemy.exc.SQLAlchemyError,
        optuna.exceptions.StorageInternalError,
    )
    try:
        import redis.exceptions

        kinds += (redis.exceptions.RedisError,)
    except ImportError:  # the redis extra is not installed
        pass
    for error in _chain(exc):
        if isinstance(error, kinds):
            return True
        # A journal file's errors are plain OSErrors: tell them by where they were raised.
        frames = traceback.extract_tb(error.__traceback__)
        if isinstance(error, OSError) and any("storages/journal" in f.filename for f in frames):
            return True
    return False


def is_connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is a dropped connection to a database or Redis server, which a new
    connection may well cure (as opposed to a read-only file or a full disk)."""
    import sqlalchemy.exc

    for error in _chain(exc):
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
        if type(error).__module__.startswith("redis") and type(error).__name__ in (
            "ConnectionError",
            "TimeoutError",
        ):
            return True
    return False


def failure(exc: BaseException) -> str:
    """The first line of the root cause of a storage failure (the driver's own words)."""
    chain = _chain(exc)
    root = chain[-1]
    for error in chain:
        orig = getattr(error, "orig", None)  # SQLAlchemy keeps the driver's error here
        if orig is not None:
            root = orig
    text = str(root).strip()
    return text.splitlines()[0] if text else type(root).__name__


def _explain(url: str, dialect: str, exc: BaseException) -> str:
    """One line that names the cause: a missing driver, a refused connection, or the rest."""
    missing = _missing_module(exc)
    if missing is not None:
        extra = _DRIVER_EXTRAS.get(dialect)
        hint = f"; install it with: pip install 'optunas[{extra}]'" if extra else ""
        if dialect in ("mysql", "mariadb") and missing == "MySQLdb":
            # mysqlclient needs a compiler; the extra brings PyMySQL, named in the URL.
            hint = "; write the URL as mysql+pymysql://... and pip install 'optunas[mysql]'"
        return (
            f"cannot open storage {url!r}: its driver (module {missing!r}) is not installed{hint}"
        )
    # The driver's own message is the most precise one ("Connection refused", "database
    # does not exist", "too many clients"); SQLAlchemy and Optuna wrap it in paragraphs of
    # their own ("... e.g. exceeding max length"), so name the driver's first line.
    return f"cannot open storage {url!r}: {failure(exc)}"


def _missing_module(exc: BaseException) -> str | None:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ModuleNotFoundError):
            return seen.name
        seen = seen.__cause__ or seen.__context__
    return None


def dashboard_target(url: str) -> str:
    """What to hand optuna-dashboard to open the same storage."""
    return url[len("journal:") :] if url.startswith("journal:") else url


def stop_heartbeats(timeout: float = 10.0) -> None:
    """Stop the heartbeat threads ``study.optimize`` left behind, so the process can exit.

    Optuna starts a trial's (non-daemon) beating thread in ``__enter__`` of a context manager:
    Ctrl-C that lands after the thread started but before ``__enter__`` returned skips
    ``__exit__``, and the thread then beats for ever and holds the interpreter open after the
    command has said it was interrupted. Their stop events are set here instead.

    A stop can land inside ``Thread.start()`` itself, while it waits for the new thread to
    say it runs: the thread is then listed but not yet marked started, and ``join`` refuses
    it. It is waited for until it is (it then sees its stop event), or until ``timeout``
    where the stop came before the thread was launched at all.
    """
    deadline = time.monotonic() + timeout
    for thread, stop in running_heartbeats():
        stop.set()
        while True:
            try:
                thread.join(max(0.0, deadline - time.monotonic()))
                break
            except RuntimeError:  # listed, not yet marked started
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.01)


def open_existing_storage(url: str, heartbeat: bool = True) -> BaseStorage:
    """:func:`open_storage` for a command that reads a study: an SQLite file that does not
    exist is an error, where SQLAlchemy would create it and leave an empty database behind.

    Example:
        >>> from optunas._storage import StorageError, open_existing_storage
        >>> try:
        ...     open_existing_storage("sqlite:///no-such-folder/none.db")
        ... except StorageError as exc:
        ...     print("no file" in str(exc))
        True
    """
    path = _sqlite_file(url)
    if path is not None and not os.path.exists(path):
        raise StorageError(
            f"cannot open storage {url!r}: no file {path!r} (a study is created with "
            "`optunas create-study` or `optunas run`)"
        )
    return open_storage(url, heartbeat)


def _sqlite_file(url: str) -> str | None:
    """The file of an SQLite URL; None for another storage or an in-memory database."""
    scheme, sep, rest = url.partition(":///")
    if not sep or scheme.split("+")[0].lower() != "sqlite":
        return None
    path = rest.split("?")[0]
    return None if path in ("", ":memory:") else path
