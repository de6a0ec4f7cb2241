"""optunas._compat against the Optuna installed: each private name it stands on still exists,
with the signature it is called with, and still does what the wrapper promises on real
studies. A release of Optuna that changes one fails here, by name."""

from __future__ import annotations

import inspect
import logging
import re
import threading
from pathlib import Path

import optuna
import optuna_dashboard
import pytest
from conftest import service_url
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.storages import JournalStorage, RDBStorage
from optuna.storages import _heartbeat as optuna_heartbeat
from optuna.storages.journal import JournalFileBackend, JournalRedisBackend
from optuna.trial import TrialState

from optunas import _compat

ROOT = Path(__file__).resolve().parent.parent


def _parameters(function) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.fixture(params=["inmemory", "sqlite", "journal"])
def storage(request: pytest.FixtureRequest, tmp_path) -> optuna.storages.BaseStorage:
    """A fresh storage of each kind optunas's studies live on."""
    if request.param == "inmemory":
        return optuna.storages.InMemoryStorage()
    if request.param == "sqlite":
        return RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    return JournalStorage(JournalFileBackend(str(tmp_path / "study.log")))


# --- used by optunas/samplers, optunas/pruners, optunas/storages (generic: any area may use) ---


def test_the_supported_optuna_versions_are_the_installed_one() -> None:
    # The module's docstring names the versions pyproject.toml accepts; keep them together.
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '"optuna>=5.0,<6"' in pyproject
    assert "Optuna >= 5.0, < 6" in (_compat.__doc__ or "")
    assert optuna.__version__.split(".")[0] == "5"


def test_the_private_names_exist_with_the_signatures_called() -> None:
    study = optuna.create_study()
    assert isinstance(study._storage, optuna.storages.BaseStorage)
    assert isinstance(study._study_id, int)
    assert _parameters(optuna.Study._get_trials) == ["self", "deepcopy", "states", "use_cache"]
    assert hasattr(study._thread_local, "cached_all_trials")  # what use_cache=True reads
    trial = study.ask()
    assert isinstance(trial._trial_id, int)
    assert isinstance(study.trials[0]._trial_id, int)
    assert _parameters(optuna.distributions.BaseDistribution._contains) == [
        "self",
        "param_value_in_internal_repr",
    ]
    assert issubclass(optuna.storages._CachedStorage, optuna.storages.BaseStorage)
    assert _parameters(optuna.storages._CachedStorage.__init__) == ["self", "backend"]


def test_handles_name_the_study_and_its_trials(storage) -> None:
    study = optuna.create_study(storage=storage, study_name="handles")
    other = optuna.create_study(storage=storage, study_name="other")
    trial = study.ask()
    study.tell(trial, 1.0)
    frozen = study.trials[0]

    assert _compat.unwrap_storage(_compat.storage_of(study)) is storage
    assert _compat.storage_of(study).get_study_id_from_name("handles") == _compat.study_id_of(study)
    study_id = _compat.study_id_of(study)
    by_number = storage.get_trial_id_from_study_id_trial_number(study_id, 0)
    assert _compat.trial_id_of(trial) == _compat.trial_id_of(frozen) == by_number
    again = optuna.load_study(study_name="handles", storage=_compat.storage_of(study))
    assert _compat.study_key(again) == _compat.study_key(study) != _compat.study_key(other)
    assert _compat.study_key(study)[1] == study_id


def test_unwrap_storage_takes_the_rdb_storage_out_of_optunas_cache(tmp_path) -> None:
    rdb = RDBStorage(f"sqlite:///{tmp_path / 'study.db'}")
    study = optuna.create_study(storage=rdb)
    assert isinstance(_compat.storage_of(study), optuna.storages._CachedStorage)
    assert _compat.unwrap_storage(_compat.storage_of(study)) is rdb
    memory = optuna.storages.InMemoryStorage()
    assert _compat.unwrap_storage(memory) is memory


