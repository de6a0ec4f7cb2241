from __future__ import annotations

import os
import signal
import socket
import uuid
from pathlib import Path

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test run on a database server, as a parameter names it, is a `services` test: the
    quick subset (`-m "not slow and not services"`) keeps its SQLite and journal cases."""
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if any(isinstance(value, str) and value in SERVICES for value in params.values()):
            item.add_marker(pytest.mark.services)
    # The slow tests first: the two workers of `-n 2` (work stealing) then end on short tests
    # together, instead of one of them finishing a long test alone.
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


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


#: The repository; the suite must leave it as it found it.
ROOT = Path(__file__).resolve().parent.parent
#: What a run of the suite may create in the repository: caches of the tools, never files of
#: the tests.
_TOOL_FOLDERS = {".git", ".venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
_FILES_BEFORE = pytest.StashKey[set[str]]()


def _repository_files() -> set[str]:
    files = set()
    for folder, subfolders, names in os.walk(ROOT):
        subfolders[:] = [
            d for d in subfolders if d not in _TOOL_FOLDERS and not d.endswith(".egg-info")
        ]
        files.update(os.path.relpath(os.path.join(folder, name), ROOT) for name in names)
    return files


def _is_controller(config: pytest.Config) -> bool:
    # Under pytest-xdist the workers run the tests; the controller sees the whole run.
    return not hasattr(config, "workerinput")


def pytest_sessionstart(session: pytest.Session) -> None:
    if _is_controller(session.config):
        session.config.stash[_FILES_BEFORE] = _repository_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if it left a new file in the repository (a command run with the
    repository as its working folder writes its checkpoint or database there)."""
    before = session.config.stash.get(_FILES_BEFORE, None)
    if before is None:
        return
    new = sorted(_repository_files() - before)
    if new:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = "the tests left new files in the repository: " + ", ".join(new[:20])
        if reporter is not None:
            reporter.write_sep("=", message, red=True, bold=True)
        else:
            print(message)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def _work_in_a_temporary_folder(tmp_path_factory, monkeypatch) -> None:
    """Every test, and every command it starts, works in a folder of its own: what a command
    writes beside itself (a checkpoint, optunas.db) never lands in the repository."""
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))
