from __future__ import annotations

import os
import signal
import socket
import uuid

import optuna
import pytest

optuna.logging.set_verbosity(optuna.logging.WARNING)
# The tests train tiny networks, for which torch's thread pool costs more than it gains (on two
# cores a test file ran 7x faster with one thread); subprocesses inherit the setting.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The Ctrl-C tests send SIGINT to the commands they start. A shell that starts the suite in the
# background (`&`, nohup) makes it ignore SIGINT, every process it starts inherits that, and
# an ignored SIGINT is never delivered: the commands would run on past the test's time limit.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

#: The database servers the storage tests use (the README says how to start them).
SERVICES = {
    "postgresql": ("127.0.0.1", 5432, "postgresql://postgres@127.0.0.1:5432/test"),
    "mysql": ("127.0.0.1", 3306, "mysql+pymysql://root@127.0.0.1:3306/test"),
    "redis": ("127.0.0.1", 6379, "redis://127.0.0.1:6379"),
}


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def service_url(name: str) -> str:
    """The URL of a running service; skipped when it is down, unless CI demands it."""
    host, port, url = SERVICES[name]
    if not _reachable(host, port):
        if os.environ.get("OPTUNAS_REQUIRE_SERVICES") == "1":
            pytest.fail(
                f"{name} at {host}:{port} is required (OPTUNAS_REQUIRE_SERVICES=1) but down"
            )
        pytest.skip(f"{name} is not running at {host}:{port}")
    return url


@pytest.fixture(params=["sqlite", "journal", "postgresql", "mysql", "redis"])
def storage_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A storage URL of each kind the CLI accepts."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'study.db'}"
    if request.param == "journal":
        return f"journal:{tmp_path / 'study.log'}"
    return service_url(request.param)


@pytest.fixture
def study_name() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def small_mnist1d():
    from optunas.data import load_mnist1d

    return load_mnist1d(num_samples=1000)