def test_attrs_written_through_the_handles_are_the_studys(storage) -> None:
    study = optuna.create_study(storage=storage, study_name="attrs")
    _compat.set_study_system_attr(study, "optunas:test", {"a": [1, 2]})
    assert _compat.get_study_system_attrs(study)["optunas:test"] == {"a": [1, 2]}
    (frozen,) = storage.get_all_studies()  # public: the storage's own record of the study
    assert frozen.system_attrs["optunas:test"] == {"a": [1, 2]}

    live = study.ask()
    _compat.set_trial_system_attr(study, live, "optunas:live", 1)
    study.tell(live, 1.0)
    finished = study.ask()
    _compat.set_trial_system_attr(study, study.trials[1], "optunas:frozen", 2)
    study.tell(finished, 2.0)
    assert study.trials[0].system_attrs["optunas:live"] == 1
    assert study.trials[1].system_attrs["optunas:frozen"] == 2


def test_get_trials_cached_reads_the_storage_once_per_trial(storage) -> None:
    study = optuna.create_study(storage=storage)
    seen: list[tuple[list, list]] = []

    def objective(trial: optuna.Trial) -> float:
        first = _compat.get_trials_cached(study)
        second = _compat.get_trials_cached(study, states=(TrialState.RUNNING,))
        assert _compat.get_trials_cached(study) is first  # the cache, not a new read
        seen.append((first, second))
        return 0.0

    study.optimize(objective, n_trials=2)
    (first, running), (later, _) = seen
    assert [t.number for t in first] == [0] and [t.number for t in running] == [0]
    assert [t.number for t in later] == [0, 1]  # the cache is read again for each trial


def test_distribution_contains() -> None:
    choice = CategoricalDistribution(["conv", "skip"])
    assert _compat.distribution_contains(choice, "skip")
    assert not _compat.distribution_contains(choice, "pool")
    step = FloatDistribution(0.0, 1.0, step=0.25)
    assert _compat.distribution_contains(step, 0.5)
    assert not _compat.distribution_contains(step, 0.3)
    assert not _compat.distribution_contains(IntDistribution(1, 4), 5)
    assert not _compat.distribution_contains(IntDistribution(1, 4), "two")


# --- used by optunas/storages ---


def test_heartbeat_private_names_exist() -> None:
    base = optuna_heartbeat.BaseHeartbeat
    assert {"record_heartbeat", "_get_stale_trial_ids"} <= base.__abstractmethods__
    assert _parameters(base._get_stale_trial_ids) == ["self", "study_id"]
    beat = inspect.getattr_static(optuna_heartbeat.HeartbeatThread, "_record_heartbeat")
    assert isinstance(beat, staticmethod)
    assert _parameters(beat.__func__) == ["trial_id", "heartbeat", "stop_event"]
    assert _parameters(RDBStorage._create_new_trial) == ["self", "study_id", "template_trial"]
    thread = threading.Thread(target=print, args=(1, 2))
    assert thread._target is print and thread._args == (1, 2)  # type: ignore[attr-defined]


def test_a_heartbeat_subclass_has_its_stale_trials_failed(tmp_path) -> None:
    class Beating(JournalStorage, _compat.Heartbeat):
        stale: list[int] = []

        def record_heartbeat(self, trial_id: int) -> None:
            pass

        def stale_trial_ids(self, study_id: int) -> list[int]:
            return self.stale

        def get_heartbeat_interval(self) -> int | None:
            return 1

        def get_heartbeat_stale_trial_callback(self):
            return None

    storage = Beating(JournalFileBackend(str(tmp_path / "study.log")))
    assert optuna_heartbeat.is_heartbeat_enabled(storage)
    study = optuna.create_study(storage=storage)
    trial = study.ask()
    Beating.stale = [_compat.trial_id_of(trial)]
    optuna.storages.fail_stale_trials(study)
    assert study.trials[0].state == TrialState.FAIL


def test_journal_backend_of(tmp_path) -> None:
    backend = JournalFileBackend(str(tmp_path / "study.log"))
    assert _compat.journal_backend_of(JournalStorage(backend)) is backend


