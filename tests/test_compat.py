"""optunas._compat against the Optuna installed: each private name it stands on still exists,
with the signature it is called with, and still does what the wrapper promises on real
studies. A release of Optuna that changes one fails here, by name."""

from __future__ import annotations

import logging

import optuna
import pytest
from optuna.storages import RDBStorage

from optunas import _compat

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
    from optunas.cli import OPTUNA_COMMANDS

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