def test_redis_client_of() -> None:
    backend = JournalRedisBackend(service_url("redis"))
    client = _compat.redis_client_of(backend)
    assert client.ping()
    seconds, micros = client.time()
    assert seconds > 0 and 0 <= micros < 1_000_000


def test_every_new_trial_goes_through_the_rdb_creation_hook(tmp_path) -> None:
    class Recording(_compat.RDBTrialCreation, RDBStorage):
        def around_trial_creation(self, create, template_trial):
            trial = create()
            self.created.append((trial.number, template_trial is not None))
            return trial

    storage = Recording(f"sqlite:///{tmp_path / 'study.db'}")
    storage.created = []
    study = optuna.create_study(storage=storage)  # the storage behind Optuna's cache
    study.ask()
    study.enqueue_trial({"x": 0.5})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study_id = _compat.study_id_of(study)
    trial_id = storage.create_new_trial(study_id)  # and called directly
    assert storage.get_trial(trial_id).number == 3
    # ask, enqueue (a WAITING template), optimize's second trial (its first takes up the
    # enqueued one, which is no creation), the direct call.
    assert storage.created == [(0, False), (1, True), (2, False), (3, False)]


def test_running_heartbeats_are_the_beating_threads_of_optimize(tmp_path) -> None:
    storage = RDBStorage(f"sqlite:///{tmp_path / 'study.db'}", heartbeat_interval=60)
    study = optuna.create_study(storage=storage)
    during: list = []

    def objective(trial: optuna.Trial) -> float:
        during.extend(_compat.running_heartbeats())
        return 0.0

    study.optimize(objective, n_trials=1)
    ((thread, stop),) = during
    assert isinstance(stop, threading.Event) and stop.is_set()  # optimize stopped it after
    assert not thread.is_alive()
    assert _compat.running_heartbeats() == []


# --- used by optunas/evaluation, nn, dashboard, spaces, export ---


def test_study_and_trial_ids_are_the_storages(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'a.db'}", study_name="a")
    trial = study.ask()
    storage = _compat.storage_of(study)
    assert storage.get_study_id_from_name("a") == _compat.study_id_of(study)
    number_id = storage.get_trial_id_from_study_id_trial_number
    assert number_id(_compat.study_id_of(study), trial.number) == _compat.trial_id_of(trial)
    study.tell(trial, 1.0)
    assert _compat.trial_id_of(study.trials[0]) == _compat.trial_id_of(trial)
    assert _compat.study_key(study) == (id(storage), _compat.study_id_of(study))
    study.set_user_attr("u", 1)
    storage.set_study_system_attr(_compat.study_id_of(study), "s", 2)
    assert _compat.get_study_system_attrs(study)["s"] == 2


def test_unwrap_storage_gives_the_rdb_storage_behind_the_cache(tmp_path) -> None:
    study = optuna.create_study(storage=f"sqlite:///{tmp_path / 'b.db'}")
    assert isinstance(_compat.unwrap_storage(_compat.storage_of(study)), RDBStorage)
    memory = optuna.storages.InMemoryStorage()
    assert _compat.unwrap_storage(memory) is memory


def test_journal_file_path(tmp_path) -> None:
    path = str(tmp_path / "j.log")
    assert _compat.journal_file_path(JournalStorage(JournalFileBackend(path))) == path
    assert _compat.journal_file_path(optuna.storages.InMemoryStorage()) is None


def test_fixed_trial_params_are_what_the_suggest_calls_return_and_record() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    trial = study.ask()
    _compat.fix_trial_params(trial, {"op": "conv", "width": 32})
    assert trial.suggest_categorical("op", ["pool", "conv", "skip"]) == "conv"
    assert trial.suggest_int("width", 8, 64) == 32
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    assert frozen.params == {"op": "conv", "width": 32}
    assert frozen.distributions["width"] == optuna.distributions.IntDistribution(8, 64)


def test_checked_fixed_trial_refuses_values_outside_the_distribution() -> None:
    trial = _compat.CheckedFixedTrial({"x": 3, "y": 9})
    assert trial.suggest_int("x", 1, 5) == 3
    with pytest.raises(ValueError, match="'y'=9 is not in"):
        trial.suggest_int("y", 1, 5)


def test_dashboard_note_attrs_are_the_keys_save_note_writes() -> None:
    study = optuna.create_study()
    trial = study.ask()
    before = set(_compat.get_study_system_attrs(study))
    optuna_dashboard.save_note(trial, "a note")
    written = {
        key: value
        for key, value in _compat.get_study_system_attrs(study).items()
        if key not in before
    }
    assert written == _compat.dashboard_note_attrs(_compat.trial_id_of(trial), "a note")


# --- used by optunas/cli ---


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    optuna.create_study(storage=url, study_name="one")
    return url


@pytest.fixture
def optuna_log():
    """Optuna's verbosity and handlers as they were, after a test that sets them."""
    verbosity = optuna.logging.get_verbosity()
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    optuna.logging.set_verbosity(verbosity)
    root.setLevel(level)
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()


def test_cli_parser_knows_every_command_optunas_hands_to_optuna(sqlite_url, capsys) -> None:
    from optunas._names import OPTUNA_COMMANDS

    parser = _compat.optuna_cli_parser()
    # The usage line lists the commands: {create-study,...,study set-user-attr,...}.
    usage = " ".join(parser.format_usage().split())  # the line is wrapped at spaces
    listed = usage.split("{", 1)[1].split("}", 1)[0].split(",")
    assert set(OPTUNA_COMMANDS) <= set(listed)
    args = parser.parse_args(["study-names", "--storage", sqlite_url])
    assert args.handler(args) == 0
    assert capsys.readouterr().out.split() == ["one"]


def test_cli_logging_sets_optunas_verbosity_and_log_file(sqlite_url, tmp_path, optuna_log) -> None:
    parser = _compat.optuna_cli_parser()
    log = tmp_path / "optuna.log"
    args = parser.parse_args(["study-names", "--storage", sqlite_url, "-q"])
    _compat.optuna_cli_logging(args)
    assert optuna.logging.get_verbosity() == logging.WARNING
    args = parser.parse_args(["study-names", "--storage", sqlite_url, "--log-file", str(log)])
    _compat.optuna_cli_logging(args)
    logging.getLogger("optunas.test").info("to the file")  # the root logger's, at DEBUG
    assert "to the file" in log.read_text()


def test_cli_storages_open_every_url_of_optunas_commands_and_restore(
    sqlite_url, monkeypatch, capsys
) -> None:
    opened: list[str] = []

    def open_url(url: str) -> optuna.storages.BaseStorage:
        opened.append(url)
        return RDBStorage(url)

    parser = _compat.optuna_cli_parser()

    def study_names(*storage: str) -> list[str]:
        args = parser.parse_args(["study-names", *storage])
        assert args.handler(args) == 0
        return capsys.readouterr().out.split()

    with _compat.optuna_cli_storages(open_url):
        assert study_names("--storage", sqlite_url) == ["one"]
        monkeypatch.setenv("OPTUNA_STORAGE", sqlite_url)
        assert study_names() == ["one"]  # OPTUNA_STORAGE goes the same way
        assert opened == [sqlite_url, sqlite_url]
        # With --storage-class Optuna opens it itself.
        assert study_names("--storage", sqlite_url, "--storage-class", "RDBStorage") == ["one"]
        assert len(opened) == 2
    assert study_names("--storage", sqlite_url) == ["one"]
    assert len(opened) == 2  # Optuna's own opening is back


def test_cli_optimize_logger_carries_each_failed_trial() -> None:
    seen: list[logging.LogRecord] = []

    class Record(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append(record)
            return False  # the test's output stays quiet

    recorder = Record()
    _compat.optimize_logger().addFilter(recorder)
    try:
        study = optuna.create_study()
        study.optimize(lambda trial: 1 / 0, n_trials=1, catch=(ZeroDivisionError,))
    finally:
        _compat.optimize_logger().removeFilter(recorder)
    assert [r.exc_info[0] for r in seen if r.exc_info] == [ZeroDivisionError]


def test_cli_storage_trial_and_backend_handles_on_a_cached_rdb_storage(sqlite_url) -> None:
    study = optuna.load_study(study_name="one", storage=sqlite_url)
    trial = study.ask()
    storage = _compat.storage_of(study)
    backend = _compat.unwrap_storage(storage)
    assert storage is not backend and isinstance(backend, RDBStorage)
    assert _compat.unwrap_storage(backend) is backend
    study_id = backend.get_study_id_from_name("one")
    trial_id = backend.get_trial_id_from_study_id_trial_number(study_id, trial.number)
    assert _compat.study_id_of(study) == study_id
    assert _compat.trial_id_of(trial) == trial_id == _compat.trial_id_of(study.trials[0])
    assert storage.get_trial(trial_id).state == optuna.trial.TrialState.RUNNING


# --- the acceptance check: Optuna's private names appear in optunas/_compat.py only ---

#: Private names of Optuna (and optuna-dashboard) objects, as attribute accesses, and the
#: overrides of Optuna's private methods; any ``optuna....._x`` module or name path; any
#: import of a private name from Optuna or optuna-dashboard.
_PRIVATE = re.compile(
    r"(?<!optunas)\.(_storage|_study_id|_trial_id|_get_trials|_backend|_file_path|_redis|_contains"
    r"|_suggest|_create_new_trial|_heartbeat|_target|_args|_note|_thread_local"
    r"|_cached_frozen_trial|_record_heartbeat|_get_stale_trial_ids|_CachedStorage"
    r"|_fixed_params)\b"
    r"|def (_suggest|_create_new_trial|_get_stale_trial_ids)\b"
    r"|\boptuna(_dashboard)?\.[\w.]*\._(?!_)"
    r"|^\s*from optuna(_dashboard)?(\.\w+)* import .*\b_[a-z]",
    re.MULTILINE,
)


def _areas() -> list[str]:
    package = ROOT / "optunas"
    return sorted({p.relative_to(package).parts[0] for p in package.rglob("*.py")} - {"_compat.py"})


def _dotted_name_at(text: str, start: int) -> str:
    """The dotted name a match starts inside (``optunas.cli._args`` for its ``._args``)."""
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
        start -= 1
    return text[start:]


def _private_uses(area: str) -> list[str]:
    found = []
    root = ROOT / "optunas" / area
    for path in sorted([root] if root.is_file() else root.rglob("*.py")):
        text = path.read_text()
        for match in _PRIVATE.finditer(text):
            if _dotted_name_at(text, match.start()).startswith("optunas."):
                continue  # optunas's own private modules, such as optunas.cli._args
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0).strip()}")
    return found


@pytest.mark.parametrize("area", _areas())
def test_optunas_private_names_are_in_the_compat_module_only(area: str) -> None:
    assert _private_uses(area) == []


def test_the_private_name_check_finds_what_it_looks_for() -> None:
    # The check above cannot pass by matching nothing: each kind of use it names is found.
    for text in [
        "key = (id(study._storage), study._study_id)",
        "trials = study._get_trials(deepcopy=False)",
        "    def _create_new_trial(self, study_id):",
        "from optuna.storages._heartbeat import BaseHeartbeat",
        "parser, _ = optuna.cli._get_parser()",
        "from optuna_dashboard import _note",
        "isinstance(storage, optuna.storages._CachedStorage)",
        "trial._fixed_params = {**trial._fixed_params, **params}",
    ]:
        assert _PRIVATE.search(text), text
    for text in [
        "self._lock = threading.Lock()",
        "from optunas._compat import storage_of",
        "names = optuna.samplers.__all__",
    ]:
        assert not _PRIVATE.search(text), text
    assert "samplers" in _areas() and "_storage.py" in _areas() and "_compat.py" not in _areas()
